"""Forms of the admin's privacy pages."""

from __future__ import annotations

from wtforms import SearchField, StringField, SubmitField
from wtforms.validators import DataRequired, Optional

from ..core.forms import AppForm, Length, StorableText


class PeopleSearchForm(AppForm):
    class Meta:
        csrf = False  # a GET that changes nothing

    q = SearchField("Name or email", validators=[Optional(), Length(max=200), StorableText()])


class EraseForm(AppForm):
    confirm_email = StringField(
        "Type the person's email address to confirm",
        validators=[DataRequired("Type the person's email address."), Length(max=254)],
    )
    submit = SubmitField("Erase this person")
