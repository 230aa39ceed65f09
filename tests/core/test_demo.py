"""The demo program: realistic, complete, and the same however often it is loaded."""

from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from forumapp.agenda.models import AgendaItem, ItemKind, Speaker
from forumapp.core.models import Forum, Role, Team, TeamRole, User
from forumapp.extensions import db

from ..conftest import make_test_app, sign_in


@pytest.fixture(scope="module")
def demo_app(fresh_database):
    """An app of its own with the demo loaded once (loading it is the slow part)."""
    application = make_test_app(fresh_database())
    with application.app_context():
        upgrade()
    first_output = _run_demo(application)
    application.config["DEMO_OUTPUT"] = first_output
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _run_demo(app, *args):
    result = app.test_cli_runner().invoke(args=["demo", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _snapshot():
    """Every row of every table, minus password hashes and creation times."""
    skip = {"password_hash", "created_at"}
    snapshot = {}
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if c.name not in skip]
        rows = db.session.execute(sa.select(*columns).order_by(*table.primary_key)).all()
        snapshot[table.name] = [tuple(row) for row in rows]
    return snapshot


def test_running_demo_twice_leaves_the_same_data(demo_app):
    app = demo_app
    with app.app_context():
        first = _snapshot()
    second_output = _run_demo(app)
    with app.app_context():
        assert _snapshot() == first
    assert "nothing changed" in second_output


def test_demo_if_empty_does_not_touch_a_database_with_data(demo_app):
    app = demo_app
    assert "not loaded" in _run_demo(app, "--if-empty")


def test_demo_program_matches_the_description(demo_app):
    with demo_app.app_context():
        _check_description()


def _check_description():
    forums = db.session.scalars(sa.select(Forum).order_by(Forum.number)).all()
    assert [f.number for f in forums] == [1, 2, 3, 4, 5]
    assert len({f.venue_city for f in forums}) == 5
    span = forums[-1].first_date - forums[0].first_date
    assert timedelta(days=365) < span < timedelta(days=2 * 365)

    teams = db.session.scalars(sa.select(Team)).all()
    assert len(teams) == 10
    for team in teams:
        assert 8 <= len(team.memberships) <= 12, team.name
        roles = Counter(m.role for m in team.memberships)
        assert roles[TeamRole.PROJECT_MANAGER] == 1, team.name

    speakers = db.session.scalars(sa.select(Speaker)).all()
    assert len(speakers) >= 12
    assert {s.kind for s in speakers} == {"faculty", "outside_expert", "team_panelist"}
    panelist_people = {s.person_id for s in speakers if s.kind == "team_panelist"}
    member_people = {m.person_id for t in teams for m in t.memberships}
    assert panelist_people <= member_people  # one person, several parts

    for forum in forums:
        items = [i for day in forum.days for i in day.items]
        kinds = Counter(i.kind for i in items)
        assert kinds[ItemKind.GENERAL_SESSION] >= 1, forum.title
        assert kinds[ItemKind.BREAK] >= 1, forum.title
        assert kinds[ItemKind.DISCUSSION] + kinds[ItemKind.PANEL] >= 1, forum.title
        for day in forum.days:
            slots = Counter(i.starts_at for i in day.items if i.kind == ItemKind.BREAKOUT)
            assert 2 <= len(slots) <= 3, (forum.title, day.date)
            assert all(3 <= n <= 4 for n in slots.values()), (forum.title, day.date)
            for item in day.items:
                if item.kind == ItemKind.BREAKOUT:
                    assert item.effective_capacity and item.speaker_links
                    assert item.effective_capacity <= item.room.capacity

    final = forums[-1]
    assert [d.audience for d in final.days] == ["public", "team"]
    _check_activity(forums)

    assert final.days[1].date - final.days[0].date == timedelta(days=1)
    assert all(f.days[0].audience == "team" for f in forums[:4])


def test_demo_staff_accounts_sign_in_with_the_printed_passwords(demo_app):
    app = demo_app
    output = app.config["DEMO_OUTPUT"]
    with app.app_context():
        roles = {u.email: u.role for u in db.session.scalars(sa.select(User))}
    assert sorted(roles.values()) == sorted(r.value for r in Role)
    for email in roles:
        line = next(line for line in output.splitlines() if email in line)
        password = line.split("password:")[1].strip()
        fresh = app.test_client()
        assert sign_in(fresh, email, password).status_code == 302, email


def test_demo_prints_personal_pages_to_try_the_attendee_side(demo_app):
    output = demo_app.config["DEMO_OUTPUT"]
    lines = output.split("Attendees' personal pages")[1].strip().splitlines()
    expected = {
        "public attendee": "Your registrations",
        "team member": "Your breakouts",
        "project manager": "As project manager",
    }
    for who, text in expected.items():
        line = next(line for line in lines if line.strip().startswith(who))
        # In English whatever the person's language (some demo registrants speak Spanish).
        path = "/me/" + line.split("/me/")[1].strip() + "?lang=en"
        page = demo_app.test_client().get(path)
        assert page.status_code == 200 and text in page.get_data(as_text=True), who


def test_home_page_lists_the_published_demo_forums(demo_app):
    app = demo_app
    client = app.test_client()
    page = client.get("/").get_data(as_text=True)
    assert "Forum 5: Sustaining the work" in page
    assert "Mar 15, 2028: Open to the public" in page
    assert "Community teams only" not in page  # team days are not shown to the public
    assert "Forum 4" not in page  # still a draft
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AgendaItem)) > 50


