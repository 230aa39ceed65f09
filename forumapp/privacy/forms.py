"""Forms of the admin's privacy pages."""

from __future__ import annotations

from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired

from ..core.forms import AppForm, Length, search_field


class PeopleSearchForm(AppForm):
    class Meta:
        csrf = False  # a GET that changes nothing

    q = search_field("Name or email")


class EraseForm(AppForm):
    confirm_email = StringField(
        "Type the person's email address to confirm",
        validators=[DataRequired("Type the person's email address."), Length(max=254)],
    )
    submit = SubmitField("Erase this person")
