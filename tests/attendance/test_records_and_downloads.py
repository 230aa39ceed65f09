"""The organizers' attendance pages: corrections with who and why, the CSV and XLSX downloads
(whose rows equal the API's), and printable sign-in sheets."""

from __future__ import annotations

import csv
import io
from datetime import time
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from pypdf import PdfReader

from forumapp.agenda.models import AgendaItem
from forumapp.attendance.corrections import CorrectionRefused, correct_attendance
from forumapp.attendance.exports import attendance_records
from forumapp.attendance.models import AttendanceCorrection, Direction
from forumapp.attendance.presence import forum_attendance
from forumapp.core.audit import AuditEntry
from forumapp.core.models import Forum
from forumapp.extensions import db
from forumapp.registration.breakouts import choose_breakout

from .. import builders as build
from ..conftest import csrf_token
from .conftest import World, at, build_world, check_in, scan_at


def _hold(world: World) -> World:
    """Two people at the forum: one scanned in and out of the plenary, one who left early."""
    ada = check_in(world, "Ada Lovelace", at(8, 50))
    scan_at(world, ada, world.general, Direction.ENTRY, at(9, 5))
    scan_at(world, ada, world.general, Direction.EXIT, at(11))
    zoe = check_in(world, "Zoë Ñúñez-Østergaard", at(9))
    scan_at(world, zoe, None, Direction.EXIT, at(10))
    db.session.commit()
    world.ada, world.zoe = ada, zoe
    return world


@pytest.fixture
def held(world) -> World:
    return _hold(world)


@pytest.fixture
def ids(app) -> SimpleNamespace:
    """The same forum for the pages, as plain ids (built in an app context of its own)."""
    with app.app_context():
        world = _hold(build_world())
        found = SimpleNamespace(
            forum=world.forum.id,
            day=world.day.id,
            general=world.general.id,
            breakout_a=world.breakout_a.id,
            zoe=world.zoe.id,
            ada=world.ada.id,
        )
        db.session.remove()
    return found


def test_a_correction_replaces_the_scans_and_is_audited_with_who_and_why(held):
    organizer = build.staff_user("organizer").id
    correct_attendance(
        db.session,
        held.zoe,
        held.general,
        time(9),
        time(12),
        "Paper sheet: stayed to 12",
        organizer,
    )

    row = next(
        r for r in forum_attendance(db.session, held.forum, [held.zoe.id]) if r.item == held.general
    )
    assert row.presence.source == "correction" and row.presence.minutes == 180
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "attendance.correct")
    )
    assert entry.user_id == organizer
    assert entry.details["reason"] == "Paper sheet: stayed to 12"
    assert entry.details["after"] == {"from": "09:00", "until": "12:00"}

    # A second correction replaces the first; the log keeps both.
    correct_attendance(
        db.session, held.zoe, held.general, None, None, "Not on the sheet", organizer
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AttendanceCorrection)) == 1
    assert not [
        r for r in forum_attendance(db.session, held.forum, [held.zoe.id]) if r.presence.minutes
    ]


@pytest.mark.parametrize(
    ("start", "end", "reason", "field"),
    [
        (time(10), time(9), "Sheet", "present_until"),
        (time(10), None, "Sheet", "present_until"),
        (time(9), time(10), "   ", "reason"),
        (time(7), time(8), "Sheet", "present_from"),  # AM for PM, or the wrong row
        (time(12), time(13), "Sheet", "present_from"),
    ],
)
def test_a_correction_that_makes_no_sense_is_refused_naming_the_field(
    held, start, end, reason, field
):
    with pytest.raises(CorrectionRefused) as refused:
        correct_attendance(db.session, held.zoe, held.general, start, end, reason, None)
    assert refused.value.field == field


def test_a_correction_outside_the_session_says_the_sessions_times(held):
    with pytest.raises(CorrectionRefused) as refused:
        correct_attendance(db.session, held.zoe, held.general, time(7), time(8), "Sheet", None)
    assert str(refused.value) == (
        "These times are all outside the session (9:00 AM–12:00 PM). Check them, or leave both "
        "empty to mark the person absent."
    )


def test_the_session_page_corrects_from_a_form_and_shows_errors_next_to_fields(
    ids, client, signed_in
):
    signed_in("organizer")
    path = f"/staff/forums/{ids.forum}/attendance/sessions/{ids.general}"
    page = client.get(path).get_data(as_text=True)
    assert "Ada Lovelace" in page and "Session door" in page

    bad = client.post(
        path,
        data={
            "registration_id": ids.zoe,
            "present_from": "10:00",
            "present_until": "09:00",
            "reason": "Sheet",
            "csrf_token": csrf_token(client, path),
        },
    )
    assert bad.status_code == 400
    assert "The time out must be after the time in." in bad.get_data(as_text=True)

    good = client.post(
        path,
        data={
            "registration_id": ids.zoe,
            "present_from": "09:00",
            "present_until": "11:30",
            "reason": "Paper sheet",
            "csrf_token": csrf_token(client, path),
        },
        follow_redirects=True,
    )
    assert good.status_code == 200
    assert "Attendance of Zoë Ñúñez-Østergaard corrected." in good.get_data(as_text=True)
    assert "“Paper sheet”" in good.get_data(as_text=True)


