"""Template context every page shares: the staff navigation the signed-in role may use."""

from __future__ import annotations

from flask import Flask, has_request_context
from flask_login import current_user

from .models import Role


def register_template_helpers(app: Flask) -> None:

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
