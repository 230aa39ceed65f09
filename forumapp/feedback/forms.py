"""Staff forms for feedback; the attendee form is parsed by hand (one rating per session)."""

from __future__ import annotations

from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import DataRequired

from ..core.forms import AppForm, DateTimeLocalField, Length


class WindowForm(AppForm):
    closes_at = DateTimeLocalField(
        "Feedback closes",
        validators=[DataRequired("Choose the date and time feedback closes.")],
        format="%Y-%m-%dT%H:%M",
    )


class ReviewerForm(AppForm):
    reviewer_id = SelectField("Faculty reviewer", coerce=int)


class InvitationForm(AppForm):
    send_again = BooleanField("Also email people who were invited before")


class SummaryForm(AppForm):
    summary = TextAreaField(
        "What the program heard and will do next", validators=[Length(max=5000)]
    )
