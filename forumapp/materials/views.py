"""Materials pages: the organizers' list and upload form per forum, and the file downloads,
which check who may see each file (public, through a personal link, or staff) on every
request: a guessed or forged address answers 404 like a missing one."""

from __future__ import annotations

import io

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user

from ..agenda.models import AgendaItem
from ..core.actions import carry_out
from ..core.auth import role_required
from ..core.body_limits import takes_bodies_up_to
from ..core.clock import to_local
from ..core.forms import ButtonForm
from ..core.links import absolute_url, person_for_link_or_404
from ..core.models import Forum, Role
from ..extensions import db
from ..mail.worker import announce_mail_to_write
from . import plan as plan_rules
from . import services, speaker_mail
from .access import ANONYMOUS, STAFF, Reader, may_see, reader_for_person
from .forms import MaterialForm, MaterialsPlanForm
from .models import Material, PacketTiming, Visibility
from .packet import packet_progress
from .plan import Plan, materials_plan
from .resources import atom_feed, forum_resources
from .storage import material_storage
from .upload_limit import staff_upload_body_limit

bp = Blueprint("materials", __name__)

ORGANIZERS = (Role.ORGANIZER,)
# Shown in the browser (PDFs, pictures); anything else downloads.
_INLINE = ("application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp")


def _form_for(forum: Forum, submitted: bool = False) -> MaterialForm:
    # A submitted form reads the request's fields and files; a new one reads nothing.
    form = MaterialForm() if submitted else MaterialForm(formdata=None)
    form.target.choices = [("forum", f"The forum as a whole: {forum.title}")] + [
        (str(item.id), f"{item.day.date:%a %b} {item.day.date.day}: {item.title}")
        for day in forum.days
        for item in day.items
    ]
    return form


def _plan_form(forum: Forum, plan: Plan) -> MaterialsPlanForm:
    zone = forum.program.time_zone
    return MaterialsPlanForm(
        formdata=None,
        slides_reminder_days=plan.slides_reminder_days,
        packet_timing=plan.packet_timing.value if plan.packet_timing else "",
        packet_send_at=to_local(plan.packet_send_at, zone) if plan.packet_send_at else None,
    )


def _page(
    forum: Forum,
    form: MaterialForm,
    status: int = 200,
    plan_form: MaterialsPlanForm | None = None,
):
    plan = materials_plan(db.session, forum, current_app.config["SPEAKER_SLIDES_REMINDER_DAYS"])
    return render_template(
        "materials/forum_materials.html",
        forum=forum,
        materials=services.forum_materials(db.session, forum),
        form=form,
        plan_form=plan_form or _plan_form(forum, plan),
        speakers=speaker_mail.forum_speakers(db.session, forum),
        mailings=speaker_mail.last_mailings(db.session, forum),
        reminder_window=speaker_mail.slides_reminder_window(
            db.session, forum, plan.slides_reminder_days
        ),
        packet=packet_progress(db.session, forum),
        button_form=ButtonForm(),
        max_mb=current_app.config["MATERIALS_MAX_BYTES"] // (1024 * 1024),
        visibility_names={v.value: v.label for v in Visibility},
    ), status


@bp.route("/staff/forums/<int:forum_id>/materials", methods=["GET", "POST"])
@takes_bodies_up_to(staff_upload_body_limit)
@role_required(*ORGANIZERS)
def forum_materials(forum_id: int):
    """The forum's materials by session, and a form to add a file or a link."""
    forum = db.get_or_404(Forum, forum_id)
    if request.method == "GET":
        return _page(forum, _form_for(forum))
    form = _form_for(forum, submitted=True)
    if not form.validate_on_submit():
        return _page(forum, form, 400)
    item = None
    if form.target.data != "forum":
        item = db.session.get(AgendaItem, int(form.target.data))
        if item is None or item.day.forum_id != forum.id:
            abort(404)
    data = services.MaterialInput(
        form.title.data or "", form.title_es.data or "", Visibility(form.visibility.data)
    )
    uploader = services.Uploader(user_id=current_user.id)
    if form.url.data:
        outcome = carry_out(
            lambda: services.add_link(db.session, forum, item, data, form.url.data, uploader),
            form,
            success="Link added.",
        )
    else:
        upload = form.file.data
        outcome = carry_out(
            lambda: services.add_file(
                db.session,
                material_storage(),
                forum,
                item,
                data,
                upload.filename or "",
                upload.read(),
                current_app.config["MATERIALS_MAX_BYTES"],
                uploader,
            ),
            form,
            success="File uploaded.",
        )
    if not outcome.ok:
        return _page(forum, form, 400)
    return redirect(url_for("materials.forum_materials", forum_id=forum.id))


@bp.route("/staff/forums/<int:forum_id>/materials/speaker-links", methods=["POST"])
@role_required(*ORGANIZERS)
def send_speaker_links(forum_id: int):
    """Email every speaker of the forum their personal link, through the outbox."""
    forum = db.get_or_404(Forum, forum_id)
    _button_or_400()
    sent = speaker_mail.send_speaker_links(db.session, forum, current_user.id)
    db.session.commit()
    announce_mail_to_write()
    flash(
        f"Queued {sent} email{'' if sent == 1 else 's'} with each speaker's link."
        if sent
        else "This forum has no speakers on its scheduled sessions yet.",
        "success" if sent else "error",
    )
    return redirect(url_for("materials.forum_materials", forum_id=forum.id) + "#speakers")


