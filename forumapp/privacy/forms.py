"""Forms of the admin's privacy pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SearchField, StringField, SubmitField
from wtforms.validators import DataRequired, Optional

from ..core.forms import Length, StorableText


class PeopleSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET that changes nothing

    q = SearchField("Name or email", validators=[Optional(), Length(max=200), StorableText()])


class EraseForm(FlaskForm):
    confirm_email = StringField(
        "Type the person's email address to confirm",
        validators=[DataRequired("Type the person's email address."), Length(max=254)],
    )
    submit = SubmitField("Erase this person")
