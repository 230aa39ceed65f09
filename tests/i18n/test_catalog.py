"""The Spanish catalog covers every message the interface marks for translation.

Staff pages are not marked (they stay English), so every marked message is one a member of
the public or an attendee reads: in a public or attendee page, an email, a ticket or badge,
the feedback form, a public form's errors or the public API."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOG_DIR = ROOT / "forumapp" / "translations" / "es" / "LC_MESSAGES"
KEYWORDS = {"_": None, "gettext": None, "lazy_gettext": None, "_l": None, "ngettext": (1, 2)}
METHOD_MAP = [("**.py", "python"), ("**.html", "jinja2"), ("**.txt", "jinja2")]
# %(name)s and {name} placeholders, and a bare %s/%d.
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]+\}")


def _used_messages() -> set[str]:
    """Every message the sources mark, read with the same rules as ``make translations``; a
    plural (``ngettext``) by its singular, the key the catalog files it under."""
    found: set[str] = set()
    for folder in ("forumapp", "templates"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, METHOD_MAP, keywords=KEYWORDS
        ):
            found.add(message if isinstance(message, str) else message[0])
    return {message for message in found if message}


@pytest.fixture(scope="module")
def catalog():
    with open(CATALOG_DIR / "messages.po", "rb") as po:
        return read_po(po, locale="es")


def _translations(message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple) else [message.string]


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def test_every_marked_message_has_a_spanish_translation(catalog):
    used = _used_messages()
    missing = []
    for text in sorted(used):
        message = catalog.get(text)
        if message is None or not all(_translations(message)) or message.fuzzy:
            missing.append(text)
    assert not missing, "Untranslated or fuzzy (run `make translations`):\n" + "\n".join(missing)


def test_placeholders_match_between_english_and_spanish(catalog):
    different = []
    for message in catalog:
        if not message.id:
            continue
        english = message.id if isinstance(message.id, str) else message.id[0]
        for spanish in _translations(message):
            if _placeholders(english) != _placeholders(spanish):
                different.append(f"{english!r} → {spanish!r}")
    assert not different, "\n".join(different)


def test_the_compiled_catalog_is_the_one_written(catalog):
    with open(CATALOG_DIR / "messages.mo", "rb") as mo:
        compiled = read_mo(mo)

    def key(message):  # a plural is filed under its singular
        return message.id if isinstance(message.id, str) else message.id[0]

    def strings(message):
        text = message.string
        return tuple(text) if isinstance(text, (list, tuple)) else text

    stale = [
        message.id
        for message in catalog
        if message.id and not message.fuzzy and compiled.get(key(message)) is None
    ]
    stale += [
        message.id
        for message in catalog
        if message.id
        and compiled.get(key(message)) is not None
        and strings(compiled.get(key(message))) != strings(message)
    ]
    assert not stale, "Run `make translations` to compile: " + ", ".join(map(str, stale))
