"""Staff forms for the outbox."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField


class RetryForm(FlaskForm):
    """A button-only form: the CSRF token, and the status filter to return to."""

    back_to_status = HiddenField()
