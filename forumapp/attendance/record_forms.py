"""The organizers' attendance correction form."""

from __future__ import annotations

from wtforms import SelectField, TextAreaField, TimeField
from wtforms.validators import InputRequired, Optional

from ..core.forms import AppForm, Length
from .models import REASON_MAX


class CorrectionForm(AppForm):
    registration_id = SelectField(
        "Person", coerce=int, validators=[InputRequired("Choose the person.")]
    )
    present_from = TimeField("Time in", validators=[Optional()])
    present_until = TimeField("Time out", validators=[Optional()])
    reason = TextAreaField(
        "Why",
        validators=[InputRequired("Say why, for the record."), Length(max=REASON_MAX)],
    )
