"""Faculty and organizer pages for the topics raised after a forum: the groups (flagged ones
first), their suggestions with team names (never who wrote them), edits of the groups, CSV
import, and promotion of a group to a draft session of the next forum."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select

from ..core.actions import carry_out
from ..core.auth import role_required
from ..core.csv_import import RowError
from ..core.forms import ButtonForm
from ..core.models import Forum, Role
from ..extensions import db
from ..registration.people import program_teams
from . import group_edits, promotion, topic_groups, topic_import
from .blueprint import bp
from .errors import SuggestionsFileRefused
from .models import TopicGroup
from .topic_forms import (
    STATUS_LABELS,
    ImportForm,
    MergeForm,
    PromoteForm,
    RenameForm,
    SplitForm,
    StatusForm,
)

READERS = (Role.FACULTY, Role.ORGANIZER)
T = TypeVar("T")


def _flag_teams() -> int:
    return current_app.config.get("TOPIC_FLAG_TEAMS", topic_groups.FLAG_TEAMS)


def _back(group_or_forum_id: int, anchor: str | None = None):
    return redirect(url_for("feedback.group_list", forum_id=group_or_forum_id, _anchor=anchor))


def _back_to_the_edit(group: TopicGroup):
    """After a refused edit: the group, with its edit forms open, beside the message."""
    return redirect(
        url_for(
            "feedback.group_list",
            forum_id=group.forum_id,
            edit=group.id,
            _anchor=f"group-{group.id}",
        )
    )


def _prefix(action: str, group: TopicGroup) -> str:
    # Every group has each form on the one page: ids like "rename-12-label" stay unique.
    return f"{action}-{group.id}"


def _form_error(form) -> None:
    for errors in form.errors.values():
        for message in errors:
            flash(message, "error")


@bp.route("/staff/forums/<int:forum_id>/topics")
@role_required(*READERS)
def group_list(forum_id: int):
    forum = db.get_or_404(Forum, forum_id)
    rows = topic_groups.topic_groups(db.session, forum, _flag_teams())
    merge_form = MergeForm(prefix="merge")
    choices = [(row.group.id, f"{row.group.label} ({row.suggestions})") for row in rows]
    merge_form.group_ids.choices = choices
    merge_form.target_id.choices = choices
    forms = {}
    for row in rows:
        group = row.group
        forms[group.id] = {
            "rename": RenameForm(prefix=_prefix("rename", group), label=group.label),
            "split": SplitForm(prefix=_prefix("split", group)),
            "status": StatusForm(
                prefix=_prefix("status", group), status=group.status, note=group.note
            ),
            "promote": PromoteForm(prefix=_prefix("promote", group)),
        }
    return render_template(
        "feedback/topics.html",
        forum=forum,
        rows=rows,
        lines=topic_groups.group_suggestions(db.session, forum),
        forms=forms,
        merge_form=merge_form,
        button_form=ButtonForm(),
        next_forum=promotion.next_forum(db.session, forum),
        ungrouped=topic_groups.ungrouped_count(db.session, forum),
        teams_total=len({team for row in rows for team in row.team_ids}),
        suggestions_total=sum(row.suggestions for row in rows),
        flag_teams=_flag_teams(),
        status_labels=STATUS_LABELS,
        editing=request.args.get("edit", type=int),
    )


@bp.route("/staff/forums/<int:forum_id>/topics/regroup", methods=["POST"])
@role_required(*READERS)
def regroup(forum_id: int):
    forum = db.get_or_404(Forum, forum_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    carry_out(
        lambda: topic_groups.regroup(db.session, forum),
        success="Suggestions regrouped. Groups you edited, marked or promoted were kept.",
    )
    return _back(forum.id)


@bp.route("/staff/forums/<int:forum_id>/topics/merge", methods=["POST"])
@role_required(*READERS)
def merge(forum_id: int):
    forum = db.get_or_404(Forum, forum_id)
    form = MergeForm(prefix="merge")
    groups = db.session.scalars(
        select(TopicGroup).where(TopicGroup.forum_id == forum.id).order_by(TopicGroup.id)
    ).all()
    choices = [(group.id, group.label) for group in groups]
    form.group_ids.choices = choices
    form.target_id.choices = choices
    if not form.validate_on_submit():
        _form_error(form)
        return _back(forum.id, "merge")
    by_id = {group.id: group for group in groups}
    target = by_id[form.target_id.data]
    others = [by_id[group_id] for group_id in form.group_ids.data if group_id != target.id]
    merging = carry_out(
        lambda: group_edits.merge_groups(db.session, target, others),
        success=f"Merged {len(others) + 1} groups into “{target.label}”.",
    )
    return _back(forum.id, f"group-{target.id}" if merging.ok else "merge")


def _edit(form, action: Callable[[], T]) -> T | None:
    """Carry out an edit of a group asked for with ``form``: the service's value, or None
    when the form or the rules refused it (the messages are flashed)."""
    if not form.validate_on_submit():
        _form_error(form)
        return None
    return carry_out(action).value


@bp.route("/staff/topic-groups/<int:group_id>/rename", methods=["POST"])
@role_required(*READERS)
def rename(group_id: int):
    group = db.get_or_404(TopicGroup, group_id)
    form = RenameForm(prefix=_prefix("rename", group))
    renamed = _edit(form, lambda: group_edits.rename_group(db.session, group, form.label.data))
    if renamed is not None:
        flash(f"Group renamed “{group.label}”.", "success")
        return _back(group.forum_id, f"group-{group.id}")
    return _back_to_the_edit(group)


@bp.route("/staff/topic-groups/<int:group_id>/split", methods=["POST"])
@role_required(*READERS)
def split(group_id: int):
    group = db.get_or_404(TopicGroup, group_id)
    form = SplitForm(prefix=_prefix("split", group))
    form.suggestion_ids.choices = [(s.id, s.text) for s in group.suggestions]
    new_group = _edit(
        form,
        lambda: group_edits.split_group(
            db.session, group, form.suggestion_ids.data, form.label.data or ""
        ),
    )
    if new_group is None:
        return _back_to_the_edit(group)
    moved = len(form.suggestion_ids.data)
    flash(
        f"Moved {moved} suggestion{'' if moved == 1 else 's'} to the new group "
        f"“{new_group.label}”.",
        "success",
    )
    return _back(group.forum_id, f"group-{new_group.id}")


@bp.route("/staff/topic-groups/<int:group_id>/status", methods=["POST"])
@role_required(*READERS)
def status(group_id: int):
    group = db.get_or_404(TopicGroup, group_id)
    form = StatusForm(prefix=_prefix("status", group))
    marked = _edit(
        form,
        lambda: group_edits.set_status(db.session, group, form.status.data, form.note.data or ""),
    )
    if marked is None:
        return _back_to_the_edit(group)
    flash(f"“{group.label}” is now {STATUS_LABELS[group.status].lower()}.", "success")
    return _back(group.forum_id, f"group-{group.id}")


@bp.route("/staff/topic-groups/<int:group_id>/promote", methods=["POST"])
@role_required(*READERS)
def promote(group_id: int):
    group = db.get_or_404(TopicGroup, group_id)
    form = PromoteForm(prefix=_prefix("promote", group))
    promoted = _edit(form, lambda: promotion.promote_group(db.session, group, form.kind.data))
    if promoted is None:
        return _back_to_the_edit(group)
    item = promoted.item
    if promoted.created:
        flash(
            f"“{item.title}” is now a draft {item.kind_label.lower()} on the first day of "
            f"Forum {promoted.forum.number}, with no room, seen by staff only. Organizers "
            "place it from the agenda and schedule it.",
            "success",
        )
    else:
        flash(
            f"This topic was already promoted: “{item.title}” in Forum {promoted.forum.number}. "
            "Nothing new was created.",
            "info",
        )
    for warning in promoted.warnings:
        flash(warning, "warning")
    return _back(group.forum_id, f"group-{group.id}")


@bp.route("/staff/forums/<int:forum_id>/topics/import", methods=["GET", "POST"])
@role_required(*READERS)
def import_csv(forum_id: int):
    forum = db.get_or_404(Forum, forum_id)
    form = ImportForm()
    errors: list[RowError] = []
    if form.validate_on_submit():
        importing = carry_out(
            lambda: topic_import.import_file_and_regroup(db.session, forum, form.file.data.read()),
            show_error=False,
        )
        if importing.ok:
            count = len(importing.value)
            flash(
                f"Imported {count} suggestion{'' if count == 1 else 's'} and regrouped.", "success"
            )
            return _back(forum.id)
        if not isinstance(importing.error, SuggestionsFileRefused):
            raise importing.error
        errors = importing.error.rows
    return render_template(
        "feedback/topics_import.html",
        forum=forum,
        form=form,
        errors=errors,
        teams=program_teams(db.session, forum),
    ), 400 if form.errors or errors else 200
