"""JSON endpoints for materials: a forum's materials as the caller may see them, and an
organizer's upload to a session (multipart, like the page's form)."""

from __future__ import annotations

from flask import abort, current_app, request
from flask_login import current_user

from ..agenda.models import AgendaItem
from ..core.actions import carry_out_json
from ..core.auth import role_required
from ..core.body_limits import takes_bodies_up_to
from ..core.links import absolute_url
from ..core.models import Forum, ForumStatus, Role
from ..extensions import db
from ..materials import services
from ..materials.access import ANONYMOUS, STAFF, Reader
from ..materials.models import Material, Visibility
from ..materials.storage import material_storage
from ..materials.upload_limit import staff_upload_body_limit
from . import bp, record_or_404, shapes
from .shapes import answer


def caller_reader() -> Reader:
    """Staff tokens see every material; anyone else what the public may."""
    return STAFF if current_user.is_authenticated else ANONYMOUS


def material_shape(material: Material) -> shapes.MaterialRef:
    url = (
        absolute_url("materials.public_file", material_id=material.id, filename=material.filename)
        if material.is_file
        else material.url or ""
    )
    return shapes.MaterialRef(
        id=material.id,
        session_id=material.item_id,
        title=material.title,
        title_es=material.title_es,
        kind="file" if material.is_file else "link",
        url=url,
        filename=material.filename if material.is_file else None,
        content_type=material.content_type if material.is_file else None,
        size=material.size if material.is_file else None,
        visibility=Visibility(material.visibility).value,
    )


@bp.route("/forums/<int:forum_id>/materials")
def forum_materials_json(forum_id: int):
    """The forum's materials the caller may see."""
    forum = record_or_404(Forum, forum_id, "forum")
    reader = caller_reader()
    if forum.status == ForumStatus.DRAFT and not reader.is_staff:
        abort(404, f"There is no forum with id {forum_id}.")
    materials = services.visible_materials(db.session, forum, reader)
    return answer(shapes.Materials(materials=[material_shape(m) for m in materials]))


@bp.route("/items/<int:item_id>/materials", methods=["POST"])
@takes_bodies_up_to(staff_upload_body_limit)
@role_required(Role.ORGANIZER)
def create_material(item_id: int):
    """Add a file (multipart field ``file``) or a link (``url``) to a session; 201."""
    item = record_or_404(AgendaItem, item_id, "session")
    upload = request.files.get("file")
    link = (request.form.get("url") or "").strip()
    visibility = request.form.get("visibility", Visibility.PUBLIC.value)
    if visibility not in {v.value for v in Visibility}:
        return {
            "error": "The material is not valid",
            "details": {"visibility": "Send one of public, registrants, teams, staff."},
        }, 400
    if (upload is None) == (not link):
        return {
            "error": "The material is not valid",
            "details": {"file": "Send a file or a url (one of them)."},
        }, 400
    data = services.MaterialInput(
        request.form.get("title", ""), request.form.get("title_es", ""), Visibility(visibility)
    )
    uploader = services.Uploader(user_id=current_user.id)
    forum = item.day.forum
    if upload is not None:
        content = upload.read()
        return carry_out_json(
            lambda: services.add_file(
                db.session,
                material_storage(),
                forum,
                item,
                data,
                upload.filename or "",
                content,
                current_app.config["MATERIALS_MAX_BYTES"],
                uploader,
            ),
            lambda material: answer(material_shape(material), 201),
        )
    return carry_out_json(
        lambda: services.add_link(db.session, forum, item, data, link, uploader),
        lambda material: answer(material_shape(material), 201),
    )
