"""Private notes without JavaScript, sharing them, and opening what was shared.

With JavaScript, notes live in the guardian's browser (static/js/notes.js) and
these views receive only what the guardian chooses to share, sealed in the
browser. Without it, the notes page keeps the notes in its own form, as the
pre-screener keeps its answers, until the guardian shares or prints them.
Nothing here stores a note in plain text, and nothing logs a note, a passcode
or a key: log lines name only the row's number.
"""

import logging
from dataclasses import asdict

from django import forms
from django.conf import settings
from django.db import IntegrityError
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import get_language, gettext, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from trials import sealing
from trials.forms.notes import NoteForm, NotesField, OpenForm, SealedShareForm, ShareForm
from trials.models import Question, SharedNotes, Trial
from trials.notes import MAX_NOTES, RESULT_SECTION, TRIAL_SECTIONS, NotesError, notes_by_trial, notes_dump, notes_parse
from trials.ratelimit import address_rate_limited
from trials.views.language import remember_language

LOG = logging.getLogger(__name__)

# Per client address and hour. Each link also allows only 10 wrong passcodes in all.
SHARES_PER_HOUR = 20
OPENING_TRIES_PER_HOUR = 60


def rate_limited(request, scope: str, limit: int) -> bool:
    """Counts this request for the client address, in the same shared store as the contact form's limits."""
    return address_rate_limited(request, group=f"notes-{scope}", per_hour=limit)


def context_trials(data) -> list[Trial]:
    """The trials a page is about: those named, or every published trial."""
    named = {value.strip().upper() for value in data.getlist("trial") + [data.get("note_for", "")] if value.strip()}
    trials = Trial.objects.published()
    if named:
        trials = trials.filter(nct_id__in=named)
    return list(trials)


def carried_answers(data) -> list[tuple[str, str]]:
    """The pre-screener's answers that came along (hidden fields), to pass on to the doctor's page."""
    keys = set(Question.objects.values_list("key", flat=True))
    return [(key, value) for key, value in data.items() if key in keys and value]


def carried_notes(data) -> tuple[list, str]:
    try:
        return NotesField().clean(data.get("notes", "")), ""
    except forms.ValidationError as error:
        return [], error.messages[0]


def with_draft(notes: list, data, trials, sections) -> list:
    """The carried notes, plus a note typed but not yet saved: pressing "Share" or
    "For your child's doctor" with a note half done keeps it."""
    if not data.get("note-text", "").strip():
        return notes
    form = NoteForm(data, prefix="note", trials=trials, sections=sections)
    if form.is_valid() and len(notes) < MAX_NOTES:
        return [*notes, form.cleaned_data["note"]]
    return notes


def shared_url(request, shared: SharedNotes) -> str:
    """The link to send. It has no language prefix: it opens in the reader's own language."""
    with translation.override(settings.LANGUAGE_CODE):
        return settings.SITE_URL + reverse("shared_notes", args=[shared.link])


def long_datetime(value) -> str:
    """The date and time in the page's language, with the server's time zone named (the reader's may differ)."""
    local = timezone.localtime(value)
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} ({local.tzname()})"


def wants_json(request) -> bool:
    return request.headers.get("Accept", "").startswith("application/json")


# ---------------------------------------------------------------------------
# The notes page, without JavaScript


@never_cache
@require_http_methods(["GET", "POST"])
def notes_page(request):
    data = request.POST if request.method == "POST" else request.GET
    return render_notes_page(request, data)


