"""The organizer's attendance downloads: one row per person per session with entry, exit and
credited minutes per credit type, as CSV (one file) or XLSX (one sheet per day). The JSON
API's attendance list is made of the same rows (``attendance_records``), so the three agree.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import select

from ..agenda.models import AgendaItem
from ..checkin.outcomes import teams_of_people
from ..core import audit
from ..core.clock import to_local
from ..core.models import Forum, ForumDay
from ..core.spreadsheet import csv_text, spreadsheet_safe
from ..extensions import DbSession
from .models import CreditType, SessionCredit
from .presence import Evidence, forum_attendance

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class AttendanceRecord:
    """One person in one session, as every attendance download shows it."""

    registration_id: int
    name: str
    email: str
    organization: str
    team: str
    item_id: int
    session: str
    day: date
    starts_at: datetime  # local
    ends_at: datetime  # local
    entry: datetime | None  # local
    exit: datetime | None  # local
    source: Evidence
    minutes: int
    credited: dict[int, int]  # credit type id → minutes


def forum_credit_types(session: DbSession, forum: Forum) -> list[CreditType]:
    """The credit types some session of the forum carries, by name."""
    return list(
        session.scalars(
            select(CreditType)
            .where(
                CreditType.id.in_(
                    select(SessionCredit.credit_type_id)
                    .join(AgendaItem)
                    .join(ForumDay)
                    .where(ForumDay.forum_id == forum.id)
                )
            )
            .order_by(CreditType.name)
        )
    )


def attendance_records(session: DbSession, forum: Forum) -> list[AttendanceRecord]:
    """Everyone's presence in the forum's sessions, by session time then name."""
    zone = forum.program.time_zone
    rows = forum_attendance(session, forum)
    people = list({row.registration.person_id for row in rows})
    teams = teams_of_people(session, people, forum.program_id)

    def local(instant: datetime | None) -> datetime | None:
        return to_local(instant, zone) if instant else None

    return [
        AttendanceRecord(
            registration_id=row.registration.id,
            name=row.registration.person.name,
            email=row.registration.person.email,
            organization=row.registration.person.organization,
            team=", ".join(teams.get(row.registration.person_id, [])),
            item_id=row.item.id,
            session=row.item.title,
            day=to_local(row.item.starts_at, zone).date(),
            starts_at=to_local(row.item.starts_at, zone),
            ends_at=to_local(row.item.ends_at, zone),
            entry=local(row.presence.entered_at),
            exit=local(row.presence.left_at),
            source=row.presence.source,
            minutes=row.presence.minutes,
            credited=row.credited,
        )
        for row in rows
    ]


# --- The files -------------------------------------------------------------------------------


def _header(credit_types: Sequence[CreditType], with_day: bool) -> list[str]:
    header = ["Day"] if with_day else []
    header += ["Session", "Starts", "Ends", "Name", "Email", "Organization", "Team"]
    header += ["Entry", "Exit", "Evidence", "Minutes present"]
    return header + [f"Credited minutes: {credit_type.name}" for credit_type in credit_types]


def _time(value: datetime | None) -> str:
    return value.strftime("%H:%M") if value else ""


def _cells(record: AttendanceRecord, credit_types: Sequence[CreditType], with_day: bool) -> list:
    cells: list = [record.day.isoformat()] if with_day else []
    cells += [
        record.session,
        _time(record.starts_at),
        _time(record.ends_at),
        record.name,
        record.email,
        record.organization,
        record.team,
        _time(record.entry),
        _time(record.exit),
        record.source,
        record.minutes,
    ]
    # A session that does not carry a credit type has an empty cell, not a zero.
    return cells + [record.credited.get(credit_type.id, "") for credit_type in credit_types]


def attendance_csv(session: DbSession, forum: Forum, user_id: int | None) -> str:
    """The attendance download as CSV (audited)."""
    audit.record_download(session, user_id, "export.attendance_csv", f"forum:{forum.id}")
    credit_types = forum_credit_types(session, forum)
    records = attendance_records(session, forum)
    return csv_text(
        _header(credit_types, with_day=True),
        (_cells(record, credit_types, with_day=True) for record in records),
    )


def attendance_xlsx(session: DbSession, forum: Forum, user_id: int | None) -> bytes:
    """The attendance download as an XLSX workbook, one sheet per forum day (audited)."""
    audit.record_download(session, user_id, "export.attendance_xlsx", f"forum:{forum.id}")
    credit_types = forum_credit_types(session, forum)
    records = attendance_records(session, forum)
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])  # a new workbook's empty first sheet
    for day in forum.days:
        sheet = workbook.create_sheet(f"{day.date:%a %b} {day.date.day}")
        header = _header(credit_types, with_day=False)
        sheet.append(header)
        for record in records:
            if record.day == day.date:
                sheet.append(list(_xlsx_cells(record, credit_types)))
        sheet.freeze_panes = "A2"
        for index, title in enumerate(header, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = max(10, min(40, len(title)))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_cells(record: AttendanceRecord, credit_types: Sequence[CreditType]) -> Iterator:
    for cell in _cells(record, credit_types, with_day=False):
        # Text is defused as in the CSV (a name starting with "=" is not a formula); numbers
        # stay numbers so the sheet can add them up.
        yield cell if isinstance(cell, int) else spreadsheet_safe(cell)
