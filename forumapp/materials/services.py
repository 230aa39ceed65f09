"""Adding, ordering, removing and listing materials. Files are checked by content and size
before anything is stored; the row and the stored file go together (a refused upload leaves
neither, a failed commit leaves no row pointing nowhere)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlparse

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..agenda.models import AgendaItem
from ..core import audit
from ..core.actions import DomainError
from ..core.models import Forum, ForumDay
from ..extensions import DbSession
from .access import Reader, may_see
from .content import KNOWN_TYPES, content_problem, detect_type, safe_filename
from .models import TITLE_MAX, URL_MAX, Material, Visibility
from .storage import MaterialStorage, new_storage_key


class MaterialRefused(DomainError):
    """A material that cannot be added; ``field`` names the input at fault."""


@dataclass(frozen=True)
class MaterialInput:
    title: str
    title_es: str = ""
    visibility: Visibility = Visibility.PUBLIC


@dataclass(frozen=True)
class Uploader:
    """Who adds a material: a staff member, or a speaker from their own page."""

    user_id: int | None = None
    speaker_id: int | None = None


def _check_text(data: MaterialInput) -> tuple[str, str]:
    title, title_es = data.title.strip(), data.title_es.strip()
    if not title:
        raise MaterialRefused("Give the material a title.", "title")
    for name, value in (("title", title), ("title_es", title_es)):
        if len(value) > TITLE_MAX:
            raise MaterialRefused(f"Use at most {TITLE_MAX} characters.", name)
    return title, title_es


def _same_place(forum_id: int, item_id: int | None):
    """SQL: materials of the same session (or of the forum itself)."""
    place = Material.item_id == item_id if item_id is not None else Material.item_id.is_(None)
    return (Material.forum_id == forum_id) & place


def _next_position(session: DbSession, forum: Forum, item: AgendaItem | None) -> int:
    last = session.scalar(
        select(func.max(Material.position)).where(_same_place(forum.id, item.id if item else None))
    )
    return (last or 0) + 1


def add_file(
    session: DbSession,
    storage: MaterialStorage,
    forum: Forum,
    item: AgendaItem | None,
    data: MaterialInput,
    filename: str,
    content: bytes,
    max_bytes: int,
    uploader: Uploader,
) -> Material:
    """Store an uploaded file as a material of ``item`` (or of ``forum``); audited. The file's
    type is judged by its content. Flushes; the caller commits (and, should the commit fail,
    the stored file is an orphan that nothing links to)."""
    _check_text(data)  # before the file is read further
    if not content:
        raise MaterialRefused("The file is empty: choose another.", "file")
    if len(content) > max_bytes:
        raise MaterialRefused(
            f"The file is larger than {_size(max_bytes)}: make it smaller (a PDF, fewer images) "
            "or share it as a link.",
            "file",
        )
    kind = detect_type(content, filename)
    if problem := content_problem(content, filename, kind):
        raise MaterialRefused(problem, "file")
    assert kind is not None
    content_type = KNOWN_TYPES[kind][0]
    key = new_storage_key()
    material = _new_material(
        session,
        forum,
        item,
        data,
        uploader,
        storage_key=key,
        filename=safe_filename(filename, kind),
        content_type=content_type,
        size=len(content),
    )
    storage.put(key, content, content_type)
    _audit(session, uploader, "material.upload", material)
    return material


def _new_material(
    session: DbSession,
    forum: Forum,
    item: AgendaItem | None,
    data: MaterialInput,
    uploader: Uploader,
    **stored,
) -> Material:
    """A new material last among its siblings, with the checked title; flushed."""
    title, title_es = _check_text(data)
    material = Material(
        forum_id=forum.id,
        item_id=item.id if item else None,
        title=title,
        title_es=title_es,
        visibility=data.visibility.value,
        position=_next_position(session, forum, item),
        uploaded_by_id=uploader.user_id,
        uploaded_by_speaker_id=uploader.speaker_id,
        **stored,
    )
    session.add(material)
    session.flush()
    return material


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size // (1024 * 1024)} MB"
    return f"{max(1, size // 1024)} KB"


def add_link(
    session: DbSession,
    forum: Forum,
    item: AgendaItem | None,
    data: MaterialInput,
    url: str,
    uploader: Uploader,
) -> Material:
    """Add a link (https or http) as a material; audited. Flushes."""
    _check_text(data)
    url = url.strip()
    parsed = urlparse(url)
    if parsed.scheme not in ("https", "http") or not parsed.netloc or len(url) > URL_MAX:
        raise MaterialRefused("Enter a web address starting with https:// (or http://).", "url")
    material = _new_material(session, forum, item, data, uploader, url=url)
    _audit(session, uploader, "material.link", material)
    return material


def _audit(session: DbSession, uploader: Uploader, action: str, material: Material) -> None:
    audit.record(
        session,
        uploader.user_id,
        action,
        f"material:{material.id}",
        forum_id=material.forum_id,
        item_id=material.item_id,
        visibility=material.visibility,
        speaker_id=uploader.speaker_id,
    )


def move_material(session: DbSession, material: Material, step: int, user_id: int | None) -> None:
    """Move a material one place up (``step`` -1) or down (+1) among its siblings."""
    siblings = list(
        session.scalars(
            select(Material)
            .where(_same_place(material.forum_id, material.item_id))
            .order_by(Material.position, Material.id)
        )
    )
    index = siblings.index(material)
    other = index + step
    if 0 <= other < len(siblings):
        siblings[index], siblings[other] = siblings[other], siblings[index]
        for position, sibling in enumerate(siblings, start=1):
            sibling.position = position
        session.flush()
        audit.record(session, user_id, "material.reorder", f"material:{material.id}")


def remove_material(
    session: DbSession, storage: MaterialStorage, material: Material, user_id: int | None
) -> None:
    """Remove a material and its stored file; audited. Flushes."""
    audit.record(
        session, user_id, "material.delete", f"material:{material.id}", forum_id=material.forum_id
    )
    key = material.storage_key
    session.delete(material)
    session.flush()
    if key:
        storage.delete(key)


def forum_materials(session: DbSession, forum: Forum) -> list[Material]:
    """Every material of the forum (its own first, then by session time), in order."""
    return list(
        session.scalars(
            select(Material)
            .outerjoin(AgendaItem, AgendaItem.id == Material.item_id)
            .where(Material.forum_id == forum.id)
            .options(
                selectinload(Material.item)
                .selectinload(AgendaItem.day)
                .selectinload(ForumDay.forum),
                selectinload(Material.forum).selectinload(Forum.days),
            )
            .order_by(
                AgendaItem.starts_at.is_not(None),
                AgendaItem.starts_at,
                Material.item_id,
                Material.position,
                Material.id,
            )
        )
    )


def visible_materials(
    session: DbSession, forum: Forum, reader: Reader, items: Sequence[int] | None = None
) -> list[Material]:
    """The forum's materials ``reader`` may see (of the sessions ``items`` only, when given)."""
    return [
        material
        for material in forum_materials(session, forum)
        if may_see(reader, material) and (items is None or material.item_id in items)
    ]


def read_file(storage: MaterialStorage, material: Material) -> bytes | None:
    """The stored bytes of a file material, or None when the file is missing."""
    if material.storage_key is None:
        return None
    try:
        return storage.get(material.storage_key)
    except KeyError:
        return None
