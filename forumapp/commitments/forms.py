"""The forms of the commitments pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, SubmitField, TextAreaField
from wtforms.validators import Optional

from ..core.forms import AppForm, DateField, Length
from .models import CommitmentStatus
from .recording import NOTE_MAX, TEXT_MAX

NOBODY = 0  # the owner choice "nobody named yet"


class CommitmentForm(AppForm):
    """A new commitment; the choices of ``forum_id``, ``owner_id`` and ``team_id`` are the
    page's."""

    team_id = SelectField("Team", coerce=int)  # staff pages only
    forum_id = SelectField(_l("Made at"), coerce=int)
    text = TextAreaField(_l("What the team commits to do"), validators=[Length(max=TEXT_MAX)])
    owner_id = SelectField(_l("Owner (optional)"), coerce=int, default=NOBODY)
    due = DateField(_l("Due (optional)"), validators=[Optional()])
    topic_group_id = SelectField(_l("Came from the topic (optional)"), coerce=int, default=NOBODY)
    submit = SubmitField(_l("Add the commitment"))


class ProgressForm(AppForm):
    """Where a commitment stands."""

    status = SelectField(
        _l("Status"), choices=[(status.value, status.value) for status in CommitmentStatus]
    )
    progress_note = TextAreaField(_l("Progress (optional)"), validators=[Length(max=NOTE_MAX)])
    barrier_note = TextAreaField(
        _l("What stands in the way (optional)"), validators=[Length(max=NOTE_MAX)]
    )
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The labels in the page's language, looked up when the page is built.
        self.status.choices = [(status.value, status.label) for status in CommitmentStatus]


class MembersMayCommitForm(AppForm):
    members_may_commit = BooleanField(_l("Every member of the team may add commitments"))
    submit = SubmitField(_l("Save this choice"))
