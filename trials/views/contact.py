"""The contact page: find the nearest study site, then write to its team.

One form with two buttons, so it works without JavaScript: "Find sites near
me" shows the sites by distance and keeps everything typed so far; "Send
message" validates, stores and queues the message, then redirects. The form
validates (trials/forms/contact.py), the service stores and queues
(trials/services.py), and the rate limit and the submission key live in
trials/ratelimit.py and trials/submission.py.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from trials import submission
from trials.emails import long_date, phone_country, phone_display
from trials.forms.contact import LOCATION_MAX, ContactForm, consent_sentence, site_region
from trials.geo import COORDINATES, Resolution, default_site, nearest_place, place_by_id, resolve_place
from trials.localnames import BABEL_LOCALES, load_local_names, place_label
from trials.models import ContactMessage
from trials.published import FIRST_SITES, nearest_of, trial_page
from trials.ratelimit import contact_rate_limited
from trials.services import Guardian, contact_message_create, repeat_key_for
from trials.views.language import remember_language

SITES_SHOWN = FIRST_SITES
SENT_TOKEN_SALT = "trials.contact.sent"  # noqa: S105 (a signing namespace, not a secret)
SENT_TOKEN_MAX_AGE = 24 * 3600
# Fields a later step carries; personal data never comes from a link (GET).
CARRIED_BY_POST = set(ContactForm.base_fields) - {"consent", "submission_id", "website", "site", "location"}
TRUE = {"1", "on", "true", "True", "yes"}


@never_cache
def contact(request, nct_id):
    page = trial_page(nct_id.upper())
    if page is None:
        raise Http404("No such trial")
    trial = page.trial
    data = request.POST if request.method == "POST" else request.GET
    action = data.get("action", "")
    located = locate(data)
    sites = sites_for(page, located.resolution)
    binding = submission.binding(request)
    chosen = find_site(sites, data.get("site"))
    form_options = {
        "sites": sites,
        "binding": binding,
        "place_region": located.resolution.place.country_code if located.resolution.place else None,
    }

    if request.method == "POST" and action == "send":
        form = ContactForm(
            request.POST, consent_site=chosen or find_site(sites, data.get("consent_site")), **form_options
        )
        if form.is_valid():
            # A repeat of a form already stored (a double tap, a reload) is not a new send.
            repeat = ContactMessage.objects.filter(submission_key=form.cleaned_data["submission_id"]).exists()
            if not repeat and contact_rate_limited(request, email=form.cleaned_data["email"]):
                return render_page(request, trial, form, sites, located, blocked=True, status=429)
            return send(request, trial, form, located)
        status = 400 if form.has_error("website", "honeypot") else 200
        return render_page(request, trial, form, sites, located, chosen=chosen, status=status)

    # First visit, "Find sites near me", a language switch, or arriving from the
    # pre-screener: show what was typed so far, without complaining about empty fields.
    chosen = chosen or default_site(sites)
    form = ContactForm(initial=initial_values(request, data, located, chosen), consent_site=chosen, **form_options)
    response = render_page(request, trial, form, sites, located, chosen=chosen)
    if action == "language":
        # Switched language with the page's own switcher: remember it, as the link does.
        remember_language(response, get_language())
    return response


def send(request, trial, form, located):
    data = form.cleaned_data
    include = data["include_summary"]
    created = contact_message_create(
        trial=trial,
        site=form.chosen_site,
        guardian=Guardian(**form.guardian_fields()),
        text=data["message"],
        place=located.resolution,
        place_label=located.text,
        language=get_language() or settings.LANGUAGE_CODE,
        prescreen_summary=data["prescreen_summary"] if include else "",
        prescreen_outcome=data["prescreen_outcome"] if include else "",
        submission_key=data["submission_id"],
        repeat_key=repeat_key_for(
            binding=form.binding, site=form.chosen_site, email=data["email"], text=data["message"]
        ),
    )
    token = signing.dumps(created.message.pk, salt=SENT_TOKEN_SALT)
    return redirect("trial_contact_sent", nct_id=trial.nct_id, token=token)


def render_page(request, trial, form, sites, located, *, chosen=None, blocked=False, status=200):
    language = get_language()
    resolution = located.resolution
    load_local_names([place.geonameid for place in resolution.candidates])  # one pass for all the buttons
    context = {
        "trial": trial,
        "form": form,
        "sites": sites,
        "resolution": resolution,
        "location_label": place_label(resolution.place, language) if resolution.place else resolution.label,
        "candidates": [(place.geonameid, place_label(place, language)) for place in resolution.candidates],
        "chosen_place": located.place_id,
        "nearest_recruiting": default_site(sites),
        "abroad": is_abroad(resolution, sites),
        "any_recruiting": any(site.is_recruiting for site in sites),
        "from_prescreen": bool(form["from_prescreen"].value() and form["prescreen_summary"].value()),
        "consent_template": consent_sentence("__SITE__"),
        "consent_site": chosen.pk if chosen else form["consent_site"].value(),
        "submission_id": submission.key_for_form(form["submission_id"].value() or "", binding=form.binding),
        "blocked": blocked,
        "error_links": error_links(form, sites) if form.is_bound and form.errors and not blocked else [],
    }
    return render(request, "contact/contact.html", context, status=status)


def initial_values(request, data, located, chosen) -> dict:
    initial = {"preferred_language": get_language() or settings.LANGUAGE_CODE}
    if request.method == "POST":
        initial.update({key: value for key, value in data.items() if key in CARRIED_BY_POST})
    initial["location"] = located.text
    initial["submission_id"] = data.get("submission_id", "") if request.method == "POST" else ""
    for flag in ("include_summary", "from_prescreen"):
        initial[flag] = data.get(flag, "") in TRUE
    if not data.get("action") and initial["from_prescreen"] and "include_summary" not in data:
        # The pre-screener sends its summary only when the guardian ticked
        # "include" there; an explicit include_summary=0 still wins.
        initial["include_summary"] = bool(data.get("prescreen_summary", "").strip())
    initial["site"] = chosen.pk if chosen else None
    initial["consent_site"] = chosen.pk if chosen else None
    return initial


def error_links(form, sites) -> list[tuple[str, str]]:
    """(anchor, message) for the summary at the top: each error links to its field."""
    links = []
    for name, errors in form.errors.items():
        if name == "__all__":
            links.extend(("contact-form", str(error)) for error in errors)
            continue
        if name == "site":
            anchor = f"site-{sites[0].pk}" if sites else "step-site"
        elif name == "relationship":
            anchor = "id_relationship_0"
        else:
            anchor = form[name].auto_id
        links.extend((anchor, str(error)) for error in errors)
    return links


@dataclass(frozen=True)
class Located:
    resolution: Resolution
    text: str  # what the location box shows, and what is stored with the message
    place_id: int | None = None  # a place chosen by its button or named from a device position


def locate(data) -> Located:
    """Where the guardian is, from what the form sent.

    A candidate button sends its place's number, and a chosen place stays a
    place name. A device's position is rounded to about 1 km and replaced by
    the nearest place's name: no raw position is ever shown, stored or sent.
    """
    language = get_language()
    typed = " ".join(str(data.get("location", ""))[:LOCATION_MAX].split())
    for value, must_match in ((data.get("place", ""), False), (data.get("chosen_place", ""), True)):
        place = place_by_id(int(value)) if str(value).isdigit() and len(str(value)) < 12 else None
        if place and (not must_match or typed in labels(place)):
            return Located(found(place), place_label(place, language), place.geonameid)
    resolution = resolve_place(typed)
    if resolution.found and COORDINATES.match(typed):
        latitude, longitude = round(resolution.latitude, 2), round(resolution.longitude, 2)
        place = nearest_place(latitude, longitude)
        if place:
            return Located(found(place), place_label(place, language), place.geonameid)
        text = f"{latitude:.2f},{longitude:.2f}"
        return Located(Resolution("found", text, latitude, longitude, text), text)
    return Located(resolution, typed)


def is_abroad(resolution, sites) -> bool:
    """True when every listed site is in another country than the guardian's place."""
    if not (resolution.place and sites):
        return False
    return all(site_region(site) not in (None, resolution.place.country_code) for site in sites)


def found(place) -> Resolution:
    return Resolution("found", place.name, place.latitude, place.longitude, place.label, place)


def labels(place) -> set[str]:
    return {place_label(place, language) for language in BABEL_LOCALES}


def sites_for(page, resolution) -> list:
    """The nearest sites to the guardian's place, else the first ones, the sponsor's country first."""
    if resolution.found:
        return nearest_of(page, latitude=resolution.latitude, longitude=resolution.longitude, limit=SITES_SHOWN)
    return page.home_sites[:SITES_SHOWN]


def find_site(sites: list, value):
    try:
        wanted = int(value)
    except (TypeError, ValueError):
        return None
    return next((site for site in sites if site.pk == wanted), None)


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
    # Only the browser that sent the message sees its address and number.
    own = bool(message.submission_key) and submission.is_own(
        message.submission_key, binding=submission.binding(request)
    )
    language = get_language()
    context = {
        "message": message,
        "trial": message.trial,
        "site": message.site,
        "own": own,
        "phone": phone_display(message.phone, message.phone_extension),
        "phone_country": phone_country(message.phone, language),
        "reply_by": long_date(message.reply_due(), language),
        "operator_email": settings.OPERATOR_EMAIL,
    }
    return render(request, "contact/sent.html", context)
