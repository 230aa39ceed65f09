"""Organizer forms for forums, days, rooms and agenda items."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, NumberRange, Optional, ValidationError

from ..core.forms import AppForm, DateField, DateTimeLocalField, IntegerField, Length
from ..core.models import DEFAULT_REMINDER_DAYS, Audience, parse_reminder_days
from ..extensions import db
from .forums import ACCESSIBILITY_CONTACT_MAX, LONG_TEXT_MAX, PARKING_INFO_MAX, number_taken
from .models import ItemKind, ItemStatus, SpeakerRole


def _coerce_optional_int(value):
    if value in (None, "", "None"):
        return None
    return int(value)


class ForumForm(AppForm):
    """A forum's details. Given its ``program`` (and the ``forum`` being edited), a number
    another forum has is reported with the form's other problems, not after them."""

    def __init__(self, *args, program=None, forum=None, **kwargs):
        super().__init__(*args, obj=forum, **kwargs)
        self._program, self._forum = program, forum

    def validate_number(self, field):
        if self._program is None or not field.data:
            return
        taken = number_taken(db.session, self._program, field.data, self._forum)
        if taken:
            raise ValidationError(taken)

    number = IntegerField(
        "Forum number",
        validators=[
            DataRequired("Give the forum's number in the series, e.g. 3."),
            NumberRange(min=1, max=99, message="Use a number from 1 to 99."),
        ],
    )
    title = StringField(
        "Title", validators=[DataRequired("Give the forum a title."), Length(max=200)]
    )
    title_es = StringField("Title in Spanish (optional)", validators=[Length(max=200)])
    theme = TextAreaField("Theme", validators=[Length(max=2000)])
    theme_es = TextAreaField("Theme in Spanish (optional)", validators=[Length(max=2000)])
    venue_name = StringField(
        "Venue name", validators=[DataRequired("Name the venue."), Length(max=200)]
    )
    venue_address = StringField(
        "Street address",
        validators=[DataRequired("Give the venue's street address."), Length(max=300)],
    )
    venue_city = StringField(
        "Town or city", validators=[DataRequired("Give the town or city."), Length(max=100)]
    )
    parking_info = TextAreaField("Parking", validators=[Length(max=PARKING_INFO_MAX)])
    parking_info_es = TextAreaField(
        "Parking in Spanish (optional)", validators=[Length(max=PARKING_INFO_MAX)]
    )
    accessibility_contact = StringField(
        "Accessibility contact", validators=[Length(max=ACCESSIBILITY_CONTACT_MAX)]
    )
    privacy_note = TextAreaField("Privacy note", validators=[Length(max=LONG_TEXT_MAX)])
    privacy_note_es = TextAreaField(
        "Privacy note in Spanish (optional)", validators=[Length(max=LONG_TEXT_MAX)]
    )
    confirmation_text = TextAreaField("Confirmation text", validators=[Length(max=LONG_TEXT_MAX)])
    confirmation_text_es = TextAreaField(
        "Confirmation text in Spanish (optional)", validators=[Length(max=LONG_TEXT_MAX)]
    )
    submit = SubmitField("Save forum")


class DayForm(AppForm):
    date = DateField("Date", validators=[DataRequired("Choose the day's date.")])
    audience = SelectField(
        "Who may attend",
        choices=[
            (Audience.PUBLIC.value, "Open to the public"),
            (Audience.TEAM.value, "Community teams only"),
        ],
    )
    starts_at = TimeField("Day starts", validators=[DataRequired("Give the start time.")])
    ends_at = TimeField("Day ends", validators=[DataRequired("Give the end time.")])
    registration_opens_at = DateTimeLocalField(
        "Registration opens", validators=[Optional()], format="%Y-%m-%dT%H:%M"
    )
    registration_closes_at = DateTimeLocalField(
        "Registration closes", validators=[Optional()], format="%Y-%m-%dT%H:%M"
    )
    capacity = IntegerField(
        "Day capacity",
        validators=[Optional(), NumberRange(min=1, message="Capacity must be at least 1.")],
    )
    reminder_days = StringField(
        "Reminders (days before the day)", default=DEFAULT_REMINDER_DAYS.replace(",", ", ")
    )
    notes = TextAreaField("Notes for the day", validators=[Length(max=LONG_TEXT_MAX)])
    notes_es = TextAreaField("Notes in Spanish (optional)", validators=[Length(max=LONG_TEXT_MAX)])
    submit = SubmitField("Save day")

    def validate_reminder_days(self, field):
        try:
            parse_reminder_days(field.data or "")
        except ValueError as problem:
            raise ValidationError(str(problem)) from None

    def validate_ends_at(self, field):
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError("The day must end after it starts.")

    def validate_registration_closes_at(self, field):
        opens = self.registration_opens_at.data
        if opens and field.data and field.data <= opens:
            raise ValidationError("Registration must close after it opens.")


class RoomForm(AppForm):
    name = StringField("Room name", validators=[DataRequired("Name the room."), Length(max=120)])
    capacity = IntegerField(
        "Seats",
        validators=[
            DataRequired("Give the number of seats."),
            NumberRange(min=1, max=100000, message="Seats must be at least 1."),
        ],
    )
    submit = SubmitField("Save room")


class ItemForm(AppForm):
    kind = SelectField("Kind", choices=[(k.value, k.label) for k in ItemKind])
    title = StringField(
        "Title", validators=[DataRequired("Give the session a title."), Length(max=200)]
    )
    title_es = StringField("Title in Spanish (optional)", validators=[Length(max=200)])
    description = TextAreaField("Description", validators=[Length(max=5000)])
    description_es = TextAreaField(
        "Description in Spanish (optional)", validators=[Length(max=5000)]
    )
    start = TimeField("Starts", validators=[DataRequired("Give the start time.")])
    end = TimeField("Ends", validators=[DataRequired("Give the end time.")])
    room_id = SelectField("Room", coerce=_coerce_optional_int, validate_choice=True)
    capacity = IntegerField(
        "Capacity",
        validators=[Optional(), NumberRange(min=1, message="Capacity must be at least 1.")],
    )
    confidential = BooleanField("Confidential: team-only material, never shown to the public")
    status = SelectField(
        "Status",
        choices=[
            (ItemStatus.SCHEDULED.value, "Scheduled"),
            (ItemStatus.DRAFT.value, "Draft: only staff see it"),
            (ItemStatus.CANCELLED.value, "Cancelled"),
        ],
        default=ItemStatus.SCHEDULED.value,
    )
    confirm = BooleanField("Save despite the warnings above")
    submit = SubmitField("Save session")

    def validate_end(self, field):
        if self.start.data and field.data and field.data <= self.start.data:
            raise ValidationError("The session must end after it starts.")


class MoveForm(AppForm):
    start = TimeField("New start time", validators=[DataRequired("Give the new start time.")])
    room_id = SelectField("Room", coerce=_coerce_optional_int, validate_choice=True)
    confirm = BooleanField("Move despite the warnings above")
    submit = SubmitField("Move session")


class ItemSpeakerForm(AppForm):
    speaker_id = SelectField("Speaker", coerce=int, validate_choice=True)
    role = SelectField("Role", choices=[(r.value, r.value.capitalize()) for r in SpeakerRole])
    submit = SubmitField("Add speaker")


class ActionForm(AppForm):
    """A button-only form: the CSRF token is all it carries."""

    value = HiddenField()


def room_choices(forum) -> list[tuple]:
    return [(None, "No room")] + [(r.id, f"{r.name} ({r.capacity} seats)") for r in forum.rooms]
