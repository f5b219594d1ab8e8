"""Following a trial: sign up, check your email, confirm, stop.

The sign-up form sits on the trial page and the pre-screen result. The trial
page is cached and shared by every visitor, so its form cannot carry a
per-visitor CSRF token; the sign-up view is exempt from Django's check and
refuses a POST whose Origin is another site instead. Nothing there needs a
session's authority: what a sign-up can do is ask for one email to the address
typed, which the shared rate limits and the double opt-in already bound.

The links in the emails are signed, need no login, and work in any browser.
Opening one (a GET) only shows a page with a button: mail scanners that follow
links neither confirm nor stop anything. A POST to the stop link stops at once,
as RFC 8058's one-click unsubscribe asks.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from trials import follow as following
from trials import submission
from trials.emails import long_date
from trials.forms.follow import FollowForm
from trials.models import Follow, Follower, Trial
from trials.models.follow import CONFIRM_DAYS
from trials.ratelimit import contact_rate_limited
from trials.views.language import remember_language
from trials.views.pages import csrf_failure


def same_origin(request) -> bool:
    """A browser names the page a form came from (Origin). Another site's page may not sign anyone up:
    it would spend its visitors' share of the rate limits."""
    origin = request.headers.get("origin")
    if origin is None:
        return True  # not a browser, or an old one: the rate limits still count it
    trusted = {f"{request.scheme}://{request.get_host()}", *getattr(settings, "CSRF_TRUSTED_ORIGINS", [])}
    return origin in trusted and bool(urlsplit(origin).netloc)


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def follow(request, nct_id):
    trial = get_object_or_404(Trial.objects.published(), nct_id=nct_id.upper())
    action = request.POST.get("action", "")
    if request.method == "POST" and not same_origin(request):
        return csrf_failure(request)
    if request.method == "POST" and action == "follow":
        form = FollowForm(request.POST, trial=trial)
        if form.is_valid():
            data = form.cleaned_data
            if contact_rate_limited(request, email=data["email"]):
                return render_page(request, trial, form, blocked=True, status=429)
            follower = following.follow_request(
                trial=trial, email=data["email"], language=data["language"], kinds=data["follow"]
            )
            token = following.sent_token(follower, binding=submission.binding(request))
            return redirect("trial_follow_sent", nct_id=trial.nct_id, token=token)
        status = 400 if form.has_error("website", "honeypot") else 200
        return render_page(request, trial, form, status=status)

    # A first visit, or the page's own language switch: keep what was typed, judge nothing yet.
    initial = {"language": get_language()}
    if request.method == "POST":
        initial.update({name: request.POST.get(name, "") for name in ("email", "language")})
        initial["follow"] = request.POST.getlist("follow")
    response = render_page(request, trial, FollowForm(initial=initial, trial=trial))
    if action == "language":
        remember_language(response, get_language())
    return response


def render_page(request, trial, form, *, blocked=False, status=200):
    errors = []
    if form.is_bound and not blocked:
        errors = [
            (form[name].auto_id if name != "follow" else f"{form['follow'].auto_id}_0", str(error))
            for name, field_errors in form.errors.items()
            if name != "__all__"
            for error in field_errors
        ]
    context = {"trial": trial, "form": form, "blocked": blocked, "error_links": errors, "days": CONFIRM_DAYS}
    return render(request, "follow/follow.html", context, status=status)


@never_cache
def follow_sent(request, nct_id, token):
    trial = get_object_or_404(Trial.objects.published(), nct_id=nct_id.upper())
    # Only the browser that typed the address sees it again.
    follower = following.follower_from_sent_token(token, binding=submission.binding(request))
    return render(
        request, "follow/sent.html", {"trial": trial, "email": follower.email if follower else "", "days": CONFIRM_DAYS}
    )


@csrf_exempt  # the signed link is the authority; mail apps' browsers may not keep cookies
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def follow_confirm(request, token):
    try:
        link = following.confirm_link_from(token)
    except following.LinkExpired:
        return link_problem(request, expired=True)
    except following.LinkBroken:
        return link_problem(request)
    follower = Follower.objects.filter(pk=link.follower_id, key=link.key).first()
    follows = list(follower.follows.filter(pk__in=link.follows).select_related("trial")) if follower else []
    if not follows:
        return link_problem(request, gone=True)
    if request.method == "POST":
        following.follow_confirm(link)
        return redirect("follow_confirm", token=token)
    for item in follows:
        item.condition = following.condition_name(item.trial)
    context = {
        "follower": follower,
        "follows": follows,
        "days": CONFIRM_DAYS,
        "trial": follows[0].trial,
        "confirmed": all(follow.confirmed_at for follow in follows) and follower.language == link.language,
        "language_name": dict(FollowForm.base_fields["language"].choices).get(link.language, link.language),
        "stop_token": following.stop_token(follower),
        "Kind": Follow.Kind,
    }
    return render(request, "follow/confirm.html", context)


@csrf_exempt  # RFC 8058: mail systems POST here with no cookie; the signed link is the authority
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def follow_stop(request, token):
    try:
        follower = following.follower_from_stop_token(token)
    except following.LinkBroken:
        return link_problem(request, stop=True)
    if request.method == "POST":
        if follower is not None:
            following.follower_forget(follower=follower)
        if request.POST.get("List-Unsubscribe") == "One-Click" and "action" not in request.POST:
            # A mail system's one-click POST: a plain answer, no redirect to follow.
            return render(request, "follow/stopped.html", {"one_click": True})
        return redirect("follow_stopped")
    if follower is None:
        return render(request, "follow/stopped.html", {"already": True})
    follows = list(follower.follows.select_related("trial"))
    for item in follows:
        item.condition = following.condition_name(item.trial)
    context = {
        "follower": follower,
        "follows": follows,
        "Kind": Follow.Kind,
        "since": long_date(follower.created_at, get_language()),
    }
    return render(request, "follow/stop.html", context)


@never_cache
def follow_stopped(request):
    return render(request, "follow/stopped.html", {})


def link_problem(request, *, expired=False, gone=False, stop=False):
    if expired:
        message = _(
            "This link has expired. A link to confirm works for %(days)d days. "
            "To get alerts, please sign up again on the trial page."
        ) % {"days": CONFIRM_DAYS}
    elif gone:
        message = _(
            "We no longer keep this sign-up: it was not confirmed within %(days)d days, or you stopped the alerts. "
            "To get alerts, please sign up again on the trial page."
        ) % {"days": CONFIRM_DAYS}
    elif stop:
        message = _(
            "This link is not complete, so we cannot tell whose alerts to stop. "
            "Please open the whole link from the email again, or write to %(email)s and we will stop them."
        ) % {"email": settings.OPERATOR_EMAIL}
    else:
        message = _(
            "This link is not complete. Please open the whole link from the email again, "
            "or sign up again on the trial page."
        )
    status = 410 if gone or expired else 400
    return render(request, "follow/link_problem.html", {"message": message}, status=status)