def render_notes_page(request, data, *, share_form=None, status=200):
    trials = context_trials(data)
    if not trials:
        raise Http404("No such trial")
    answers = carried_answers(data) if request.method == "POST" else []
    sections = [*TRIAL_SECTIONS, RESULT_SECTION] if answers else list(TRIAL_SECTIONS)
    notes, problem = carried_notes(data) if request.method == "POST" else ([], "")
    action = data.get("action", "")
    editing = index_in(data.get("editing"), notes)
    section = data.get("section", "")
    if data.get("note_for") and answers:
        section = RESULT_SECTION
    section = section if section in sections else "summary"
    initial = {"trial": data.get("note_for") or trials[0].nct_id, "section": section}
    message = ""
    form = None
    if request.method == "POST" and action == "save":
        form = NoteForm(data, prefix="note", trials=trials, sections=sections)
        if editing is None and len(notes) >= MAX_NOTES:
            form.is_valid()
            form.add_error(
                None,
                gettext("You can keep up to %(count)d notes. Share or print these, then start again.")
                % {"count": MAX_NOTES},
            )
        elif form.is_valid():
            note = form.cleaned_data["note"]
            if editing is None:
                notes.append(note)
                message = gettext("Your note is kept on this page.")
            else:
                notes[editing] = note
                message = gettext("Your note is changed.")
            initial = {"trial": note.trial, "section": note.section}
            form, editing = None, None
    elif action.startswith("edit-") and (index := index_in(action.removeprefix("edit-"), notes)) is not None:
        editing = index
        form = NoteForm(prefix="note", initial=asdict(notes[index]), trials=trials, sections=sections)
    elif action.startswith("delete-") and (index := index_in(action.removeprefix("delete-"), notes)) is not None:
        del notes[index]
        editing = None
        message = gettext("The note is deleted.")
    elif action == "language":
        # Keep a note being written, without judging it yet.
        typed = {name: data.get(f"note-{name}", "") for name in ("trial", "section", "passage", "text")}
        initial.update({name: value for name, value in typed.items() if value})
        form = NoteForm(prefix="note", initial=initial, trials=trials, sections=sections)
    if form is None:
        form = NoteForm(prefix="note", initial=initial, trials=trials, sections=sections)

    titles = {trial.nct_id: trial for trial in trials}
    context = {
        "trials": trials,
        "form": form,
        "notes": list(enumerate(notes)),
        "notes_by_trial": [(titles.get(nct_id), group) for nct_id, group in notes_by_trial(notes).items()],
        "notes_json": notes_dump(notes),
        "editing": editing,
        "answers": answers,
        "message": message,
        "problem": problem,
        "share_form": share_form or ShareForm(initial={"days": 7, "link": sealing.link_new()}),
        "max_notes": MAX_NOTES,
    }
    response = render(request, "notes/notes.html", context, status=status)
    if action == "language":
        remember_language(response, get_language())
    return response


def index_in(value, notes) -> int | None:
    try:
        index = int(value)
    except (TypeError, ValueError):
        return None
    return index if 0 <= index < len(notes) else None


# ---------------------------------------------------------------------------
# Sharing


@never_cache
@require_http_methods(["GET", "POST"])
def share(request):
    if request.method == "GET":
        # With JavaScript the notes are in this browser: notes.js lists them here and seals them.
        trials = context_trials(request.GET)
        context = {"trials": trials, "form": ShareForm(initial={"days": 7}), "kdf": kdf_parameters()}
        return render(request, "notes/share.html", context)
    if "ciphertext" in request.POST:
        return share_sealed(request)
    return share_plain(request)


def kdf_parameters() -> dict:
    return {"n": sealing.KDF_N, "r": sealing.KDF_R, "p": sealing.KDF_P}


def share_sealed(request):
    """The browser sealed the notes: store the ciphertext, answer with the link."""
    if rate_limited(request, "share", SHARES_PER_HOUR):
        return JsonResponse({"error": too_many_text()}, status=429)
    form = SealedShareForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"error": gettext("The notes could not be shared. Please try again.")}, status=400)
    shared = sealing.shared_notes_create(sealed=form.cleaned_data["sealed"], days=form.cleaned_data["days"])
    LOG.info("Shared notes %s made, sealed in the browser, for %d days", shared.pk, form.cleaned_data["days"])
    return JsonResponse(
        {
            "link": shared_url(request, shared),
            "expires": long_datetime(shared.expires_at),
            "expires_at": shared.expires_at.isoformat(),
        }
    )


