"""Forms of the notes pages: a note, sharing, opening shared notes, the doctor's page.

They check and normalise only. Notes travel as one JSON list (trials/notes.py).
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from trials import sealing
from trials.forms import field_helper
from trials.notes import MAX_PASSAGE, MAX_TEXT, SECTIONS, Note, NotesError, note_make, notes_parse


class NotesField(forms.CharField):
    """The notes carried so far, as a hidden JSON list."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, strip=False, **kwargs)

    def to_python(self, value) -> list[Note]:
        try:
            return notes_parse(super().to_python(value))
        except NotesError:
            raise forms.ValidationError(
                _("We could not read the notes carried on this page. Please write them again."), code="notes"
            ) from None


class NoteForm(forms.Form):
    """One note, written without JavaScript."""

    helper = field_helper()

    trial = forms.ChoiceField(label=_("Trial"))
    section = forms.ChoiceField(label=_("Part of the page"))
    passage = forms.CharField(
        label=_("The words your note is about (optional)"),
        help_text=_("Copy them from the page if you like, so you remember what the note is about."),
        required=False,
        max_length=MAX_PASSAGE,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    text = forms.CharField(
        label=_("Your note"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Write your note here first.")},
    )

    def __init__(self, *args, trials, sections, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trial"].choices = [(t.nct_id, f"{t.plain_title or t.brief_title} ({t.nct_id})") for t in trials]
        self.fields["section"].choices = [(key, SECTIONS[key]) for key in sections]

    def clean(self):
        data = super().clean()
        if not self.errors:
            try:
                data["note"] = note_make(
                    trial=data["trial"], section=data["section"], passage=data["passage"], text=data["text"]
                )
            except NotesError:
                raise forms.ValidationError(_("This note cannot be saved. Please check it."), code="note") from None
        return data


class DaysField(forms.TypedChoiceField):
    def __init__(self, **kwargs):
        choices = [
            (1, _("1 day")),
            (7, _("7 days")),
            (30, _("30 days")),
        ]
        assert [days for days, _label in choices] == list(sealing.LIFETIME_DAYS)
        super().__init__(
            label=_("How long should the link work?"),
            choices=choices,
            coerce=int,
            initial=7,
            widget=forms.RadioSelect,
            error_messages={"required": _("Choose how long the link should work.")},
            **kwargs,
        )


class ShareForm(forms.Form):
    """Sharing without JavaScript: the notes come as plain text and the server seals them."""

    helper = field_helper()

    days = DaysField()
    notes = NotesField()
    link = forms.RegexField(regex=r"^[A-Za-z0-9_-]{22}$", required=False, widget=forms.HiddenInput)

    def clean_notes(self):
        notes = self.cleaned_data["notes"]
        if not notes:
            raise forms.ValidationError(_("There are no notes to share yet."), code="empty")
        return notes


class SealedShareForm(forms.Form):
    """Sharing with JavaScript: the browser has sealed the notes; only ciphertext arrives."""

    helper = field_helper()

    days = DaysField()
    salt = forms.CharField(max_length=64)
    nonce = forms.CharField(max_length=64)
    ciphertext = forms.CharField(max_length=sealing.MAX_CIPHERTEXT_BYTES * 4 // 3 + 8)
    verifier = forms.CharField(max_length=64)
    kdf_n = forms.IntegerField()
    kdf_r = forms.IntegerField()
    kdf_p = forms.IntegerField()

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            data["sealed"] = sealing.Sealed(
                salt=sealing.b64decode(data["salt"]),
                nonce=sealing.b64decode(data["nonce"]),
                ciphertext=sealing.b64decode(data["ciphertext"]),
                verifier=sealing.b64decode(data["verifier"]),
                kdf_n=data["kdf_n"],
                kdf_r=data["kdf_r"],
                kdf_p=data["kdf_p"],
            )
            data["sealed"].check()
        except sealing.SealingError:
            raise forms.ValidationError(_("The sealed notes could not be read."), code="sealed") from None
        return data


class OpenForm(forms.Form):
    """The passcode, typed; or, from the browser or an opened page, the opening key it gives."""

    helper = field_helper()

    passcode = forms.CharField(
        label=_("Passcode"),
        required=False,
        max_length=64,
        help_text=_("16 digits. Spaces do not matter."),
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false", "autocapitalize": "off"}
        ),
    )
    proof = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if data.get("proof"):
            try:
                data["opening_key"] = sealing.b64decode(data["proof"], size=sealing.KEY_BYTES)
            except sealing.SealingError:
                raise forms.ValidationError(_("The passcode is not right."), code="proof") from None
            return data
        passcode = sealing.passcode_normalize(data.get("passcode", ""))
        if not passcode:
            self.add_error("passcode", _("Type the passcode you were sent."))
        elif not sealing.passcode_is_wellformed(passcode):
            self.add_error(
                "passcode", _("The passcode has 16 digits. Check that you typed all of them, and only digits.")
            )
        data["passcode"] = passcode
        return data


class DoctorForm(forms.Form):
    """What the doctor's page shows: which trials, the carried notes, and whether to show the answers."""

    trial = forms.MultipleChoiceField(required=False)
    notes = NotesField()
    include_answers = forms.BooleanField(required=False, label=_("Show my answers on the page for the doctor"))
    format = forms.ChoiceField(choices=[("html", "html"), ("pdf", "pdf")], required=False)

    def __init__(self, *args, nct_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trial"].choices = [(nct_id, nct_id) for nct_id in nct_ids]
