"""The language question on the registration forms (a mixin), and the organizers' form for
one request in the queue."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import ValidationError

from ..core.forms import AppForm, Length
from ..registration.forms import MultiCheckboxField
from .models import LanguageNeed, RequestStatus
from .services import STATUS_NAMES, other_language_problem


class LanguageRequestFields:
    """Mixed into the public and team registration forms (``registration.additions``):
    "Do you need an interpreter or translated materials?" with the languages to tick and
    another language in the person's words."""

    language_needs = MultiCheckboxField(
        _l("Do you need an interpreter or translated materials?"),
        choices=[
            (LanguageNeed.SPANISH_INTERPRETER.value, _l("Spanish interpreter")),
            (LanguageNeed.ASL_INTERPRETER.value, _l("ASL (American Sign Language) interpreter")),
            (LanguageNeed.SPANISH_MATERIALS.value, _l("Materials translated into Spanish")),
            (LanguageNeed.OTHER.value, _l("Another language")),
        ],
        validate_choice=True,
    )
    language_other = StringField(_l("Which other language?"))

    def validate_language_other(self, field):
        chosen = LanguageNeed.OTHER.value in (self.language_needs.data or [])
        if problem := other_language_problem(chosen, field.data or ""):
            raise ValidationError(problem)


def language_answers(form: LanguageRequestFields) -> dict:
    """The answers as plain JSON values (they may travel in a signed link)."""
    return {
        "needs": [str(need) for need in form.language_needs.data or []],
        "other": (form.language_other.data or "").strip(),
    }


class LanguageRequestForm(AppForm):
    """An organizer's changes to one request (English, as all staff pages)."""

    status = SelectField(
        "Status", choices=[(status.value, STATUS_NAMES[status]) for status in RequestStatus]
    )
    owner_id = SelectField("Owner", coerce=int)
    staff_note = TextAreaField("Note for staff", validators=[Length(max=2000)])
    submit = SubmitField("Save")