def share_plain(request):
    """Without JavaScript: seal the notes here, show the link and the passcode once, keep neither in plain text."""
    data = request.POST
    trials = context_trials(data)
    sections = [*TRIAL_SECTIONS, RESULT_SECTION]
    notes, _problem = carried_notes(data)
    notes = with_draft(notes, data, trials, sections)
    data = data.copy()
    data["notes"] = notes_dump(notes)
    for name in ("note-passage", "note-text"):
        data.pop(name, None)
    form = ShareForm(data)
    if not form.is_valid():
        return render_notes_page(request, data, share_form=form)
    if rate_limited(request, "share", SHARES_PER_HOUR):
        return render(request, "notes/too_many.html", status=429)
    link = form.cleaned_data["link"] or None
    if link and SharedNotes.objects.filter(link=link).exists():
        # The same form sent again (a reload): the passcode was shown once, and cannot be shown again.
        return render(request, "notes/made.html", {"again": True})
    passcode = sealing.passcode_new()
    sealed = sealing.seal(notes_dump(form.cleaned_data["notes"]).encode(), passcode)
    try:
        shared = sealing.shared_notes_create(sealed=sealed, days=form.cleaned_data["days"], link=link)
    except IntegrityError:
        return render(request, "notes/made.html", {"again": True})
    LOG.info("Shared notes %s made, sealed on the server, for %d days", shared.pk, form.cleaned_data["days"])
    context = {
        "link": shared_url(request, shared),
        "passcode": sealing.passcode_display(passcode),
        "expires": long_datetime(shared.expires_at),
        "count": len(form.cleaned_data["notes"]),
    }
    return render(request, "notes/made.html", context)


def too_many_text() -> str:
    return gettext("Too many tries from this connection. Please wait an hour and try again.")


# ---------------------------------------------------------------------------
# Opening shared notes


def shared_lookup(link: str) -> SharedNotes | None:
    shared = SharedNotes.objects.filter(link=link).first()
    if shared is not None and shared.is_expired:
        # Past its time: gone now, whether or not the purge has run yet.
        shared.delete()
        return None
    return shared


def gone(request, shared: SharedNotes | None):
    state = shared.state if shared else "missing"
    if wants_json(request):
        return JsonResponse({"state": state, "error": gone_text(state)}, status=404 if shared is None else 410)
    return render(request, "notes/gone.html", {"state": state}, status=404 if shared is None else 410)


def gone_text(state: str) -> str:
    if state == SharedNotes.State.DESTROYED:
        return gettext("These notes were destroyed after 10 wrong passcodes. Nobody can open them now.")
    if state == SharedNotes.State.DELETED:
        return gettext("These notes were deleted by someone who had the passcode.")
    return gettext("There are no notes at this link. It may have expired, or the link may be incomplete.")


def prove(request, shared: SharedNotes, form: OpenForm):
    """Checks the passcode (or the browser's opening key). Returns the keys when it is right,
    and None, with the form's error, when it is wrong."""
    if not form.is_valid():
        return None
    keys = None
    opening_key = form.cleaned_data.get("opening_key")
    if opening_key is None:
        keys = sealing.keys_derive(
            form.cleaned_data["passcode"], bytes(shared.salt), n=shared.kdf_n, r=shared.kdf_r, p=shared.kdf_p
        )
        opening_key = keys.opening
    if sealing.shared_notes_prove(shared=shared, opening_key=opening_key):
        return keys or True
    LOG.info("Shared notes %s: wrong passcode, %d tries left", shared.pk, shared.tries_left)
    if shared.state == SharedNotes.State.SEALED:
        form.add_error(
            "passcode",
            ngettext(
                "The passcode is not right. After %(count)d more wrong try, the notes will be destroyed.",
                "The passcode is not right. After %(count)d more wrong tries, the notes will be destroyed.",
                shared.tries_left,
            )
            % {"count": shared.tries_left},
        )
    else:
        LOG.info("Shared notes %s destroyed after too many wrong passcodes", shared.pk)
    return None