@pytest.mark.parametrize("role", ["door", "faculty"])
def test_door_staff_and_faculty_cannot_open_the_attendance_pages(ids, client, signed_in, role):
    signed_in(role)
    for path in (
        f"/staff/forums/{ids.forum}/attendance",
        f"/staff/forums/{ids.forum}/attendance.xlsx",
        f"/staff/forums/{ids.forum}/days/{ids.day}/sign-in-sheet.pdf",
    ):
        assert client.get(path).status_code == 403, path


def test_the_xlsx_has_a_sheet_per_day_and_its_rows_equal_the_csv_and_the_records(
    app, ids, client, signed_in
):
    signed_in("organizer")
    workbook = load_workbook(
        io.BytesIO(client.get(f"/staff/forums/{ids.forum}/attendance.xlsx").data)
    )
    csv_rows = list(
        csv.reader(
            io.StringIO(
                client.get(f"/staff/forums/{ids.forum}/attendance.csv")
                .get_data(as_text=True)
                .lstrip("\ufeff")
            )
        )
    )

    assert workbook.sheetnames == ["Mon Mar 15"]
    sheet_rows = [list(row) for row in workbook.active.iter_rows(values_only=True)]
    header = sheet_rows[0]
    assert header[:4] == ["Session", "Starts", "Ends", "Name"]
    assert "Credited minutes: Nursing contact hours" in header
    with app.app_context():
        records = attendance_records(db.session, db.session.get(Forum, ids.forum))
    assert len(sheet_rows) - 1 == len(csv_rows) - 1 == len(records) == 2
    ada = next(row for row in sheet_rows[1:] if row[3] == "Ada Lovelace")
    assert ada[header.index("Entry")] == "09:05" and ada[header.index("Exit")] == "11:00"
    assert ada[header.index("Credited minutes: Law enforcement in-service")] == 115
    # The CSV holds the same rows, with the day in front.
    assert [row[1:] for row in csv_rows[1:]] == [
        ["" if cell is None else str(cell) for cell in row] for row in sheet_rows[1:]
    ]


def test_sign_in_sheets_list_everyone_registered_for_the_day_with_long_accented_names(
    app, ids, client, signed_in
):
    long_name = "María-José Guadalupe de los Ángeles Fernández-Villavicencio y Ñandú"
    with app.app_context():
        build.public_registration(ids.forum, long_name)
        db.session.commit()
    signed_in("organizer")

    response = client.get(f"/staff/forums/{ids.forum}/days/{ids.day}/sign-in-sheet.pdf")

    assert response.mimetype == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    flat = " ".join(text.split())
    for name in ("Ada Lovelace", "Zoë Ñúñez-Østergaard", "Fernández-Villavicencio"):
        assert name in flat
    assert "Signing is voluntary on this public day" in flat
    assert flat.index("Ada Lovelace") < flat.index("María-José") < flat.index("Zoë")
    for column in ("Signature", "Time in", "Time out"):
        assert column in flat


def test_a_breakouts_sheet_lists_only_those_who_chose_it(app, ids, client, signed_in):
    with app.app_context():
        member = build.team_registration(ids.forum, "Tess Team", day_ids=[ids.day])
        choose_breakout(db.session, member, db.session.get(AgendaItem, ids.breakout_a))
        db.session.commit()
    signed_in("organizer")

    response = client.get(
        f"/staff/forums/{ids.forum}/attendance/sessions/{ids.breakout_a}/sign-in-sheet.pdf"
    )

    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "Tess Team" in text
    assert "Ada Lovelace" not in text and "Zoë" not in text
    assert "Naloxone in schools" in text


def test_the_apis_attendance_equals_the_xlsx_rows(ids, client, token_for, signed_in):
    headers = token_for("organizer")

    answer = client.get(f"/api/v1/forums/{ids.forum}/attendance", headers=headers).get_json()

    assert [t["name"] for t in answer["credit_types"]] == [
        "Law enforcement in-service",
        "Nursing contact hours",
    ]
    by_name = {row["name"]: row for row in answer["attendance"]}
    ada = by_name["Ada Lovelace"]
    assert ada["entry"].startswith("2027-03-15T09:05") and ada["exit"].startswith(
        "2027-03-15T11:00"
    )
    assert ada["evidence"] == "door" and ada["minutes"] == 115
    nursing = next(t for t in answer["credit_types"] if t["name"] == "Nursing contact hours")
    # Zoë left by the entrance at 10:00 without a session door: an exit, so nursing counts too.
    assert by_name["Zoë Ñúñez-Østergaard"]["credited"][str(nursing["id"])] == 60

    signed_in("organizer")
    workbook = load_workbook(
        io.BytesIO(client.get(f"/staff/forums/{ids.forum}/attendance.xlsx").data)
    )
    header, *rows = [list(row) for row in workbook.active.iter_rows(values_only=True)]
    assert len(rows) == len(answer["attendance"])
    for row in rows:
        api = by_name[row[header.index("Name")]]
        assert row[header.index("Minutes present")] == api["minutes"]
        assert row[header.index("Entry")] == api["entry"][11:16]
        for credit_type in answer["credit_types"]:
            cell = row[header.index(f"Credited minutes: {credit_type['name']}")]
            assert cell == api["credited"].get(str(credit_type["id"]))


def test_door_and_faculty_tokens_may_not_read_attendance(ids, client, token_for):
    for role in ("door", "faculty"):
        response = client.get(f"/api/v1/forums/{ids.forum}/attendance", headers=token_for(role))
        assert response.status_code == 403
    missing = client.get("/api/v1/forums/999999/attendance", headers=token_for("organizer"))
    assert missing.status_code == 404
