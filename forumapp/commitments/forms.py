"""The forms of the commitments pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SubmitField, TextAreaField
from wtforms.validators import Optional

from ..core.forms import DateField, Length
from .models import CommitmentStatus
from .recording import NOTE_MAX, TEXT_MAX

NOBODY = 0  # the owner choice "nobody named yet"


class CommitmentForm(FlaskForm):
    """A new commitment; the choices of ``forum_id``, ``owner_id`` and ``team_id`` are the
    page's."""

    team_id = SelectField("Team", coerce=int)  # staff pages only
    forum_id = SelectField("Made at", coerce=int)
    text = TextAreaField("What the team commits to do", validators=[Length(max=TEXT_MAX)])
    owner_id = SelectField("Owner (optional)", coerce=int, default=NOBODY)
    due = DateField("Due (optional)", validators=[Optional()])
    topic_group_id = SelectField("Came from the topic (optional)", coerce=int, default=NOBODY)
    submit = SubmitField("Add the commitment")


class ProgressForm(FlaskForm):
    """Where a commitment stands."""

    status = SelectField(
        "Status", choices=[(status.value, status.label) for status in CommitmentStatus]
    )
    progress_note = TextAreaField("Progress (optional)", validators=[Length(max=NOTE_MAX)])
    barrier_note = TextAreaField(
        "What stands in the way (optional)", validators=[Length(max=NOTE_MAX)]
    )
    submit = SubmitField("Save")


class MembersMayCommitForm(FlaskForm):
    members_may_commit = BooleanField("Every member of the team may add commitments")
    submit = SubmitField("Save this choice")
