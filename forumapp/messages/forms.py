"""The form of the messages page: what to say, to whom, and when."""

from __future__ import annotations

from datetime import date

from wtforms import BooleanField, HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import Optional

from ..agenda.models import AgendaItem
from ..core.clock import to_local
from ..core.forms import AppForm, DateTimeLocalField, Length
from ..core.i18n import format_date
from ..core.models import Forum, Team
from ..registration.forms import MultiCheckboxField
from .audience import ROLE_LABELS, STATUS_LABELS, Audience
from .sending import BODY_MAX, SUBJECT_MAX


class MessageForm(AppForm):
    """A group message. "Preview" shows whom it reaches and one person's copy; "Send" writes
    it (after a preview, and with ``confirm`` ticked for a large audience)."""

    subject = StringField("Subject", validators=[Length(max=SUBJECT_MAX)])
    body = TextAreaField("Message", validators=[Length(max=BODY_MAX)])
    days = MultiCheckboxField("Days")  # ISO dates
    sessions = MultiCheckboxField("People with a seat in these sessions", coerce=int)
    teams = MultiCheckboxField("Teams", coerce=int)
    roles = MultiCheckboxField("Roles", choices=list(ROLE_LABELS.items()))
    status = MultiCheckboxField("Status", choices=list(STATUS_LABELS.items()))
    send_at = DateTimeLocalField("Send later (optional)", validators=[Optional()])
    # The number of recipients the organizer saw in the preview; a send that would reach a
    # different number shows the preview again instead of going out.
    previewed = HiddenField()
    confirm = BooleanField("Yes, send it to all of them")
    preview = SubmitField("Preview")
    send = SubmitField("Send")

    def offer_choices(self, forum: Forum, sessions: list[AgendaItem], teams: list[Team]) -> None:
        """The forum's days and sessions and the program's teams, as checkboxes."""
        time_zone = forum.program.time_zone
        self.days.choices = [(day.date.isoformat(), format_date(day.date)) for day in forum.days]
        self.sessions.choices = [
            (
                item.id,
                f"{item.title} ({format_date(item.day.date)}, "
                f"{to_local(item.starts_at, time_zone):%-I:%M %p})",
            )
            for item in sessions
        ]
        self.teams.choices = [(team.id, team.name) for team in teams]

    def audience(self) -> Audience:
        """The audience ticked (validated first)."""
        return Audience(
            days=tuple(date.fromisoformat(day) for day in self.days.data or ()),
            sessions=tuple(self.sessions.data or ()),
            teams=tuple(self.teams.data or ()),
            roles=tuple(self.roles.data or ()),
            status=tuple(self.status.data or ()),
        )
