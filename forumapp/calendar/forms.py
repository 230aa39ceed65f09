"""The one form of the calendar feature: a button, with its CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SubmitField


class RenewFeedForm(FlaskForm):
    """Replace the personal feed's secret URL (the old one stops working)."""

    submit = SubmitField("Get a new calendar link")
