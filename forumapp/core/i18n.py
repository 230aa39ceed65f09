"""Languages: which one a page, an email or an API answer speaks, and organizer-written text
that may have a Spanish version beside the English.

The interface comes from gettext catalogs (``forumapp/translations/``, Flask-Babel). A page's
language is, in order: ``?lang=`` in its address (then remembered in a cookie), the cookie,
the language stored on the person whose personal link it is, the browser's
``Accept-Language``, English. Mail to a person is rendered in ``Person.language``
(``in_language``). Staff pages stay English.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from urllib.parse import urlencode

from babel import dates as babel_dates
from babel import lists as babel_lists
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import Babel, force_locale, get_locale, refresh
from markupsafe import Markup, escape

from .clock import to_local

DEFAULT_LANGUAGE = "en"
LANGUAGES = ("en", "es")
# Each language named in itself, as the switch shows it.
LANGUAGE_NAMES = {"en": "English", "es": "Español"}
LANGUAGE_COOKIE = "lang"
_COOKIE_MAX_AGE = 365 * 24 * 3600
# Pages for staff: English whatever the visitor's browser says (their strings are not in the
# catalog yet, and a half-Spanish staff page with Spanish dates would only confuse).
_STAFF_PREFIXES = ("/staff", "/login", "/logout", "/door")

babel = Babel()


def known_language(code: str | None) -> str | None:
    """``code`` if it is one of ours ("es", "ES", "es-MX" → "es"), else ``None``."""
    if not code:
        return None
    base = code.strip().lower().replace("_", "-").split("-")[0]
    return base if base in LANGUAGES else None


def is_staff_request() -> bool:
    return request.path.startswith(_STAFF_PREFIXES)


def _select_locale() -> str:
    if not has_request_context():
        return DEFAULT_LANGUAGE
    if is_staff_request():
        return DEFAULT_LANGUAGE
    chosen = known_language(request.args.get("lang")) or known_language(
        request.cookies.get(LANGUAGE_COOKIE)
    )
    if chosen:
        return chosen
    person_language = known_language(g.get("person_language"))
    if person_language:
        return person_language
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def current_language() -> str:
    """The language being rendered now: "en" or "es"."""
    locale = get_locale()
    return known_language(str(locale) if locale else None) or DEFAULT_LANGUAGE


def page_speaks_for(person) -> None:
    """A page reached through ``person``'s personal link speaks their stored language unless
    the visitor chose another (``?lang=`` or the cookie)."""
    g.person_language = getattr(person, "language", None)
    # Flask-Babel caches the locale per request; a lookup made before (by a form, say) must
    # not keep the old answer.
    refresh()


@contextmanager
def in_language(language: str | None) -> Iterator[None]:
    """Render (mail, calendar files) in ``language``, whatever the request speaks."""
    with force_locale(known_language(language) or DEFAULT_LANGUAGE):
        yield


def language_url(code: str) -> str:
    """This page's address with ``?lang=code``, other query arguments kept."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [code]
    return f"{request.path}?{urlencode(sorted(args.items()), doseq=True)}"


# --- Organizer-written text in two languages ------------------------------------------------


def local_value(record, field: str) -> tuple[str, str]:
    """``(text, language)`` of ``record.<field>`` for the current language: the Spanish version
    (``<field>_es``) on a Spanish page when there is one, else the English text."""
    english = getattr(record, field, "") or ""
    if current_language() == "es":
        spanish = getattr(record, f"{field}_es", "") or ""
        if spanish.strip():
            return spanish, "es"
    return english, "en"


def local_text(record, field: str) -> str:
    """The text of ``local_value``, for attributes, titles and plain-text mail."""
    return local_value(record, field)[0]


def local_markup(record, field: str, tag: str = "span") -> Markup:
    """The text for HTML: escaped, and on a page in another language wrapped in
    ``<span lang="en">`` so that screen readers switch voice."""
    text, language = local_value(record, field)
    if language == current_language() or not text:
        return escape(text)
    return Markup('<{0} lang="{1}">{2}</{0}>').format(Markup(tag), language, text)


# --- Dates and times in the current language --------------------------------------------------


def format_date(value: date | None) -> str:
    """``Thursday, March 4, 2027`` / ``jueves, 4 de marzo de 2027``."""
    if value is None:
        return ""
    if current_language() == "en":
        return f"{value:%A}, {value:%B} {value.day}, {value.year}"
    return babel_dates.format_date(value, "full", locale=current_language())


def format_short_date(value: date | None) -> str:
    """``Mar 4, 2027`` / ``4 mar 2027``."""
    if value is None:
        return ""
    if current_language() == "en":
        return f"{value:%b} {value.day}, {value.year}"
    return babel_dates.format_date(value, "medium", locale=current_language())


def format_day(value: date | None) -> str:
    """``Thursday, March 4`` / ``jueves, 4 de marzo``: a day of a forum whose year is plain."""
    if value is None:
        return ""
    if current_language() == "en":
        return f"{value:%A, %B} {value.day}"
    return babel_dates.format_date(value, "EEEE, d 'de' MMMM", locale=current_language())


def _local(instant: datetime, time_zone: str | None) -> datetime:
    return to_local(instant, time_zone or current_app.config["PROGRAM_TIME_ZONE"])


def format_local_time(instant: datetime | None, time_zone: str | None = None) -> str:
    """``9:30 AM`` / ``9:30`` in the program's time zone."""
    if instant is None:
        return ""
    return _format_time(_local(instant, time_zone))


def _format_time(local: datetime) -> str:
    if current_language() == "en":
        return local.strftime("%I:%M %p").lstrip("0")
    return babel_dates.format_time(local, "short", locale=current_language())


def format_local_datetime(instant: datetime | None, time_zone: str | None = None) -> str:
    """``Mar 4, 2027, 9:30 AM EST`` / ``4 mar 2027, 9:30 EST``."""
    if instant is None:
        return ""
    local = _local(instant, time_zone)
    return f"{format_short_date(local.date())}, {_format_time(local)} {local.tzname()}"


def format_list(items: list[str]) -> str:
    """``A and B`` / ``A y B``: items joined as the current language writes a list."""
    if not items:
        return ""
    return babel_lists.format_list(items, locale=current_language())


def init_i18n(app: Flask) -> None:
    """Flask-Babel with our locale choice, the template helpers, and the cookie that
    remembers a ``?lang=`` choice."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    # WTForms' own messages ("This field is required.") from its bundled catalogs.
    app.config.setdefault("WTF_I18N_ENABLED", True)
    babel.init_app(app, locale_selector=_select_locale)

    app.add_template_filter(format_date, "date_long")
    app.add_template_filter(format_short_date, "date_short")
    app.add_template_filter(format_day, "date_day")
    app.add_template_filter(format_local_time, "local_time")
    app.add_template_filter(format_local_datetime, "local_datetime")
    app.add_template_global(local_text)
    app.add_template_global(local_markup, "local")
    app.add_template_global(language_url)
    app.add_template_global(current_language)
    app.jinja_env.globals["language_names"] = LANGUAGE_NAMES

    @app.context_processor
    def _language_context():
        return {"staff_page": has_request_context() and is_staff_request()}

    @app.after_request
    def _remember_language(response):
        chosen = known_language(request.args.get("lang"))
        if chosen and request.cookies.get(LANGUAGE_COOKIE) != chosen:
            response.set_cookie(
                LANGUAGE_COOKIE, chosen, max_age=_COOKIE_MAX_AGE, samesite="Lax", httponly=True
            )
        response.vary.add("Cookie")
        response.vary.add("Accept-Language")
        return response