def shared_context(shared: SharedNotes, form: OpenForm) -> dict:
    # The browser opens the notes itself: it needs the salt, and the trials' names and pages.
    trial_index = {
        trial.nct_id: {"title": trial.plain_title or trial.brief_title, "url": trial.get_absolute_url()}
        for trial in Trial.objects.published()
    }
    return {
        "shared": shared,
        "form": form,
        "kdf": kdf_parameters(),
        "salt_b64": sealing.b64encode(shared.salt),
        "expires": long_datetime(shared.expires_at),
        "trial_index": trial_index,
    }


@never_cache
@require_http_methods(["GET", "POST"])
def shared_notes(request, link):
    shared = shared_lookup(link)
    if shared is None or shared.state != SharedNotes.State.SEALED:
        return gone(request, shared)
    form = OpenForm(request.POST or None)
    context = shared_context(shared, form)
    if request.method == "GET":
        return render(request, "notes/shared.html", context)
    if rate_limited(request, "open", OPENING_TRIES_PER_HOUR):
        if wants_json(request):
            return JsonResponse({"error": too_many_text()}, status=429)
        return render(request, "notes/too_many.html", status=429)
    keys = prove(request, shared, form)
    if keys is None:
        if shared.state != SharedNotes.State.SEALED:
            return gone(request, shared)
        if wants_json(request):
            error = form.errors.get("passcode", [gettext("The passcode is not right.")])[0]
            return JsonResponse({"error": error, "tries_left": shared.tries_left}, status=403)
        return render(request, "notes/shared.html", context)
    if wants_json(request):
        # The browser proved the passcode; it decrypts the notes itself.
        return JsonResponse(
            {"nonce": sealing.b64encode(shared.nonce), "ciphertext": sealing.b64encode(shared.ciphertext)}
        )
    if keys is True:
        # An opening key without the passcode cannot decrypt here: only the browser that made it can.
        return render(request, "notes/shared.html", context)
    try:
        notes = notes_parse(sealing.unseal(shared, keys.encryption).decode("utf-8"))
    except (sealing.SealingError, NotesError, UnicodeDecodeError):
        LOG.warning("Shared notes %s could not be read after a right passcode", shared.pk)
        return render(request, "notes/gone.html", {"state": "unreadable"}, status=500)
    trials = {trial.nct_id: trial for trial in Trial.objects.published().filter(nct_id__in={n.trial for n in notes})}
    context.update(
        {
            "opened": True,
            "passcode": form.cleaned_data["passcode"],
            "notes_by_trial": [(trials.get(nct_id), nct_id, group) for nct_id, group in notes_by_trial(notes).items()],
            "notes_json": notes_dump(notes),
            "nct_ids": sorted(trials),
        }
    )
    response = render(request, "notes/shared.html", context)
    if request.POST.get("action") == "language":
        remember_language(response, get_language())
    return response


@never_cache
@require_POST
def shared_notes_delete(request, link):
    shared = shared_lookup(link)
    if shared is None or shared.state != SharedNotes.State.SEALED:
        return gone(request, shared)
    if rate_limited(request, "open", OPENING_TRIES_PER_HOUR):
        if wants_json(request):
            return JsonResponse({"error": too_many_text()}, status=429)
        return render(request, "notes/too_many.html", status=429)
    form = OpenForm(request.POST)
    if prove(request, shared, form) is None:
        if shared.state != SharedNotes.State.SEALED:
            return gone(request, shared)
        if wants_json(request):
            return JsonResponse({"error": form.errors.get("passcode", [""])[0]}, status=403)
        return render(request, "notes/shared.html", shared_context(shared, form))
    sealing.shared_notes_wipe(shared=shared, state=SharedNotes.State.DELETED)
    LOG.info("Shared notes %s deleted by someone with the passcode", shared.pk)
    if wants_json(request):
        return JsonResponse({"state": shared.state, "message": deleted_text()})
    return render(request, "notes/gone.html", {"state": "just_deleted"})


def deleted_text() -> str:
    return gettext("The notes are deleted. Nobody can open them now, and the link no longer works.")
