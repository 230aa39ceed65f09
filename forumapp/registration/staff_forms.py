"""Forms of the organizer's registration pages and the project manager's roster page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, NumberRange, Optional

from ..core.csv_import import csv_file_field
from ..core.forms import AppForm, DateTimeLocalField, IntegerField, Length, search_field
from ..core.models import Sector
from .forms import MultiCheckboxField


def optional_int(value):
    if value in (None, "", "None"):
        return None
    return int(value)


class RosterUploadForm(AppForm):
    file = csv_file_field(
        "Roster file (CSV)",
        too_big="The file must be 1 MB or smaller; split a larger roster into parts.",
    )


class RosterMemberForm(AppForm):
    """A project manager's form, on a page reached from their personal link: in their
    language."""

    name = StringField(
        _l("Full name"),
        validators=[DataRequired(_l("Enter the person's full name.")), Length(max=200)],
    )
    email = EmailField(
        _l("Email"), validators=[DataRequired(_l("Enter the person's email.")), Length(max=254)]
    )
    sector = SelectField(
        _l("Sector (optional)"),
        choices=[("", _l("Not said"))] + [(sector.value, sector.lazy_label) for sector in Sector],
        default="",
    )
    submit = SubmitField(_l("Add to the roster"))


class InvitationForm(AppForm):
    team_id = SelectField("Who", coerce=optional_int, validators=[Optional()])
    send_again = BooleanField("Also send again to people who were already invited")
    submit = SubmitField("Send invitations")


class ManualRegistrationForm(AppForm):
    email = EmailField("Email", validators=[DataRequired("Enter the email."), Length(max=254)])
    name = StringField("Full name (for someone new)", validators=[Length(max=200)])
    organization = StringField("Organization (for someone new)", validators=[Length(max=200)])
    day_ids = MultiCheckboxField("Days", coerce=int)
    override = BooleanField("Override capacity: confirm even on a full day")
    submit = SubmitField("Register")


class RegistrationDaysForm(AppForm):
    day_ids = MultiCheckboxField("Days", coerce=int)
    override = BooleanField("Override capacity: confirm even on a full day")
    submit = SubmitField("Register for these days")


class MovePickForm(AppForm):
    item_id = SelectField("Breakout", coerce=optional_int)
    override = BooleanField("Override capacity, team limit and deadline")
    submit = SubmitField("Save breakout")


class BreakoutSettingsForm(AppForm):
    choice_deadline = DateTimeLocalField(
        "Breakout choices close", validators=[Optional()], format="%Y-%m-%dT%H:%M"
    )
    team_breakout_cap = IntegerField(
        "Most members of one team in the same breakout",
        validators=[Optional(), NumberRange(min=1, max=999, message="Use a number from 1 to 999.")],
    )
    interpreter_booking_days = IntegerField(
        "Days before the day by which interpreters must be booked",
        # Left out of a post (an older page): the forum keeps its setting.
        validators=[
            Optional(),
            NumberRange(min=0, max=365, message="Use a number of days from 0 to 365."),
        ],
    )
    submit = SubmitField("Save settings")


class RegistrationSearchForm(AppForm):
    class Meta:
        csrf = False  # a GET that changes nothing

    q = search_field("Name or email")
