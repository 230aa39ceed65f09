"""Forms for public registration, the personal page and the link re-send."""

from __future__ import annotations

from flask_wtf import FlaskForm
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

from ..core.forms import Length


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes instead of a multi-select, which is hard to use on phones."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class PublicRegistrationForm(FlaskForm):
    name = StringField("Full name", validators=[Length(max=200)])
    email = EmailField("Email", validators=[Length(max=254)])
    organization = StringField("Organization (optional)", validators=[Length(max=200)])
    community = StringField("Community or county (optional)", validators=[Length(max=200)])
    day_ids = MultiCheckboxField("Days", coerce=int)
    accessibility_needs = TextAreaField(
        "Accessibility needs (optional)", validators=[Length(max=2000)]
    )
    dietary_needs = TextAreaField("Dietary needs (optional)", validators=[Length(max=2000)])
    consent = BooleanField("I agree to the privacy note above")
    submit = SubmitField("Register")


class TeamRegistrationForm(FlaskForm):
    day_ids = MultiCheckboxField("Days you will attend", coerce=int)
    accessibility_needs = TextAreaField(
        "Accessibility needs (optional)", validators=[Length(max=2000)]
    )
    dietary_needs = TextAreaField("Dietary needs (optional)", validators=[Length(max=2000)])
    submit = SubmitField("Register")


class ResendLinkForm(FlaskForm):
    email = EmailField(
        "Email", validators=[DataRequired("Enter the email you registered with."), Length(max=254)]
    )
    submit = SubmitField("Send me my link")
