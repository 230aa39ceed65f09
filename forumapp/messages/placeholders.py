"""The placeholders a group message's body may use, checked when written and filled in for
each recipient: ``{first_name}``, ``{forum}``, ``{day}``, ``{personal_link}``,
``{ticket_link}``. Braces written ``{{`` and ``}}`` stay as braces."""

from __future__ import annotations

from string import Formatter

PLACEHOLDERS = {
    "first_name": "the person's first name",
    "forum": "the forum's title",
    "day": "the days the message is about, for that person",
    "personal_link": "their personal page (no sign-in needed)",
    "ticket_link": "their ticket with its QR code",
}


def placeholder_problem(text: str) -> str | None:
    """Why ``text`` cannot be filled in, naming the placeholder at fault; None when it can."""
    try:
        parsed = list(Formatter().parse(text))
    except ValueError:
        return "A brace is not closed: write {{ and }} for braces that are not placeholders."
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS:
            known = ", ".join(f"{{{known}}}" for known in PLACEHOLDERS)
            return f"Unknown placeholder {{{name}}}. Use only {known}."
        if spec or conversion:
            return f"Write the placeholder as {{{name}}}, with nothing after its name."
    return None


def fill_in(text: str, values: dict[str, str]) -> str:
    """``text`` with its placeholders replaced (checked by ``placeholder_problem`` first)."""
    return text.format_map(values)
