"""Staff forms for the outbox."""

from __future__ import annotations

from wtforms import HiddenField

from ..core.forms import AppForm


class RetryForm(AppForm):
    """A button-only form: the CSRF token, and the status filter to return to."""

    back_to_status = HiddenField()
