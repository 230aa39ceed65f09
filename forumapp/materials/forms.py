"""Forms of the materials pages: the organizers' upload form and their plan for a forum's
materials mail, and the forms of a speaker's own page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileSize
from wtforms import (
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, NumberRange, Optional

from ..agenda.speaker_forms import MAX_PHOTO_BYTES, PHOTO_EXTENSIONS
from ..agenda.speaker_profiles import BIO_MAX
from ..core.forms import AppForm, Length
from .models import TITLE_MAX, URL_MAX, PacketTiming, Visibility


class MaterialForm(AppForm):
    target = SelectField("For", validators=[InputRequired("Choose the session.")])
    title = StringField(
        "Title", validators=[InputRequired("Give the material a title."), Length(max=TITLE_MAX)]
    )
    title_es = StringField("Title in Spanish (optional)", validators=[Length(max=TITLE_MAX)])
    visibility = SelectField(
        "Who may see it",
        choices=[(v.value, v.label) for v in Visibility],
        default=Visibility.PUBLIC.value,
    )
    file = FileField("File (PDF, slides, document, spreadsheet or image)")
    url = StringField("Or a link", validators=[Optional(), Length(max=URL_MAX)])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        has_file = bool(self.file.data and getattr(self.file.data, "filename", ""))
        if has_file == bool((self.url.data or "").strip()):
            self.file.errors = [*self.file.errors, "Choose a file or give a link (one of them)."]
            return False
        return ok


class SpeakerMaterialForm(AppForm):
    """A speaker's upload to one of their sessions (the speaker's page speaks their language)."""

    title = StringField(
        _l("Title"),
        validators=[InputRequired(_l("Give the material a title.")), Length(max=TITLE_MAX)],
    )
    visibility = SelectField(
        _l("Who may see it"),
        choices=[
            (Visibility.PUBLIC.value, _l("Everyone")),
            (Visibility.REGISTRANTS.value, _l("People registered for that day")),
        ],
        default=Visibility.PUBLIC.value,
    )
    file = FileField(_l("File (PDF, slides, document or image)"))


class SpeakerProfileForm(AppForm):
    """A speaker's own bio and photo, from their page (in their language)."""

    bio = TextAreaField(_l("Your short bio"), validators=[Length(max=BIO_MAX)])
    bio_es = TextAreaField(
        _l("Your short bio in Spanish (optional)"), validators=[Length(max=BIO_MAX)]
    )
    photo = FileField(
        _l("A new photo (optional)"),
        validators=[
            FileAllowed(PHOTO_EXTENSIONS, _l("Upload a JPEG, PNG, WebP or GIF image.")),
            FileSize(MAX_PHOTO_BYTES, message=_l("The photo must be 3 MB or smaller.")),
        ],
    )


class SpeakerAvailabilityForm(AppForm):
    """A time range on a forum day when the speaker can be scheduled."""

    day = SelectField(_l("Forum day"), validators=[InputRequired(_l("Choose a forum day."))])
    start = TimeField(_l("Available from"), validators=[InputRequired(_l("Enter a start time."))])
    end = TimeField(_l("Available until"), validators=[InputRequired(_l("Enter an end time."))])


class MaterialsPlanForm(AppForm):
    """Organizers' plan: the slides reminder's lead time and when the packet goes."""

    slides_reminder_days = IntegerField(
        "Remind speakers to upload slides this many days before the forum (empty: no reminder)",
        validators=[Optional(), NumberRange(1, 60, "Choose between 1 and 60 days.")],
    )
    packet_timing = RadioField(
        "Send the packet to everyone who attended",
        choices=[
            ("", "Not planned yet"),
            (PacketTiming.FEEDBACK_CLOSES.value, "As soon as feedback closes"),
            (PacketTiming.AT_TIME.value, "At a time I choose"),
        ],
        default="",
        validate_choice=True,
    )
    packet_send_at = DateTimeLocalField(
        "Time to send the packet", format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
