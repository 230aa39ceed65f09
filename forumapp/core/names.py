"""What a person's name may hold: the one rule for every form, import and API that takes one.

A name is shown on pages, badges and door screens and written into email headers. Control
characters (line breaks and tabs included) have no place in it, and the invisible marks that
reverse the direction of text (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C) make a
name display as something else: "Bob\u202eevil" shows as "Bobcive". Both are refused.
"""

from __future__ import annotations

import re
import unicodedata

from flask_babel import gettext as _

NAME_MAX_LENGTH = 200

_DIRECTION_MARKS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def hidden_characters_message() -> str:
    """Why a name with hidden characters is refused, in the language being rendered."""
    return _(
        "Remove the hidden characters from the name (line breaks, tabs, control characters or "
        "marks that reverse the direction of text): typing it again usually does it."
    )


def has_hidden_characters(text: str) -> bool:
    """Whether ``text`` holds control characters, line or paragraph separators, or
    direction marks."""
    return _DIRECTION_MARKS.search(text) is not None or any(
        unicodedata.category(character) in ("Cc", "Zl", "Zp") for character in text
    )


def name_problem(name: str, missing: str = "Enter the person's full name.") -> str | None:
    """Why ``name`` (already trimmed) cannot be a person's name, as a sentence to show next to
    the field (``missing`` when it is empty), or None when it can."""
    if not name:
        return missing
    if len(name) > NAME_MAX_LENGTH:
        return _("Use at most %(max)d characters for the name.", max=NAME_MAX_LENGTH)
    if has_hidden_characters(name):
        return hidden_characters_message()
    return None