@bp.route("/staff/forums/<int:forum_id>/materials/plan", methods=["POST"])
@role_required(*ORGANIZERS)
def save_plan(forum_id: int):
    """Save when speakers are reminded to upload slides and when the packet goes."""
    forum = db.get_or_404(Forum, forum_id)
    form = MaterialsPlanForm()
    if form.validate_on_submit():
        outcome = carry_out(
            lambda: plan_rules.save_plan(
                db.session,
                forum,
                slides_reminder_days=form.slides_reminder_days.data,
                packet_timing=PacketTiming(form.packet_timing.data)
                if form.packet_timing.data
                else None,
                packet_send_local=form.packet_send_at.data,
                user_id=current_user.id,
            ),
            form,
            success="Saved the reminder and the packet plan.",
        )
        if outcome.ok:
            announce_mail_to_write()
            return redirect(url_for("materials.forum_materials", forum_id=forum.id) + "#plan")
    return _page(forum, _form_for(forum), 400, plan_form=form)


def _button_or_400() -> None:
    if not ButtonForm().validate_on_submit():
        abort(400)


@bp.route("/staff/materials/<int:material_id>/move", methods=["POST"])
@role_required(*ORGANIZERS)
def move(material_id: int):
    material = db.get_or_404(Material, material_id)
    _button_or_400()
    step = -1 if request.form.get("direction") == "up" else 1
    carry_out(lambda: services.move_material(db.session, material, step, current_user.id))
    return redirect(url_for("materials.forum_materials", forum_id=material.forum_id))


@bp.route("/staff/materials/<int:material_id>/remove", methods=["POST"])
@role_required(*ORGANIZERS)
def remove(material_id: int):
    material = db.get_or_404(Material, material_id)
    forum_id = material.forum_id
    _button_or_400()
    carry_out(
        lambda: services.remove_material(db.session, material_storage(), material, current_user.id),
        success="Material removed.",
    )
    return redirect(url_for("materials.forum_materials", forum_id=forum_id))


# --- Downloads -------------------------------------------------------------------------------


def _file_response(material_id: int, filename: str, reader: Reader):
    material = db.session.get(Material, material_id)
    if (
        material is None
        or not material.is_file
        or material.filename != filename
        or not may_see(reader, material)
    ):
        abort(404)
    content = services.read_file(material_storage(), material)
    if content is None:
        abort(404)
    response = send_file(
        io.BytesIO(content),
        mimetype=material.content_type,
        as_attachment=material.content_type not in _INLINE,
        download_name=material.filename,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Even a PDF shown in the browser runs nothing of ours, and no script of its own.
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    public = material.visibility == Visibility.PUBLIC.value and reader is ANONYMOUS
    response.headers["Cache-Control"] = "public, max-age=300" if public else "private, no-store"
    return response


@bp.route("/materials/<int:material_id>/<path:filename>")
def public_file(material_id: int, filename: str):
    """A material's file for the public, or for signed-in staff."""
    reader = STAFF if current_user.is_authenticated else ANONYMOUS
    return _file_response(material_id, filename, reader)


@bp.route("/me/<token>/materials/<int:material_id>/<path:filename>")
def personal_file(token: str, material_id: int, filename: str):
    """A material's file for the person of a personal link (registrants, team members, the
    session's speakers)."""
    person = person_for_link_or_404(token)
    material = db.session.get(Material, material_id)
    if material is None:
        abort(404)
    return _file_response(
        material_id, filename, reader_for_person(db.session, person, material.forum)
    )


# --- For templates ---------------------------------------------------------------------------


@bp.app_template_global()
def session_materials(item: AgendaItem) -> list[Material]:
    """The materials of ``item`` that the visitor may see without a personal link (staff see
    all), in order; read once per forum and request."""
    cache = g.setdefault("materials_by_forum", {})
    forum = item.day.forum
    if forum.id not in cache:
        reader = STAFF if current_user.is_authenticated else ANONYMOUS
        by_item: dict[int | None, list[Material]] = {}
        for material in services.visible_materials(db.session, forum, reader):
            by_item.setdefault(material.item_id, []).append(material)
        cache[forum.id] = by_item
    return cache[forum.id].get(item.id, [])


# --- The public resources page ---------------------------------------------------------------


def _resources_or_404(forum_id: int):
    forum = db.get_or_404(Forum, forum_id)
    resources = forum_resources(db.session, forum)
    if resources is None:
        abort(404)
    return resources


def _material_url(material: Material) -> str:
    if not material.is_file:
        return material.url or ""
    return absolute_url(
        "materials.public_file", material_id=material.id, filename=material.filename
    )


@bp.route("/forums/<int:forum_id>/resources")
def resources_page(forum_id: int):
    """Resources from a forum: public materials, the faculty's summary, promoted topics."""
    resources = _resources_or_404(forum_id)
    return render_template("materials/resources.html", resources=resources, forum=resources.forum)


@bp.route("/forums/<int:forum_id>/resources.atom")
def resources_feed(forum_id: int):
    """The resources page as an Atom feed."""
    resources = _resources_or_404(forum_id)
    body = atom_feed(
        resources,
        absolute_url("materials.resources_page", forum_id=forum_id),
        absolute_url("materials.resources_feed", forum_id=forum_id),
        _material_url,
    )
    return Response(
        body, mimetype="application/atom+xml", headers={"Cache-Control": "public, max-age=300"}
    )
