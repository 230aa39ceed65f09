"""Organizer pages: forums, days, rooms, the agenda grid and its problems panel."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core.actions import carry_out
from ..core.auth import role_required
from ..core.clock import to_local
from ..core.models import REMINDER_LOCAL_TIME, Forum, ForumDay, ForumStatus, Program, Role, Room
from ..extensions import db
from . import capacity, forums, items
from .blueprint import bp
from .conflicts import Slot, conflicts_for, find_conflicts
from .forms import (
    ActionForm,
    DayForm,
    ForumForm,
    ItemForm,
    ItemSpeakerForm,
    MoveForm,
    RoomForm,
    room_choices,
)
from .models import AgendaItem, AgendaItemSpeaker, Speaker
from .schedule import agenda_items, day_grid

ORGANIZERS = (Role.ORGANIZER,)
READERS = (Role.ORGANIZER, Role.FACULTY)


# --- Forums --------------------------------------------------------------------------------


@bp.route("/staff/forums")
@role_required(*READERS)
def forum_list():
    forums = db.session.scalars(
        select(Forum)
        .options(selectinload(Forum.days), selectinload(Forum.rooms))
        .order_by(Forum.program_id, Forum.number)
    ).all()
    return render_template("agenda/forum_list.html", forums=forums, action_form=ActionForm())


def _current_program() -> Program:
    return forums.current_program(db.session, current_app.config["PROGRAM_TIME_ZONE"])


def _forum_input(form: ForumForm) -> forums.ForumInput:
    number = form.number.data
    assert number is not None, "a validated ForumForm holds the number it requires"
    return forums.ForumInput(
        number=number,
        title=form.title.data,
        theme=form.theme.data or "",
        venue_name=form.venue_name.data,
        venue_address=form.venue_address.data,
        venue_city=form.venue_city.data,
        parking_info=form.parking_info.data or "",
        accessibility_contact=form.accessibility_contact.data or "",
        **{name: getattr(form, name).data or "" for name in SPANISH_FORUM_FIELDS},
    )


# Optional text fields of the forum form passed through as typed.
SPANISH_FORUM_FIELDS = (
    "title_es",
    "theme_es",
    "parking_info_es",
    "privacy_note",
    "privacy_note_es",
    "confirmation_text",
    "confirmation_text_es",
)


@bp.route("/staff/forums/new", methods=["GET", "POST"])
@role_required(*ORGANIZERS)
def forum_new():
    form = ForumForm(program=_current_program())
    if form.validate_on_submit():
        done = carry_out(
            lambda: forums.save_forum(db.session, _current_program(), _forum_input(form)), form
        )
        if done.ok:
            forum = done.value
            flash(f"Forum {forum.number} created as a draft. Add its days and rooms.", "success")
            return redirect(url_for("agenda.forum_agenda", forum_id=forum.id))
    return render_template("agenda/forum_form.html", form=form, forum=None), (
        400 if form.errors else 200
    )


@bp.route("/staff/forums/<int:forum_id>/edit", methods=["GET", "POST"])
@role_required(*ORGANIZERS)
def forum_edit(forum_id: int):
    forum = db.get_or_404(Forum, forum_id)
    form = ForumForm(program=forum.program, forum=forum)
    if form.validate_on_submit():
        done = carry_out(
            lambda: forums.save_forum(db.session, forum.program, _forum_input(form), forum),
            form,
            success="Forum saved.",
        )
        if done.ok:
            return redirect(url_for("agenda.forum_agenda", forum_id=forum.id))
    return render_template("agenda/forum_form.html", form=form, forum=forum), (
        400 if form.errors else 200
    )


_STATUS_MESSAGES = {
    ForumStatus.PUBLISHED: "Forum published: its agenda is now on the public site.",
    ForumStatus.DRAFT: "Forum returned to draft: it is hidden from the public.",
    ForumStatus.CLOSED: "Forum marked as held.",
}


@bp.route("/staff/forums/<int:forum_id>/status", methods=["POST"])
@role_required(*ORGANIZERS)
def forum_status(forum_id: int):
    forum = db.get_or_404(Forum, forum_id)
    form = ActionForm()
    if not form.validate_on_submit() or form.value.data not in set(ForumStatus):
        abort(400)
    carry_out(
        lambda: forums.set_forum_status(db.session, forum, form.value.data),
        success=_STATUS_MESSAGES[ForumStatus(form.value.data)],
    )
    return redirect(url_for("agenda.forum_agenda", forum_id=forum.id))


# --- Days and rooms --------------------------------------------------------------------------


def _day_input(form: DayForm) -> forums.DayInput:
    return forums.DayInput(
        date=form.date.data,
        audience=form.audience.data,
        starts_at=form.starts_at.data,
        ends_at=form.ends_at.data,
        capacity=form.capacity.data,
        registration_opens_local=form.registration_opens_at.data,
        registration_closes_local=form.registration_closes_at.data,
        reminder_days=form.reminder_days.data or "",
        notes=form.notes.data or "",
        notes_es=form.notes_es.data or "",
    )


def _day_form(forum: Forum, day: ForumDay | None) -> DayForm:
    form = DayForm(obj=day)
    if day is not None and request.method == "GET":
        zone = forum.program.time_zone
        for name in ("registration_opens_at", "registration_closes_at"):
            instant = getattr(day, name)
            getattr(form, name).data = (
                to_local(instant, zone).replace(tzinfo=None) if instant else None
            )
        form.reminder_days.data = ", ".join(str(offset) for offset in day.reminder_offsets)
    return form


def _save_day_view(forum: Forum, day: ForumDay | None):
    form = _day_form(forum, day)
    if form.validate_on_submit():
        done = carry_out(lambda: forums.save_day(db.session, forum, _day_input(form), day), form)
        if done.ok:
            flash(f"Day {done.value.day.date:%B %d, %Y} saved.", "success")
            if done.value.moved_up:
                flash(capacity.moved_up_message(done.value.moved_up), "success")
            return redirect(url_for("agenda.forum_agenda", forum_id=forum.id))
    return render_template(
        "agenda/day_form.html",
        form=form,
        forum=forum,
        day=day,
        reminder_time=REMINDER_LOCAL_TIME.strftime("%I:%M %p").lstrip("0"),
    ), (400 if form.errors else 200)


@bp.route("/staff/forums/<int:forum_id>/days/new", methods=["GET", "POST"])
@role_required(*ORGANIZERS)
def day_new(forum_id: int):
    return _save_day_view(db.get_or_404(Forum, forum_id), None)


@bp.route("/staff/days/<int:day_id>/edit", methods=["GET", "POST"])
@role_required(*ORGANIZERS)
def day_edit(day_id: int):
    day = db.get_or_404(ForumDay, day_id)
    return _save_day_view(day.forum, day)


def _save_room_view(forum: Forum, room: Room | None):
    form = RoomForm(obj=room)
    if form.validate_on_submit():
        capacity = form.capacity.data
        assert capacity is not None, "a validated RoomForm holds the seats it requires"
        done = carry_out(
            lambda: forums.save_room(db.session, forum, form.name.data, capacity, room),
            form,
        )
        if done.ok:
            flash(f"Room {done.value.name} saved.", "success")
            return redirect(url_for("agenda.forum_agenda", forum_id=forum.id))
    return render_template("agenda/room_form.html", form=form, forum=forum, room=room), (
        400 if form.errors else 200
    )


@bp.route("/staff/forums/<int:forum_id>/rooms/new", methods=["GET", "POST"])
@role_required(*ORGANIZERS)
def room_new(forum_id: int):
    return _save_room_view(db.get_or_404(Forum, forum_id), None)


@bp.route("/staff/rooms/<int:room_id>/edit", methods=["GET", "POST"])
@role_required(*ORGANIZERS)
def room_edit(room_id: int):
    room = db.get_or_404(Room, room_id)
    return _save_room_view(room.forum, room)


# --- The agenda ------------------------------------------------------------------------------


@bp.route("/staff/forums/<int:forum_id>/agenda")
@role_required(*READERS)
def forum_agenda(forum_id: int):
    forum = db.get_or_404(Forum, forum_id)
    items_by_day = agenda_items(db.session, forum.days)
    grids = [(day, day_grid(day, items_by_day[day.id])) for day in forum.days]
    conflicts = find_conflicts(db.session, forum)
    flagged = {item_id for conflict in conflicts for item_id in conflict.item_ids}
    return render_template(
        "agenda/forum_agenda.html",
        forum=forum,
        grids=grids,
        conflicts=conflicts,
        flagged=flagged,
        changes=items.recent_changes(db.session, forum),
        action_form=ActionForm(),
    )


def _item_input(form: ItemForm) -> items.ItemInput:
    return items.ItemInput(
        kind=form.kind.data,
        title=form.title.data,
        description=form.description.data or "",
        title_es=form.title_es.data or "",
        description_es=form.description_es.data or "",
        start=form.start.data,
        end=form.end.data,
        room_id=form.room_id.data,
        capacity=form.capacity.data,
        confidential=form.confidential.data,
        status=form.status.data,
    )


def _save_item_view(day: ForumDay, item: AgendaItem | None):
    """Shared by new and edit: warn about conflicts before saving, save on confirmation."""
    form = ItemForm(obj=item)
    form.room_id.choices = room_choices(day.forum)
    zone = day.forum.program.time_zone
    if request.method == "GET":
        if item is not None:
            form.start.data = to_local(item.starts_at, zone).time()
            form.end.data = to_local(item.ends_at, zone).time()
        else:
            form.room_id.data = request.args.get("room_id", type=int)
    warnings = []
    if form.validate_on_submit():
        done = carry_out(
            lambda: items.save_item(
                db.session,
                day,
                _item_input(form),
                item,
                confirmed=form.confirm.data,
                actor_id=current_user.id,
            ),
            form,
        )
        if done.ok and done.value.saved:
            saved = done.value.item
            assert saved is not None, "a saved CheckedSave holds the item it saved"
            flash(f"Saved “{saved.title}”.", "success")
            if done.value.moved_up:
                flash(capacity.moved_up_message(done.value.moved_up), "success")
            if done.value.warnings:
                flash("Saved with warnings: see the problems panel.", "info")
            return redirect(
                url_for("agenda.forum_agenda", forum_id=day.forum_id) + f"#day-{day.id}"
            )
        if done.ok:
            warnings = done.value.warnings
    speaker_form = None
    if item is not None:
        speaker_form = _speaker_form(item)
    status = 400 if form.errors or warnings else 200
    return render_template(
        "agenda/item_form.html",
        form=form,
        day=day,
        item=item,
        warnings=warnings,
        speaker_form=speaker_form,
        action_form=ActionForm(),
    ), status


def _speaker_form(item: AgendaItem) -> ItemSpeakerForm:
    form = ItemSpeakerForm(prefix="speaker")
    linked = {link.speaker_id for link in item.speaker_links}
    speakers = db.session.scalars(select(Speaker).options(selectinload(Speaker.person))).all()
    form.speaker_id.choices = sorted(
        ((s.id, f"{s.name} ({s.kind_label})") for s in speakers if s.id not in linked),
        key=lambda choice: choice[1],
    )
    return form


@bp.route("/staff/days/<int:day_id>/items/new", methods=["GET", "POST"])
@role_required(*ORGANIZERS)
def item_new(day_id: int):
    return _save_item_view(db.get_or_404(ForumDay, day_id), None)


@bp.route("/staff/items/<int:item_id>/edit", methods=["GET", "POST"])
@role_required(*ORGANIZERS)
def item_edit(item_id: int):
    item = db.get_or_404(AgendaItem, item_id)
    return _save_item_view(item.day, item)


@bp.route("/staff/items/<int:item_id>/move", methods=["GET", "POST"])
@role_required(*ORGANIZERS)
def item_move(item_id: int):
    item = db.get_or_404(AgendaItem, item_id)
    form = MoveForm()
    form.room_id.choices = room_choices(item.day.forum)
    zone = item.day.forum.program.time_zone
    if request.method == "GET":
        form.start.data = to_local(item.starts_at, zone).time()
        form.room_id.data = item.room_id
    warnings = []
    if form.validate_on_submit():
        done = carry_out(
            lambda: items.move_item(
                db.session,
                item,
                form.start.data,
                form.room_id.data,
                confirmed=form.confirm.data,
                actor_id=current_user.id,
            ),
            form,
        )
        if done.ok and done.value.saved:
            flash(f"Moved “{item.title}”.", "success")
            return redirect(url_for("agenda.forum_agenda", forum_id=item.day.forum_id))
        if done.ok:
            warnings = done.value.warnings
    status = 400 if form.errors or warnings else 200
    return render_template("agenda/item_move.html", form=form, item=item, warnings=warnings), status


def _action_or_400() -> ActionForm:
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    return form


@bp.route("/staff/items/<int:item_id>/copy", methods=["POST"])
@role_required(*ORGANIZERS)
def item_copy(item_id: int):
    item = db.get_or_404(AgendaItem, item_id)
    _action_or_400()
    copying = carry_out(lambda: items.copy_item(db.session, item))
    assert copying.ok, "copy_item refuses nothing: carry_out only commits the copy"
    copy = copying.value
    flash(
        f"Copied as a draft: “{copy.title}”. Give it a room and a time, then schedule it.",
        "success",
    )
    return redirect(url_for("agenda.item_edit", item_id=copy.id))


@bp.route("/staff/items/<int:item_id>/delete", methods=["POST"])
@role_required(*ORGANIZERS)
def item_delete(item_id: int):
    item = db.get_or_404(AgendaItem, item_id)
    _action_or_400()
    forum_id, title = item.day.forum_id, item.title
    deleting = carry_out(
        lambda: items.delete_item(db.session, item, current_user.id),
        success=f"Deleted “{title}”.",
    )
    if not deleting.ok:
        return redirect(url_for("agenda.item_edit", item_id=item_id))
    return redirect(url_for("agenda.forum_agenda", forum_id=forum_id))


@bp.route("/staff/items/<int:item_id>/reorder", methods=["POST"])
@role_required(*ORGANIZERS)
def item_reorder(item_id: int):
    item = db.get_or_404(AgendaItem, item_id)
    form = _action_or_400()
    carry_out(
        lambda: items.reorder_item(db.session, item, -1 if form.value.data == "earlier" else 1)
    )
    return redirect(url_for("agenda.forum_agenda", forum_id=item.day.forum_id) + f"#item-{item.id}")


@bp.route("/staff/items/<int:item_id>/speakers", methods=["POST"])
@role_required(*ORGANIZERS)
def item_speaker_add(item_id: int):
    item = db.get_or_404(AgendaItem, item_id)
    form = _speaker_form(item)
    if form.validate_on_submit():
        speaker = db.get_or_404(Speaker, form.speaker_id.data)
        added = carry_out(
            lambda: items.add_speaker(db.session, item, speaker, form.role.data),
            success=f"Added {speaker.name} as {form.role.data}.",
        )
        if added.ok:
            problems = [
                c for c in conflicts_for(db.session, Slot.of(item)) if speaker.name in c.message
            ]
            for problem in problems:
                flash(f"Warning: {problem.message}", "error")
    else:
        flash("Choose a speaker and a role.", "error")
    return redirect(url_for("agenda.item_edit", item_id=item.id))


@bp.route("/staff/items/<int:item_id>/speakers/<int:link_id>/remove", methods=["POST"])
@role_required(*ORGANIZERS)
def item_speaker_remove(item_id: int, link_id: int):
    link = db.get_or_404(AgendaItemSpeaker, link_id)
    if link.item_id != item_id:
        abort(404)
    _action_or_400()
    name = link.speaker.name
    carry_out(
        lambda: items.remove_speaker(db.session, link), success=f"Removed {name} from the session."
    )
    return redirect(url_for("agenda.item_edit", item_id=item_id))
