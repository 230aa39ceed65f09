"""Small real files of each kind, and a forum with a public day, a team day and a speaker."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date, time

import pytest
from reportlab.pdfgen.canvas import Canvas

from forumapp.extensions import db

from .. import builders as build
from ..mail.conftest import mail_settings, smtp_server  # noqa: F401  (fixtures)


def pdf_bytes(text: str = "Model ordinance") -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out)
    canvas.drawString(72, 720, text)
    canvas.save()
    return out.getvalue()


def pptx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("ppt/presentation.xml", "<p:presentation/>")
    return out.getvalue()


HTML = b"<!doctype html><html><script>alert(document.cookie)</script></html>"


@dataclass
class Place:
    forum_id: int
    public_day_id: int
    team_day_id: int
    public_item_id: int
    team_item_id: int
    registrant_token: str  # public day, confirmed
    member_token: str  # team member, team day
    stranger_token: str  # registered for another forum
    speaker_token: str  # speaks at the public session


@pytest.fixture
def place(app) -> Place:
    from forumapp.core.links import personal_token

    with app.app_context():
        forum = build.forum(days=((date(2027, 3, 15), "public"), (date(2027, 3, 16), "team")))
        public_day, team_day = forum.days
        public_item = build.item(public_day, "Opening", time(9), time(10), kind="general_session")
        team_item = build.item(team_day, "Jail reentry", time(9), time(10))
        registrant = build.public_registration(forum, "Ada Public")
        member = build.team_registration(forum, "Tess Team")
        other = build.forum(days=((date(2027, 6, 1), "public"),), number=2)
        stranger = build.public_registration(other, "Sam Stranger")
        speaker = build.speaker("Dr Rita Speaker")
        build.link(public_item, speaker)
        db.session.commit()
        return Place(
            forum.id,
            public_day.id,
            team_day.id,
            public_item.id,
            team_item.id,
            personal_token(registrant.person),
            personal_token(member.person),
            personal_token(stranger.person),
            personal_token(speaker.person),
        )
