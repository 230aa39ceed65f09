"""Forms of the core staff pages, and what every form shares."""

from __future__ import annotations

import re
from collections.abc import Mapping

from flask import flash
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, validators
from wtforms.validators import Optional, ValidationError

from .audit import ACTIONS


class Length(validators.Length):
    """WTForms' ``Length`` whose default message names the field and says by how much it is
    over ("Use at most 200 characters for the full name; this has 245."), as the same words
    appear in the error summary, away from the field."""

    def __call__(self, form, field):
        if self.message is None and self.max != -1 and len(field.data or "") > self.max:
            label = re.sub(r"\s*\(optional\)$", "", field.label.text).strip().lower()
            raise ValidationError(
                f"Use at most {self.max} characters for the {label}; this has {len(field.data)}."
            )
        super().__call__(form, field)


class AuditFilterForm(FlaskForm):
    """The audit log's filters; a GET that changes nothing."""

    class Meta:
        csrf = False

    action = SelectField(
        "Action",
        choices=[("", "Every action")] + sorted(ACTIONS.items(), key=lambda pair: pair[1]),
        validators=[Optional()],
    )
    user_id = SelectField("Who", choices=[("", "Anyone")], validators=[Optional()])
    since = DateField("From (date)", validators=[Optional()])
    until = DateField("Until (date, included)", validators=[Optional()])

    def validate_since(self, field) -> None:
        _check_year(field)

    def validate_until(self, field) -> None:
        _check_year(field)

    def clean(self, name: str):
        """The field's value, or None when it is empty or was refused."""
        field = self[name]
        return None if field.errors or field.data in ("", None) else field.data


def _check_year(field) -> None:
    # Far-off dates overflow when turned into instants in the program's zone.
    if field.data is not None and not 1900 <= field.data.year <= 2999:
        raise ValidationError("Enter a date between the years 1900 and 2999.")


def show_errors(form, errors: Mapping[str | None, str]) -> None:
    """Put each message next to its form field, or at the top of the page (flashed) when no
    field of ``form`` has that name. Services name fields in their errors for this."""
    for name, message in errors.items():
        if name and name in form:
            form[name].errors = [*form[name].errors, message]
        else:
            flash(message, "error")
