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
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from ..agenda.models import AgendaItem
from ..core import clock
from ..core.actions import carry_out
from ..core.auth import role_required
from ..core.forms import ButtonForm
from ..core.links import absolute_url, person_for_link_or_404
from ..core.models import Forum, Role
from ..core.rate_limits import personal_link_limit
from ..extensions import db
from . import services
from .access import ANONYMOUS, STAFF, Reader, may_see, reader_for_person
from .forms import MaterialForm, SpeakerMaterialForm
from .models import Material, Visibility
from .resources import atom_feed, forum_resources
from .speaker_page import speaker_of, speaker_page
from .storage import material_storage

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


def _page(forum: Forum, form: MaterialForm, status: int = 200):
    return render_template(
        "materials/forum_materials.html",
        forum=forum,
        materials=services.forum_materials(db.session, forum),
        form=form,
        button_form=ButtonForm(),
        max_mb=current_app.config["MATERIALS_MAX_BYTES"] // (1024 * 1024),
        visibility_names={v.value: v.label for v in Visibility},
    ), status


@bp.route("/staff/forums/<int:forum_id>/materials", methods=["GET", "POST"])
@role_required(*ORGANIZERS)
def forum_materials(forum_id: int):
    """The forum's materials by session, and a form to add a file or a link."""
    forum = db.get_or_404(Forum, forum_id)
    if request.method == "GET":
        return _page(forum, _form_for(forum))
    # Materials may be larger than the app's usual request limit.
    request.max_content_length = current_app.config["MATERIALS_MAX_BYTES"] + 1024 * 1024
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


# --- A speaker's own page --------------------------------------------------------------------


def _speaker_or_404(token: str):
    person = person_for_link_or_404(token)
    speaker = speaker_of(db.session, person)
    if speaker is None:
        abort(404)
    return person, speaker


@bp.route("/me/<token>/speaking")
def speaker_home(token: str):
    """A speaker's sessions, their materials and, afterwards, what attendees said."""
    person, speaker = _speaker_or_404(token)
    page = speaker_page(db.session, speaker, person, clock.utcnow())
    response = Response(
        render_template(
            "materials/speaker_page.html",
            page=page,
            person=person,
            token=token,
            form=SpeakerMaterialForm(formdata=None),
            max_mb=current_app.config["MATERIALS_MAX_BYTES"] // (1024 * 1024),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/me/<token>/speaking/sessions/<int:item_id>/materials", methods=["POST"])
@personal_link_limit
def speaker_upload(token: str, item_id: int):
    """A speaker adds a file to one of their own sessions."""
    person, speaker = _speaker_or_404(token)
    request.max_content_length = current_app.config["MATERIALS_MAX_BYTES"] + 1024 * 1024
    item = db.session.get(AgendaItem, item_id)
    if item is None or all(link.speaker_id != speaker.id for link in item.speaker_links):
        abort(404)
    form = SpeakerMaterialForm()
    upload = form.file.data
    if form.validate_on_submit() and upload and getattr(upload, "filename", ""):
        outcome = carry_out(
            lambda: services.add_file(
                db.session,
                material_storage(),
                item.day.forum,
                item,
                services.MaterialInput(
                    form.title.data or "", visibility=Visibility(form.visibility.data)
                ),
                upload.filename or "",
                upload.read(),
                current_app.config["MATERIALS_MAX_BYTES"],
                services.Uploader(speaker_id=speaker.id),
            ),
            form,
            success=_("Uploaded: %(title)s", title=form.title.data),
        )
        if outcome.ok:
            return redirect(url_for("materials.speaker_home", token=token) + f"#session-{item.id}")
    elif not form.errors:
        form.file.errors = [_("Choose a file.")]
    page = speaker_page(db.session, speaker, person, clock.utcnow())
    return render_template(
        "materials/speaker_page.html",
        page=page,
        person=person,
        token=token,
        form=form,
        failed_item_id=item.id,
        max_mb=current_app.config["MATERIALS_MAX_BYTES"] // (1024 * 1024),
    ), 400
