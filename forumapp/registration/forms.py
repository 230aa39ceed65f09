"""Forms for public registration, the personal page and the link re-send."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired

from ..core.forms import AppForm, Length


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes instead of a multi-select, which is hard to use on phones."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class PublicRegistrationForm(AppForm):
    name = StringField(_l("Full name"), validators=[Length(max=200)])
    email = EmailField(_l("Email"), validators=[Length(max=254)])
    organization = StringField(_l("Organization (optional)"), validators=[Length(max=200)])
    community = StringField(_l("Community or county (optional)"), validators=[Length(max=200)])
    day_ids = MultiCheckboxField(_l("Days"), coerce=int)
    accessibility_needs = TextAreaField(
        _l("Accessibility needs (optional)"), validators=[Length(max=2000)]
    )
    dietary_needs = TextAreaField(_l("Dietary needs (optional)"), validators=[Length(max=2000)])
    consent = BooleanField(_l("I agree to the privacy note above"))
    submit = SubmitField(_l("Register"))


class TeamRegistrationForm(AppForm):
    day_ids = MultiCheckboxField(_l("Days you will attend"), coerce=int)
    accessibility_needs = TextAreaField(
        _l("Accessibility needs (optional)"), validators=[Length(max=2000)]
    )
    dietary_needs = TextAreaField(_l("Dietary needs (optional)"), validators=[Length(max=2000)])
    submit = SubmitField(_l("Register"))


class ResendLinkForm(AppForm):
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(_l("Enter the email you registered with.")), Length(max=254)],
    )
    submit = SubmitField(_l("Send me my link"))
