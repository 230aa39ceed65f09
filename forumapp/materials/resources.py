"""A forum's public resources page, the start of the program's web resource: the public
materials of the forum and its sessions, the faculty's summary once it went out, and the
topics promoted into the next forum's agenda; with an Atom feed the program's website can
follow."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from xml.etree import ElementTree as ET

from sqlalchemy import select

from ..core.models import Forum, ForumStatus
from ..extensions import DbSession
from ..feedback.models import TopicGroup
from ..feedback.review import sent_summary
from .access import ANONYMOUS
from .models import Material
from .services import visible_materials

ATOM = "http://www.w3.org/2005/Atom"


@dataclass(frozen=True)
class Resources:
    forum: Forum
    materials: list[Material]
    summary: str
    summary_at: datetime | None
    promoted: list[TopicGroup]


def forum_resources(session: DbSession, forum: Forum) -> Resources | None:
    """What the public resources page shows; None for a draft forum."""
    if forum.status == ForumStatus.DRAFT:
        return None
    sent = sent_summary(session, forum)
    promoted = session.scalars(
        select(TopicGroup)
        .where(TopicGroup.forum_id == forum.id, TopicGroup.promoted_item_id.is_not(None))
        .order_by(TopicGroup.label)
    ).all()
    return Resources(
        forum=forum,
        materials=visible_materials(session, forum, ANONYMOUS),
        summary=sent.summary if sent else "",
        summary_at=sent.summary_sent_at if sent else None,
        promoted=list(promoted),
    )


def atom_feed(resources: Resources, page_url: str, feed_url: str, url_of) -> bytes:
    """The resources as an Atom 1.0 feed (RFC 4287): an entry per material and the summary.
    ``url_of(material)`` gives a material's public address."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    forum = resources.forum

    def add(parent, tag: str, text: str | None = None, **attrs) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    stamps = [m.created_at for m in resources.materials]
    if resources.summary_at:
        stamps.append(resources.summary_at)
    updated = max(stamps) if stamps else forum.program.created_at
    add(feed, "id", feed_url)
    add(feed, "title", f"Resources from {forum.title}")
    add(feed, "updated", updated.isoformat())
    add(feed, "link", href=page_url, rel="alternate")
    add(feed, "link", href=feed_url, rel="self")
    author = add(feed, "author")
    add(author, "name", forum.program.name)
    for material in resources.materials:
        entry = add(feed, "entry")
        add(entry, "id", f"{page_url}#material-{material.id}")
        add(entry, "title", material.title)
        add(entry, "updated", material.created_at.isoformat())
        add(entry, "link", href=url_of(material), rel="alternate")
        where = material.item.title if material.item else forum.title
        add(entry, "summary", f"{where}: {material.title}")
    if resources.summary and resources.summary_at:
        entry = add(feed, "entry")
        add(entry, "id", f"{page_url}#summary")
        add(entry, "title", f"What we heard at {forum.title}")
        add(entry, "updated", resources.summary_at.isoformat())
        add(entry, "link", href=f"{page_url}#summary", rel="alternate")
        add(entry, "content", resources.summary, type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
