"""The contact page: find the nearest study site, then write to its team.

One form with two buttons, so it works without JavaScript: "Find sites near
me" shows the sites by distance and keeps everything typed so far; "Send
message" validates, stores and queues the message, then redirects.
"""

import hashlib
import secrets

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from trials.forms.contact import ContactForm, consent_sentence
from trials.geo import default_site, nearest_sites, resolve_place
from trials.models import ContactMessage, Trial
from trials.services import contact_message_create
from trials.views.language import remember_language

SITES_SHOWN = 20
SENT_TOKEN_SALT = "trials.contact.sent"  # noqa: S105 (a signing namespace, not a secret)
SENT_TOKEN_MAX_AGE = 24 * 3600


@never_cache
def contact(request, nct_id):
    trial = get_object_or_404(Trial.objects.published(), nct_id=nct_id.upper())
    data = request.POST if request.method == "POST" else request.GET
    action = data.get("action", "")
    # A candidate button of an ambiguous place name sends its coordinates.
    location = data.get("place") or data.get("location", "")
    resolution = resolve_place(location[:200])
    sites = sites_for(trial, resolution)
    nearest_recruiting = default_site(sites)

    if request.method == "POST" and action == "send":
        chosen = find_site(sites, data.get("site"))
        form = ContactForm(request.POST, sites=sites, consent_site=chosen or find_site(sites, data.get("consent_site")))
        if form.data.get("website"):
            blocked, status = True, 400
        elif form.is_valid() and over_rate_limit(request, form.cleaned_data["email"]):
            blocked, status = True, 429
        elif form.is_valid() and (earlier := already_sent(form.cleaned_data["submission_id"])):
            # The same form sent twice (a double tap, a reload): one message, one confirmation.
            return redirect("trial_contact_sent", nct_id=trial.nct_id, token=earlier)
        elif form.is_valid():
            site = form.chosen_site
            summary = form.cleaned_data["prescreen_summary"] if form.cleaned_data["include_summary"] else ""
            message = contact_message_create(
                trial=trial,
                site=site,
                data={
                    **form.cleaned_data,
                    "latitude": resolution.latitude if resolution.found else None,
                    "longitude": resolution.longitude if resolution.found else None,
                },
                consent_text=consent_sentence(site.facility),
                language=get_language() or settings.LANGUAGE_CODE,
                prescreen_summary=summary,
            )
            token = signing.dumps(message.pk, salt=SENT_TOKEN_SALT)
            remember_sent(form.cleaned_data["submission_id"], token)
            return redirect("trial_contact_sent", nct_id=trial.nct_id, token=token)
        else:
            blocked, status = False, 200
        # The box is shown again naming the chosen site; the hidden field must agree.
        if chosen:
            form.data = form.data.copy()
            form.data["consent_site"] = str(chosen.pk)
    else:
        blocked, status = False, 200
        # First visit, "Find sites near me", or arriving from the pre-screener:
        # show what was typed so far, without complaining about empty fields.
        initial = {"preferred_language": get_language() or settings.LANGUAGE_CODE}
        initial.update({key: value for key, value in data.items() if key in ContactForm.base_fields})
        initial["location"] = location
        initial.pop("consent", None)
        for flag in ("include_summary", "from_prescreen"):
            initial[flag] = data.get(flag, "") in {"1", "on", "true", "True", "yes"}
        if not action and initial["from_prescreen"] and "include_summary" not in data:
            # The pre-screener sends its summary only when the guardian ticked
            # "include" there; an explicit include_summary=0 still wins.
            initial["include_summary"] = bool(data.get("prescreen_summary", "").strip())
        initial["submission_id"] = data.get("submission_id") or secrets.token_urlsafe(16)
        chosen = find_site(sites, data.get("site")) or nearest_recruiting
        initial["site"] = chosen.pk if chosen else None
        initial["consent_site"] = chosen.pk if chosen else None
        form = ContactForm(initial=initial, sites=sites, consent_site=chosen)

    context = {
        "trial": trial,
        "form": form,
        "sites": sites,
        "resolution": resolution,
        "nearest_recruiting": nearest_recruiting,
        "any_recruiting": any(site.is_recruiting for site in sites),
        "from_prescreen": bool(form["from_prescreen"].value() and form["prescreen_summary"].value()),
        "consent_template": consent_sentence("__SITE__"),
        "blocked": blocked,
    }
    response = render(request, "contact/contact.html", context, status=status)
    if action == "language":
        # Switched language with the page's own switcher: remember it, as the link does.
        remember_language(response, get_language())
    return response


def sites_for(trial, resolution) -> list:
    sites = trial.sites.active()
    if resolution.found:
        return nearest_sites(sites, latitude=resolution.latitude, longitude=resolution.longitude, limit=SITES_SHOWN)
    listed = list(sites[:SITES_SHOWN])
    for site in listed:
        site.distance_km = None
    return listed


def find_site(sites: list, value):
    try:
        wanted = int(value)
    except (TypeError, ValueError):
        return None
    return next((site for site in sites if site.pk == wanted), None)


def submission_key(submission_id: str) -> str:
    return "contact-sent:" + hashlib.sha256(f"{settings.SECRET_KEY}:{submission_id}".encode()).hexdigest()[:32]


def already_sent(submission_id: str) -> str | None:
    """The confirmation token of a message already sent from this same form, if any."""
    return cache.get(submission_key(submission_id)) if submission_id else None


def remember_sent(submission_id: str, token: str) -> None:
    if submission_id:
        cache.set(submission_key(submission_id), token, SENT_TOKEN_MAX_AGE)


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, or behind a proxy the header it sets.

    The last entry of X-Forwarded-For is the one our own proxy added; earlier
    entries come from the client and could be anything.
    """
    if settings.CLIENT_IP_HEADER:
        forwarded = request.META.get(settings.CLIENT_IP_HEADER, "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def over_rate_limit(request, email: str) -> bool:
    """Counts this send for the client address and the email address.

    Counters live in Django's cache, so with a shared cache (CACHE_URL=redis://)
    every process counts together. Keys are hashed: no address is stored.
    """
    window, limit = settings.CONTACT_RATE_WINDOW_SECONDS, settings.CONTACT_RATE_LIMIT
    over = False
    for kind, value in (("ip", client_address(request)), ("email", email.casefold())):
        key = "contact-rate:" + kind + ":" + hashlib.sha256(f"{settings.SECRET_KEY}:{value}".encode()).hexdigest()[:32]
        cache.add(key, 0, window)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, window)
            count = 1
        over = over or count > limit
    return over


@never_cache
def contact_sent(request, nct_id, token):
    try:
        message_id = signing.loads(token, salt=SENT_TOKEN_SALT, max_age=SENT_TOKEN_MAX_AGE)
    except signing.BadSignature:
        raise Http404(_("This page has expired.")) from None
    message = get_object_or_404(
        ContactMessage.objects.select_related("site", "trial"), pk=message_id, trial__nct_id=nct_id.upper()
    )
    if message.personal_data_purged_at:
        raise Http404(_("This page has expired."))
    return render(request, "contact/sent.html", {"message": message, "trial": message.trial, "site": message.site})
