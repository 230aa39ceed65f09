"""Forms of the faculty topic pages. Per-group forms take a prefix (``rename-12``) so that every
group's fields have their own ids on the one page."""

from __future__ import annotations

from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Optional, ValidationError

from ..agenda.models import ItemKind
from ..core.csv_import import csv_file_field
from ..core.forms import AppForm, Length
from .group_edits import MAX_NOTE
from .models import TopicStatus
from .topic_groups import MAX_LABEL

STATUS_LABELS = {
    TopicStatus.OPEN.value: "Open",
    TopicStatus.ADDRESSED.value: "Addressed",
    TopicStatus.SET_ASIDE.value: "Set aside",
}


class RenameForm(AppForm):
    label = StringField(
        "New name",
        validators=[DataRequired("Give the group a name."), Length(max=MAX_LABEL)],
    )


class MergeForm(AppForm):
    group_ids = SelectMultipleField("Groups to merge", coerce=int)
    target_id = SelectField("Keep the name and status of", coerce=int)

    def validate_target_id(self, field):
        # Merging into a group nobody ticked would swallow it without anyone choosing to.
        if self.group_ids.data and field.data not in self.group_ids.data:
            raise ValidationError(
                "Keep the name of one of the groups you ticked, or tick that group too."
            )


class SplitForm(AppForm):
    suggestion_ids = SelectMultipleField("Suggestions to move to a new group", coerce=int)
    label = StringField(
        "Name of the new group",
        validators=[Optional(), Length(max=MAX_LABEL)],
    )


class StatusForm(AppForm):
    status = SelectField("Status", choices=list(STATUS_LABELS.items()))
    note = TextAreaField("Note for colleagues", validators=[Length(max=MAX_NOTE)])


class PromoteForm(AppForm):
    kind = SelectField(
        "Kind of session",
        choices=[
            (ItemKind.BREAKOUT.value, ItemKind.BREAKOUT.label),
            (ItemKind.DISCUSSION.value, ItemKind.DISCUSSION.label),
        ],
    )


class ImportForm(AppForm):
    file = csv_file_field("Suggestions file (CSV)")
