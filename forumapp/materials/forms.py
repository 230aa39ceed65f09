"""The organizers' form to add a material to a forum or one of its sessions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Optional

from ..core.forms import Length
from .models import TITLE_MAX, URL_MAX, Visibility


class MaterialForm(FlaskForm):
    target = SelectField("For", validators=[InputRequired("Choose the session.")])
    title = StringField(
        "Title", validators=[InputRequired("Give the material a title."), Length(max=TITLE_MAX)]
    )
    title_es = StringField("Title in Spanish (optional)", validators=[Length(max=TITLE_MAX)])
    visibility = SelectField(
        "Who may see it",
        choices=[(v.value, v.label) for v in Visibility],
        default=Visibility.PUBLIC.value,
    )
    file = FileField("File (PDF, slides, document, spreadsheet or image)")
    url = StringField("Or a link", validators=[Optional(), Length(max=URL_MAX)])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        has_file = bool(self.file.data and getattr(self.file.data, "filename", ""))
        if has_file == bool((self.url.data or "").strip()):
            self.file.errors = [*self.file.errors, "Choose a file or give a link (one of them)."]
            return False
        return ok


class SpeakerMaterialForm(FlaskForm):
    """A speaker's upload to one of their sessions (the speaker's page speaks their language)."""

    title = StringField(
        _l("Title"),
        validators=[InputRequired(_l("Give the material a title.")), Length(max=TITLE_MAX)],
    )
    visibility = SelectField(
        _l("Who may see it"),
        choices=[
            (Visibility.PUBLIC.value, _l("Everyone")),
            (Visibility.REGISTRANTS.value, _l("People registered for that day")),
        ],
        default=Visibility.PUBLIC.value,
    )
    file = FileField(_l("File (PDF, slides, document or image)"))
