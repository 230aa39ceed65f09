"""The one form of the calendar feature: a button, with its CSRF token."""

from __future__ import annotations

from wtforms import SubmitField

from ..core.forms import AppForm


class RenewFeedForm(AppForm):
    """Replace the personal feed's secret URL (the old one stops working)."""

    submit = SubmitField("Get a new calendar link")
