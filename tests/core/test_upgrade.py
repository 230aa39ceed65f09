"""Upgrading keeps data: a database filled by the demo command (and a day of activity on top,
so every table has rows) is copied into a database at each older revision, upgraded to head,
and every copied value is still there."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask_migrate import upgrade

from forumapp.agenda.models import (
    AgendaChange,
    AgendaItem,
    ItemKind,
    Speaker,
    SpeakerAvailability,
    SpeakerForumStatus,
)
from forumapp.calendar.models import CalendarFeed, CalendarInvite, PendingInvite
from forumapp.checkin.models import BreakoutAttendance, CheckIn
from forumapp.checkin.tickets import ticket_for
from forumapp.commitments.models import CommitmentFollowUp
from forumapp.core import audit
from forumapp.core.models import ApiToken, Forum, Team, User
from forumapp.extensions import db
from forumapp.feedback.models import (
    FeedbackResponse,
    FeedbackWindow,
    SessionRating,
    TopicGroup,
    TopicSuggestion,
)
from forumapp.language_access.models import LanguageRequest
from forumapp.mail.outbox import queue_email
from forumapp.messages.models import GroupMessage, SentReminder
from forumapp.registration.models import BreakoutPick

from ..conftest import PROJECT_DIR, make_test_app

SCRIPTS = ScriptDirectory(str(PROJECT_DIR / "migrations"))
# Oldest first; the head itself has nothing to upgrade.
REVISIONS = [script.revision for script in SCRIPTS.walk_revisions()][::-1]
OLDER_REVISIONS = REVISIONS[:-1]


def _revision_id(revision: str) -> str:
    return f"from_{SCRIPTS.get_revision(revision).module.__name__.split('_')[0]}_{revision}"


@pytest.fixture(scope="module")
def filled_url(fresh_database):
    """A database at head with the demo program and some activity in every table."""
    url = fresh_database()
    application = make_test_app(url)
    with application.app_context():
        upgrade()
    result = application.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with application.app_context():
        _add_activity()
        db.session.commit()
        empty = [
            table.name
            for table in db.metadata.sorted_tables
            if not db.session.scalar(sa.select(sa.func.count()).select_from(table))
        ]
        assert empty == []
        db.session.remove()
        db.engine.dispose()
    return url


def _add_activity() -> None:
    """What running the program adds after the demo: feedback, tickets, mail, calendars..."""
    forum = db.session.scalar(sa.select(Forum).order_by(Forum.number))
    day = forum.days[0]
    # Someone who came but has not answered the demo's feedback yet.
    check_in = db.session.scalar(
        sa.select(CheckIn)
        .where(
            CheckIn.day_id == day.id,
            CheckIn.registration_id.not_in(sa.select(FeedbackResponse.registration_id)),
        )
        .limit(1)
    )
    registration = check_in.registration
    person = registration.person
    pick = db.session.scalar(
        sa.select(BreakoutPick).where(BreakoutPick.registration_id == registration.id).limit(1)
    )
    item = (
        pick.item
        if pick
        else db.session.scalar(
            sa.select(AgendaItem).where(AgendaItem.kind == ItemKind.BREAKOUT).limit(1)
        )
    )
    speaker = db.session.scalar(sa.select(Speaker).order_by(Speaker.id).limit(1))
    staff = db.session.scalar(sa.select(User).order_by(User.id).limit(1))

    token, _ = ApiToken.issue(staff)
    db.session.add(token)
    team = db.session.scalar(sa.select(Team).order_by(Team.id).limit(1))
    db.session.add(  # a follow-up about the demo's commitments, as the worker records one
        CommitmentFollowUp(
            forum_id=forum.id, team_id=team.id, kind="confirmation", person_id=person.id
        )
    )
    db.session.add(SpeakerForumStatus(speaker=speaker, forum_id=forum.id, status="confirmed"))
    db.session.add(
        SpeakerAvailability(
            speaker=speaker, day_id=day.id, starts_at=item.starts_at, ends_at=item.ends_at
        )
    )
    db.session.add(
        AgendaChange(
            forum_id=forum.id,
            item_id=item.id,
            item_title=item.title,
            changed_by_id=staff.id,
            changes={"room": ["Room A", "Room B"]},
        )
    )
    queue_email(  # as the team invitations were stored before they said what they are about
        db.session,
        to_email=person.email,
        to_name=person.name,
        subject=f"You're invited: {forum.title}",
        text_body="Register for the forum.",
        kind="team_invitation",
        person_id=person.id,
    )
    queue_email(
        db.session,
        to_email=person.email,
        to_name=person.name,
        subject="Your forum",
        text_body="See you there.",
        person_id=person.id,
        alternatives=[{"content_type": "text/calendar", "content": "BEGIN:VCALENDAR"}],
    )
    db.session.add(CalendarFeed(person_id=person.id))
    db.session.add(
        PendingInvite(
            person_id=person.id,
            event_key=f"day-{day.id}",
            changed=True,
            what_changed=["The day's date or times changed."],
        )
    )
    db.session.add(
        CalendarInvite(
            person_id=person.id,
            event_key=f"day-{day.id}",
            uid=f"day-{day.id}-person-{person.id}@forums.example.org",
        )
    )
    ticket_for(db.session, registration)
    db.session.add(  # asked for an interpreter when registering; an organizer owns it
        LanguageRequest(registration=registration, spanish_interpreter=True, owner_id=staff.id)
    )
    scanned_in = db.session.scalar(
        sa.select(BreakoutAttendance.id).where(
            BreakoutAttendance.registration_id == registration.id,
            BreakoutAttendance.item_id == item.id,
        )
    )
    if scanned_in is None:  # the demo scans the held forum's breakouts in already
        db.session.add(
            BreakoutAttendance(
                registration=registration,
                item_id=item.id,
                scanned_by_id=staff.id,
                choice="confirmed",
            )
        )
    window = db.session.scalar(
        sa.select(FeedbackWindow).where(FeedbackWindow.forum_id == forum.id)
    ) or FeedbackWindow(
        forum_id=forum.id,
        opened_at=check_in.checked_in_at,
        closes_at=check_in.checked_in_at + timedelta(days=7),
    )
    window.reviewer_id = staff.id
    window.summary = "We heard you."
    group = TopicGroup(forum_id=forum.id, label="naloxone access", note="Raised twice")
    response = FeedbackResponse(
        forum_id=forum.id,
        registration_id=registration.id,
        team_id=None,
        anonymous=True,
        overall_rating=5,
        most_useful="Café conversations",
        should_change="",
    )
    response.ratings.append(SessionRating(item_id=item.id, rating=4, comment="Très utile"))
    db.session.add_all([window, group, response])
    db.session.flush()
    db.session.add(
        TopicSuggestion(
            forum_id=forum.id,
            text="Naloxone in schools",
            response_id=response.id,
            group_id=group.id,
        )
    )
    audit.record(db.session, staff.id, "export.registrations_csv", f"forum:{forum.id}")
    db.session.add(
        GroupMessage(
            forum_id=forum.id,
            subject="Parking",
            body="Hello {first_name}",
            audience={"days": [day.date.isoformat()]},
            status="queued",
            send_at=check_in.checked_in_at,
            recipients=1,
            created_by_id=staff.id,
        )
    )
    db.session.add(
        SentReminder(forum_day_id=day.id, days_before=2, person_id=person.id, kind="reminder")
    )


def _rows(connection, table: sa.Table, columns: list[str]) -> list[tuple]:
    order = [table.c[c.name] for c in table.primary_key] or [table.c[columns[0]]]
    query = sa.select(*(table.c[name] for name in columns)).order_by(*order)
    return [tuple(row) for row in connection.execute(query)]


def _reflect(engine) -> sa.MetaData:
    metadata = sa.MetaData()
    metadata.reflect(bind=engine)
    return metadata


@pytest.mark.parametrize("revision", OLDER_REVISIONS, ids=_revision_id)
def test_upgrading_to_head_keeps_every_row_and_value(filled_url, fresh_database, revision):
    assert REVISIONS[0] == SCRIPTS.get_base()  # the first revision is the first case
    source_engine = sa.create_engine(filled_url)
    source = _reflect(source_engine)

    older = make_test_app(fresh_database())
    with older.app_context():
        upgrade(revision=revision)
        old_schema = _reflect(db.engine)
        copied: dict[str, list[str]] = {}
        copied_rows = 0
        with source_engine.connect() as reading, db.engine.begin() as writing:
            for table in old_schema.sorted_tables:
                if table.name == "alembic_version":
                    continue
                columns = [c.name for c in table.columns]
                missing = set(columns) - set(source.tables[table.name].c.keys())
                assert not missing, f"{table.name}: head has lost columns {missing}"
                rows = _rows(reading, source.tables[table.name], columns)
                copied_rows += len(rows)
                if rows:
                    writing.execute(
                        table.insert(), [dict(zip(columns, r, strict=True)) for r in rows]
                    )
                copied[table.name] = columns
        assert len(copied) >= 9 and copied_rows > 300  # the core tables at least, with rows

        upgrade()  # to head
        upgraded = _reflect(db.engine)
        with source_engine.connect() as reading, db.engine.connect() as after:
            for name, columns in copied.items():
                expected = _rows(reading, source.tables[name], columns)
                assert _rows(after, upgraded.tables[name], columns) == expected, name
            _check_new_columns(after, upgraded, old_schema)
        db.session.remove()
        db.engine.dispose()
    source_engine.dispose()


def _check_new_columns(connection, upgraded: sa.MetaData, old_schema: sa.MetaData) -> None:
    """Columns added since the old revision hold sensible values in the upgraded rows."""

    def added(table: str, column: str) -> bool:
        return table in old_schema.tables and column not in old_schema.tables[table].c

    def values(table: str, column: str) -> list:
        return list(connection.execute(sa.select(upgraded.tables[table].c[column])).scalars())

    # Secrets every upgraded row must hold, each its own.
    for table, column in (("person", "link_nonce"), ("staff_user", "session_token")):
        if added(table, column):
            secrets = values(table, column)
            assert secrets and all(secrets) and len(set(secrets)) == len(secrets), table
    # Columns whose upgraded rows all hold the one starting value.
    starting_values = {
        ("forum_day", "seats_taken"): 0,
        ("forum_day", "seats_overridden"): 0,
        ("agenda_item", "seats_taken"): 0,
        ("agenda_item", "seats_overridden"): 0,
        ("agenda_item", "position"): 0,
        ("agenda_item", "provenance"): "",
        ("speaker", "photo_filename"): None,
        ("forum", "parking_info"): "",
        ("forum", "accessibility_contact"): "",
        ("forum_day", "reminder_days"): "7,2",  # every day gets the default reminders
        ("day_seat", "promoted_at"): None,
        ("day_seat", "released_via"): None,
    }
    for (table, column), start in starting_values.items():
        if added(table, column):
            assert set(values(table, column)) == {start}, (table, column)
    if added("outbox_message", "about"):
        # Invitations sent before say which forum they were about, from their subject.
        outbox, forum = upgraded.tables["outbox_message"], upgraded.tables["forum"]
        invitations = connection.execute(
            sa.select(outbox.c.about, outbox.c.subject).where(outbox.c.kind == "team_invitation")
        ).all()
        titles = dict(connection.execute(sa.select(forum.c.id, forum.c.title)).all())
        assert invitations
        for about, subject in invitations:
            assert subject == f"You're invited: {titles[int(about.removeprefix('forum:'))]}"