def _check_activity(forums):
    """Registrations, picks and check-ins exist, counted as the app counts them; no mail."""
    from forumapp.checkin.models import CheckIn, Ticket
    from forumapp.mail.models import OutboxMessage
    from forumapp.registration.models import BreakoutPick, DaySeat

    def count(model, *where):
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))

    for day in (d for f in forums for d in f.days):
        confirmed = count(DaySeat, DaySeat.day_id == day.id, DaySeat.status == "confirmed")
        assert day.seats_taken == confirmed
    held = forums[0]
    assert count(CheckIn, CheckIn.day_id == held.days[0].id) > 50
    assert count(BreakoutPick, BreakoutPick.status == "confirmed") > 100
    public_day = forums[-1].days[0]
    assert public_day.seats_taken >= 30
    assert count(OutboxMessage) == 0
    # Everyone with a seat has a ticket, as the app issues them, so no page has to issue one.
    with_seat = sa.select(DaySeat.registration_id).where(DaySeat.status == "confirmed")
    live = sa.select(Ticket.registration_id).where(Ticket.voided_at.is_(None))
    assert count(DaySeat, DaySeat.registration_id.not_in(live), DaySeat.status == "confirmed") == 0
    assert count(Ticket, Ticket.voided_at.is_(None)) == db.session.scalar(
        sa.select(sa.func.count(sa.distinct(with_seat.subquery().c.registration_id)))
    )


def test_faculty_find_feedback_and_topics_from_several_teams_on_the_forum_already_held(demo_app):
    from forumapp.feedback import topic_groups
    from forumapp.feedback.models import FeedbackResponse

    with demo_app.app_context():
        held = db.session.scalar(sa.select(Forum).where(Forum.number == 1))
        responses = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(FeedbackResponse)
            .where(FeedbackResponse.forum_id == held.id)
        )
        groups = topic_groups.topic_groups(db.session, held)
        forum_id = held.id
    assert responses >= 30
    # Five themes from feedback, and the barriers teams noted on their commitments; each is
    # raised by several teams.
    assert len(groups) >= 5 and all(row.flagged for row in groups)
    faculty = demo_app.test_client()
    assert sign_in(faculty, "faculty@forums.example.org", "demo-faculty-pass").status_code == 302
    summary = faculty.get(f"/staff/forums/{forum_id}/feedback").get_data(as_text=True)
    assert "Hearing how Buncombe County runs its peer navigator program" in summary
    page = faculty.get(f"/staff/forums/{forum_id}/topics").get_data(as_text=True)
    assert "Naloxone" in page


def test_the_held_forums_breakout_door_counts_agree_with_its_attendance(demo_app):
    """The breakouts page's "checked in at the door" and the attendance pages' presence rest
    on the same scans: an organizer comparing them finds the same people."""
    from forumapp.attendance.presence import forum_presence
    from forumapp.checkin.breakouts import breakout_attendance_counts

    with demo_app.app_context():
        forum = db.session.scalar(sa.select(Forum).filter_by(number=1))
        breakouts = db.session.scalars(
            sa.select(AgendaItem)
            .join(AgendaItem.day)
            .where(AgendaItem.kind == ItemKind.BREAKOUT, AgendaItem.day.has(forum_id=forum.id))
        ).all()
        door = breakout_attendance_counts(db.session, [item.id for item in breakouts])
        present = Counter(item_id for _registration, item_id in forum_presence(db.session, forum))
        assert door and door == {
            item.id: present[item.id] for item in breakouts if present[item.id]
        }
