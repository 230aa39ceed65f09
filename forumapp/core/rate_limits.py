"""Rate limits on the public POSTs, read from the configuration so each deployment tunes them.

Flask-Limiter counts in memory by default; with several app servers, ``RATELIMIT_STORAGE_URI``
(e.g. ``redis://...``) makes them share one count. Past a limit the answer is 429: the friendly
"Too many attempts" page, or ``{"error", "details"}`` on the API.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, g, request
from flask_limiter.util import get_remote_address
from flask_login import current_user

from ..extensions import limiter
from .links import canonical_link_key


def configured_limit(setting: str) -> Callable[[], str]:
    """A limit such as ``"20 per minute"`` read from ``app.config[setting]`` at each request."""

    def limit() -> str:
        return current_app.config[setting]

    limit.__name__ = f"limit_{setting.lower()}"
    return limit


def personal_link_key() -> str:
    """Count per personal link rather than per address: a whole venue shares one Wi-Fi address
    when attendees answer the feedback form at the end of a forum."""
    token = (request.view_args or {}).get("token")
    # Keyed on what the token decodes to, so spellings of one link share one count; a token we
    # never signed counts against the address it came from.
    key = canonical_link_key(token) if token else None
    return f"me:{key}" if key else get_remote_address()


# The public registration form, per client address.
public_form_limit = limiter.limit(configured_limit("RATELIMIT_PUBLIC_FORMS"), methods=["POST"])

# "Send me my link", per client address.
send_link_limit = limiter.limit(configured_limit("RATELIMIT_SEND_LINK"), methods=["POST"])

# Every write made through a personal link (a form's POST, the API's POST and PATCH) shares
# one count per link.
personal_link_limit = limiter.shared_limit(
    configured_limit("RATELIMIT_PERSONAL_LINK"),
    scope="personal_link",
    key_func=personal_link_key,
    methods=["POST", "PATCH"],
)


def staff_user_key() -> str:
    """Count per staff account (signed in or by bearer token), whatever address it uses."""
    if current_user.is_authenticated:
        return f"staff:{current_user.id}"
    return get_remote_address()


def count_as_sent() -> None:
    """Mark this request as one that wrote a group message, so the sending limit counts it."""
    g.group_message_written = True


# Group messages written, per organizer, shared by the messages page and the API. Only a
# message actually written or scheduled counts (``count_as_sent``): previews, dry runs and
# refusals do not, though past the limit they are refused too.
group_message_limit = limiter.shared_limit(
    configured_limit("RATELIMIT_GROUP_MESSAGES"),
    scope="group_messages",
    key_func=staff_user_key,
    methods=["POST"],
    deduct_when=lambda _response: bool(g.get("group_message_written")),
)
