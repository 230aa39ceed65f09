"""Forms for the door pages: scanning, lookup, walk-ins and one-button actions."""

from __future__ import annotations

import secrets

from wtforms import BooleanField, EmailField, HiddenField, SearchField, StringField, SubmitField
from wtforms.validators import DataRequired, Optional, Regexp

from ..core.forms import AppForm, Length

# A scanner's request id: what door.js sends (a UUID or hex), short enough for its column.
REQUEST_ID_PATTERN = r"^[A-Za-z0-9-]{8,64}$"


def new_request_id() -> str:
    """A fresh id for one scan, so that sending the same form twice counts once."""
    return secrets.token_hex(16)


class ScanForm(AppForm):
    """The scan field: a camera, a handheld scanner (types the code and Enter) or a person."""

    code = StringField(
        "Ticket code",
        validators=[DataRequired("Scan or type the code on the ticket."), Length(max=64)],
    )
    request_id = HiddenField(validators=[Optional(), Regexp(REQUEST_ID_PATTERN)])
    submit = SubmitField("Check in")


class LookupForm(AppForm):
    """Search by name, email or organization (a GET form: nothing changes)."""

    class Meta:
        csrf = False

    q = SearchField(
        "Name, email or organization", validators=[DataRequired(), Length(min=2, max=200)]
    )
    submit = SubmitField("Search")


class WalkInForm(AppForm):
    # Required fields are checked by the service, which names the field at fault.
    name = StringField("Full name", validators=[Length(max=200)])
    email = EmailField("Email", validators=[Length(max=254)])
    organization = StringField("Organization (optional)", validators=[Length(max=200)])
    override = BooleanField("Override capacity: let them in even if the day is full")
    submit = SubmitField("Register and check in")
