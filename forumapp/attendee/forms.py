"""The personal page's own form: the person's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SubmitField
from wtforms.validators import InputRequired

from ..core.forms import AppForm
from ..core.i18n import LANGUAGE_NAMES, LANGUAGES


class LanguageForm(AppForm):
    """Which language the person's emails and pages speak (``Person.language``). Each choice
    is named in its own language, as on the language switch."""

    language = RadioField(
        _l("Language for emails and your pages"),
        choices=[(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        validators=[InputRequired(message=_l("Choose English or Español."))],
    )
    submit = SubmitField(_l("Save the language"))
