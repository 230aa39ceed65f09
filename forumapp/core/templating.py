"""Jinja filters that show stored UTC instants and local dates the way people read them."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, current_app, has_request_context
from flask_login import current_user

from .clock import to_local
from .models import Role


def format_date(value: date | None) -> str:
    """``Thursday, March 4, 2027``."""
    if value is None:
        return ""
    return f"{value:%A}, {value:%B} {value.day}, {value.year}"


def format_short_date(value: date | None) -> str:
    """``Mar 4, 2027``."""
    if value is None:
        return ""
    return f"{value:%b} {value.day}, {value.year}"


def format_local_time(instant: datetime | None, time_zone: str | None = None) -> str:
    """``9:30 AM`` in the program's time zone."""
    if instant is None:
        return ""
    local = to_local(instant, time_zone or current_app.config["PROGRAM_TIME_ZONE"])
    return local.strftime("%I:%M %p").lstrip("0")


def format_local_datetime(instant: datetime | None, time_zone: str | None = None) -> str:
    """``Mar 4, 2027, 9:30 AM EST``."""
    if instant is None:
        return ""
    local = to_local(instant, time_zone or current_app.config["PROGRAM_TIME_ZONE"])
    return f"{format_short_date(local.date())}, {local:%I:%M %p}".replace(" 0", " ") + (
        f" {local.tzname()}"
    )


def register_template_helpers(app: Flask) -> None:
    app.add_template_filter(format_date, "date_long")
    app.add_template_filter(format_short_date, "date_short")
    app.add_template_filter(format_local_time, "local_time")
    app.add_template_filter(format_local_datetime, "local_datetime")

    @app.context_processor
    def _navigation():
        """Staff navigation links the signed-in user's role may use."""
        links = []
        # Emails are rendered outside requests too, where nobody is signed in.
        if has_request_context() and current_user.is_authenticated:
            links.append(("core.staff_home", "Staff home"))
            if current_user.has_role(Role.ORGANIZER, Role.FACULTY):
                links.append(("agenda.forum_list", "Manage forums"))
                links.append(("feedback.overview", "Feedback"))
            if current_user.has_role(Role.DOOR, Role.ORGANIZER):
                links.append(("checkin.door_days", "Door"))
            if current_user.has_role(Role.ORGANIZER, Role.FACULTY):
                links.append(("checkin.counts_index", "Check-in counts"))
            if current_user.has_role(Role.ORGANIZER):
                links.append(("agenda.staff_list", "Speakers"))
                links.append(("core.staff_teams", "Teams"))
                links.append(("mail.message_list", "Outbox"))
            if current_user.has_role(Role.ADMIN):
                links.append(("core.staff_users", "Staff accounts"))
                links.append(("privacy.people", "People and privacy"))
                links.append(("core.audit_log", "Audit log"))
        return {"staff_links": links, "Role": Role}
