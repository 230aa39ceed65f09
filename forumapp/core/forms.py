"""Forms of the core staff pages, and what every form shares."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import wtforms
from flask import flash
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import SearchField, SelectField, SubmitField, validators
from wtforms.validators import Optional, StopValidation, ValidationError

from .audit import ACTIONS
from .bounds import date_problem, integer_problem
from .database import is_storable_text


class AppForm(FlaskForm):
    """Every form of the app: Flask-WTF's, but its CSRF token's hidden input has no ``id``,
    which a page with several forms would repeat (an id is unique on a page)."""

    class Meta(FlaskForm.Meta):
        def render_field(self, field, render_kw):
            if field.type == "CSRFTokenField":
                render_kw = {**render_kw, "id": False}
            return super().render_field(field, render_kw)


class ButtonForm(AppForm):
    """A button that needs only its CSRF token (check in from a list, undo, delete, promote);
    also the form of a page that parses its own inputs."""

    submit = SubmitField("Confirm")


class _Bounded(wtforms.Field):
    """Mixed into a field: after it parsed its input, refuse a value outside the range every
    stored value shares (``bounds``), with a message next to the field."""

    problem: Callable[[Any], str | None] = staticmethod(lambda value: None)

    def pre_validate(self, form):
        super().pre_validate(form)
        message = self.problem(self.data)
        if message is not None:
            raise StopValidation(message)


_PLAIN_INTEGER = re.compile(r"[+-]?[0-9]+")


class IntegerField(_Bounded, wtforms.IntegerField):
    """WTForms' ``IntegerField`` that refuses numbers a 32-bit column cannot hold."""

    problem = staticmethod(integer_problem)
    data: int | None

    def process_formdata(self, valuelist):
        # ``int()`` also reads other scripts' digits ("٣") and underscores ("1_000").
        if valuelist and valuelist[0] and not _PLAIN_INTEGER.fullmatch(valuelist[0].strip()):
            self.data = None
            raise ValueError(self.gettext("Not a valid integer value."))
        super().process_formdata(valuelist)


class DateField(_Bounded, wtforms.DateField):
    """WTForms' ``DateField`` that refuses dates outside the years ``bounds`` allows."""

    problem = staticmethod(date_problem)


class DateTimeLocalField(_Bounded, wtforms.DateTimeLocalField):
    """WTForms' ``DateTimeLocalField`` that refuses dates outside the years ``bounds`` allows."""

    problem = staticmethod(date_problem)


class Length(validators.Length):
    """WTForms' ``Length`` whose default message names the field and says by how much it is
    over ("Use at most 200 characters for the full name; this has 245."), as the same words
    appear in the error summary, away from the field."""

    def __call__(self, form, field):
        if self.message is None and self.max != -1 and len(field.data or "") > self.max:
            # The label in the page's language (a public form's labels are lazy strings).
            label = re.sub(r"\s*\((optional|opcional)\)$", "", str(field.label.text))
            raise ValidationError(
                _(
                    "Use at most %(max)d characters for the %(label)s; this has %(length)d.",
                    max=self.max,
                    label=label.strip().lower(),
                    length=len(field.data),
                )
            )
        super().__call__(form, field)


class AuditFilterForm(AppForm):
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

    def clean(self, name: str):
        """The field's value, or None when it is empty or was refused."""
        field = self[name]
        return None if field.errors or field.data in ("", None) else field.data


class StorableText:
    """Refuse text with control characters or broken Unicode, with a message next to the
    field. A posted form never gets here with such text (the app refuses it, 400); this is for
    forms read from the query string, such as a staff search box, whose text goes into a query
    that PostgreSQL would fail on. The default message is English, as staff pages are; a public
    form passes one marked for translation."""

    def __init__(self, message: str = "Remove the control characters from this text."):
        self.message = message

    def __call__(self, form, field):
        if field.data and not is_storable_text(field.data):
            raise ValidationError(self.message)


def search_field(label: str) -> SearchField:
    """A staff list's search box (a GET form): optional, at most 200 characters, and refused
    next to the box when it holds text no query can compare (``StorableText``)."""
    return SearchField(label, validators=[Optional(), Length(max=200), StorableText()])


def show_errors(form, errors: Mapping[str | int | None, str]) -> None:
    """Put each message next to its form field, or at the top of the page (flashed) when no
    field of ``form`` has that name. Services name fields in their errors for this."""
    for name, message in errors.items():
        if name and name in form:
            form[name].errors = [*form[name].errors, message]
        else:
            flash(message, "error")
