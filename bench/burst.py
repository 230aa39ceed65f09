"""Registration burst: many members of the public register for one day at once through
``POST /api/v1/forums/<id>/registrations``, more of them than the day has seats, with one
request in 20 malformed (broken JSON, wrong types, an unknown day, a bad address): each of
those must be answered 4xx and register nobody.

The requests come from ``concurrency`` connections released at the same moment (the load
process's burst mode): one connection per person for the burst, a few clients sending one
after another for the steady variant. The database must then hold exactly ``seats`` confirmed
seats and the rest waitlisted, and no email may have been sent inside a request: the app's
SMTP settings point at a trap that counts connections, and every queued message must still be
pending in the outbox.

The baseline (``POST /baseline/register``: one conditional UPDATE of a seat counter and one
INSERT) takes the same burst on the same database just before and just after the app.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select

from forumapp.core.models import ForumDay
from forumapp.extensions import db
from forumapp.mail.models import OutboxMessage
from forumapp.registration.models import DaySeat

from . import baseline_app
from .dataset import BurstData
from .report import (
    LoadFigures,
    Row,
    cpu_rows,
    malformed_row,
    mean_figures,
    mixed_in,
    split_report,
)
from .server import CpuMeter, MailTrap, drive

# All at once: the app's p99 within this many times the baseline's p99 in the same run.
BURST_P99_RATIO_TARGET = 3.0
# From a few clients: the app's throughput at least this share of the baseline's.
STEADY_THROUGHPUT_RATIO_TARGET = 0.3


@dataclass
class BurstResult:
    app: LoadFigures
    baseline: LoadFigures
    baseline_runs: list[LoadFigures]
    people: int
    seats: int
    seat_statuses: dict[str, int]
    seats_taken: int
    outbox: dict[str, int]
    smtp_connections: int
    statuses: dict[int, int]
    malformed: list[int | None]  # the statuses of the malformed requests mixed in

    @property
    def mail_sent_in_requests(self) -> int:
        return self.smtp_connections + self.outbox.get("sent", 0)

    def rows(self, database: str, name: str) -> list[Row]:
        confirmed = self.seat_statuses.get("confirmed", 0)
        waitlisted = self.seat_statuses.get("waitlisted", 0)
        waiting = self.people - self.seats
        ratio = self.app.throughput / self.baseline.throughput
        p99_ratio = self.app.p99_ms / self.baseline.p99_ms
        at_once = self.app.concurrency >= self.people
        return [
            Row(
                name,
                database,
                "throughput (registrations/s)",
                self.app.throughput,
                self.baseline.throughput,
                ratio,
                "" if at_once else f">= {STEADY_THROUGHPUT_RATIO_TARGET} x baseline",
                None if at_once else ratio >= STEADY_THROUGHPUT_RATIO_TARGET,
            ),
            Row(
                name,
                database,
                "p50 latency (ms)",
                self.app.p50_ms,
                self.baseline.p50_ms,
                self.app.p50_ms / self.baseline.p50_ms,
            ),
            Row(
                name,
                database,
                "p99 latency (ms)",
                self.app.p99_ms,
                self.baseline.p99_ms,
                p99_ratio,
                f"<= {BURST_P99_RATIO_TARGET:.0f} x baseline" if at_once else "",
                p99_ratio <= BURST_P99_RATIO_TARGET if at_once else None,
            ),
            Row(
                name,
                database,
                "errors",
                self.app.errors,
                self.baseline.errors,
                target="0",
                passed=self.app.errors == 0,
            ),
            Row(
                name,
                database,
                "confirmed",
                confirmed,
                target=f"= {self.seats}",
                passed=confirmed == self.seats == self.seats_taken,
            ),
            Row(
                name,
                database,
                "waitlisted",
                waitlisted,
                target=f"= {waiting}",
                passed=waitlisted == waiting,
            ),
            Row(
                name,
                database,
                "emails sent inside requests",
                self.mail_sent_in_requests,
                target="0",
                passed=self.mail_sent_in_requests == 0
                and self.outbox.get("pending", 0) >= self.people,
            ),
            malformed_row(name, database, self.malformed),
            *cpu_rows(name, database, self.app, self.baseline),
        ]

    def as_dict(self) -> dict:
        return {
            "app": self.app.as_dict(),
            "baseline": self.baseline.as_dict(),
            "baseline_runs": [run.as_dict() for run in self.baseline_runs],
            "people": self.people,
            "seats": self.seats,
            "seat_statuses": self.seat_statuses,
            "seats_taken": self.seats_taken,
            "outbox_by_status": self.outbox,
            "smtp_connections": self.smtp_connections,
            "app_statuses": self.statuses,
            "malformed_statuses": dict(Counter(self.malformed)),
        }


def _registration_requests(data: BurstData, people: int) -> list[dict]:
    path = f"/api/v1/forums/{data.forum_id}/registrations"
    return [
        {
            "method": "POST",
            "path": path,
            "body": {
                "name": f"Burst Person {n:04d}",
                # New addresses for each day: a known address is asked to confirm by email.
                "email": f"burst{data.day_date:%m%d}-{n:04d}@public.example.org",
                "organization": "Wake County",
                "consent": True,
                "days": [data.day_date.isoformat()],
            },
        }
        for n in range(people)
    ]


def _malformed_requests(data: BurstData, count: int) -> list[dict]:
    """Broken JSON, wrong types, a day the forum does not have and a bad address, in turn:
    each must get a 4xx and register nobody."""
    path = f"/api/v1/forums/{data.forum_id}/registrations"
    day = data.day_date.isoformat()
    kinds = [
        {"raw": '{"name": "Broken', "headers": {"Content-Type": "application/json"}},
        {"body": {"name": 5, "email": [], "consent": "yes", "days": day}},
        {"body": {"name": "No Day", "email": "noday@public.example.org", "consent": True,
                  "days": ["2031-01-01"]}},
        {"body": {"name": "Bad Address", "email": "not-an-address", "consent": True,
                  "days": [day]}},
    ]  # fmt: skip
    return [{"method": "POST", "path": path, **kinds[n % len(kinds)]} for n in range(count)]


def _baseline_requests(day_id: int, people: int, prefix: str) -> list[dict]:
    return [
        {
            "method": "POST",
            "path": "/baseline/register",
            "body": {"email": f"{prefix}{n:04d}@public.example.org", "day_id": day_id},
        }
        for n in range(people)
    ]


def run(
    app,
    data: BurstData,
    app_port: int,
    baseline_port: int,
    people: int,
    seats: int,
    trap: MailTrap,
    concurrency: int,
    meters: tuple[CpuMeter, CpuMeter] | None = None,
) -> BurstResult:
    """Baseline, app, baseline: ``people`` registrations from ``concurrency`` connections
    released together (all at once when it equals ``people``); then count seats and mail.
    ``meters`` (the app's, the baseline's) measure the CPU each request cost."""
    app_meter, baseline_meter = meters or (None, None)
    engine = baseline_app.engine_for(app.config["SQLALCHEMY_DATABASE_URI"])
    smtp_before = trap.connections
    try:
        baseline_runs = []
        app_report = None
        for turn in ("baseline", "app", "baseline"):
            if turn == "app":
                valid = _registration_requests(data, people)
                mixed, positions = mixed_in(valid, _malformed_requests(data, len(valid)))
                # All at once stays all at once: a connection for every request.
                connections = len(mixed) if concurrency >= people else concurrency
                report = drive(app_port, mixed, connections, burst=True, meter=app_meter)
                app_report, malformed = split_report(report, positions)
                continue
            day_id = baseline_app.reset_register(engine, seats)
            requests = _baseline_requests(day_id, people, "baseline")
            report = drive(baseline_port, requests, concurrency, burst=True, meter=baseline_meter)
            baseline_runs.append(LoadFigures.of(report, {201}))
            assert baseline_app.seat_counts(engine) == {
                "confirmed": seats,
                "waitlisted": people - seats,
            }
    finally:
        engine.dispose()

    with app.app_context():
        seat_statuses = dict(
            db.session.execute(
                select(DaySeat.status, func.count())
                .where(DaySeat.day_id == data.day_id)
                .group_by(DaySeat.status)
            ).all()
        )
        seats_taken = db.session.get(ForumDay, data.day_id).seats_taken
        outbox = dict(
            db.session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            ).all()
        )
        db.session.remove()
    return BurstResult(
        app=LoadFigures.of(app_report, {202}),  # the same answer for every email
        baseline=mean_figures(baseline_runs),
        baseline_runs=baseline_runs,
        people=people,
        seats=seats,
        seat_statuses=seat_statuses,
        seats_taken=seats_taken,
        outbox=outbox,
        smtp_connections=trap.connections - smtp_before,
        statuses=dict(Counter(app_report["statuses"])),
        malformed=malformed,
    )
