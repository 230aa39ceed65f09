"""Door rush: every ticket checked in once by concurrent scanners through ``POST /api/v1/checkins``,
with one request in 20 malformed (broken JSON, an unknown code, wrong types): each of those
must be answered 4xx and change nothing (the check-in rows stay one per ticket).

The baseline (``POST /baseline/checkin``: one indexed single-row UPDATE) runs the same number
of requests from the same number of scanners just before and just after the app, on the same
database; its figures are the mean of the two runs, so a machine that gets busier or quieter
during the run shifts both sides alike.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select

from forumapp.checkin.models import CheckIn
from forumapp.checkin.tickets import new_code
from forumapp.core.models import ForumDay
from forumapp.extensions import db

from . import baseline_app
from .dataset import DoorRushData
from .report import (
    LoadFigures,
    Row,
    cpu_rows,
    malformed_row,
    mean_figures,
    mixed_in,
    split_report,
)
from .server import CpuMeter, drive

P99_TARGET_MS = 30
THROUGHPUT_RATIO_TARGET = 0.65
WARMUP_REQUESTS = 40


@dataclass
class DoorRushResult:
    app: LoadFigures
    baseline: LoadFigures
    baseline_runs: list[LoadFigures]
    check_in_rows: int
    tickets: int
    statuses: dict[int, int]
    malformed: list[int | None]  # the statuses of the malformed requests mixed in

    def rows(self, database: str) -> list[Row]:
        name = "door rush"
        ratio = self.app.throughput / self.baseline.throughput
        return [
            Row(
                name,
                database,
                "throughput (check-ins/s)",
                self.app.throughput,
                self.baseline.throughput,
                ratio,
                f">= {THROUGHPUT_RATIO_TARGET} x baseline",
                ratio >= THROUGHPUT_RATIO_TARGET,
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
                self.app.p99_ms / self.baseline.p99_ms,
                f"< {P99_TARGET_MS} ms",
                self.app.p99_ms < P99_TARGET_MS,
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
                "check-in rows",
                self.check_in_rows,
                target=f"= {self.tickets}",
                passed=self.check_in_rows == self.tickets,
            ),
            malformed_row(name, database, self.malformed),
            *cpu_rows(name, database, self.app, self.baseline),
        ]

    def as_dict(self) -> dict:
        return {
            "app": self.app.as_dict(),
            "baseline": self.baseline.as_dict(),
            "baseline_runs": [run.as_dict() for run in self.baseline_runs],
            "check_in_rows": self.check_in_rows,
            "tickets": self.tickets,
            "app_statuses": self.statuses,
            "malformed_statuses": dict(Counter(self.malformed)),
        }


def _check_in_requests(data: DoorRushData) -> list[dict]:
    headers = {"Authorization": f"Bearer {data.token}"}
    day = data.day_date.isoformat()
    return [
        {
            "method": "POST",
            "path": "/api/v1/checkins",
            "body": {"code": code, "day": day, "request_id": str(uuid.uuid4())},
            "headers": headers,
        }
        for code in data.codes
    ]


def _malformed_requests(data: DoorRushData, count: int) -> list[dict]:
    """Broken JSON, unknown codes and wrong types, in turn: each must get a 4xx."""
    headers = {"Authorization": f"Bearer {data.token}"}
    day = data.day_date.isoformat()
    kinds = [
        {
            "raw": '{"code": "' + new_code()[:6],
            "headers": headers | {"Content-Type": "application/json"},
        },
        {
            "body": {"code": new_code(), "day": day, "request_id": str(uuid.uuid4())},
            "headers": headers,
        },
        {"body": {"code": 12345, "day": True, "request_id": []}, "headers": headers},
    ]
    return [
        {"method": "POST", "path": "/api/v1/checkins", **kinds[n % len(kinds)]}
        for n in range(count)
    ]


def _baseline_requests(codes: list[str]) -> list[dict]:
    return [{"method": "POST", "path": "/baseline/checkin", "body": {"code": c}} for c in codes]


def run(
    app,
    data: DoorRushData,
    app_port: int,
    baseline_port: int,
    scanners: int,
    meters: tuple[CpuMeter, CpuMeter] | None = None,
) -> DoorRushResult:
    """Warm both servers up, then baseline, app, baseline; check the rows in the database.
    ``meters`` (the app's, the baseline's) measure the CPU each request cost."""
    app_meter, baseline_meter = meters or (None, None)
    engine = baseline_app.engine_for(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        # Unknown codes: each server runs its whole path once per thread, writing nothing.
        unknown = [new_code() for _ in range(WARMUP_REQUESTS)]
        warmup = _check_in_requests(DoorRushData(data.day_date, unknown, data.token))
        drive(app_port, warmup, scanners)
        drive(baseline_port, _baseline_requests(unknown), scanners)

        baseline_codes = [new_code() for _ in data.codes]
        baseline_runs = []
        app_report = None
        for turn in ("baseline", "app", "baseline"):
            if turn == "app":
                valid = _check_in_requests(data)
                mixed, positions = mixed_in(valid, _malformed_requests(data, len(valid)))
                report = drive(app_port, mixed, scanners, meter=app_meter)
                app_report, malformed = split_report(report, positions)
                continue
            baseline_app.reset_checkin(engine, baseline_codes)
            report = drive(
                baseline_port, _baseline_requests(baseline_codes), scanners, meter=baseline_meter
            )
            baseline_runs.append(LoadFigures.of(report, {201}))
            assert baseline_app.checked_in_count(engine) == len(baseline_codes)
    finally:
        engine.dispose()

    with app.app_context():
        day_id = db.session.scalar(select(ForumDay.id).where(ForumDay.date == data.day_date))
        rows = db.session.scalar(
            select(func.count()).select_from(CheckIn).where(CheckIn.day_id == day_id)
        )
        db.session.remove()
    statuses: dict[int, int] = {}
    for status in app_report["statuses"]:
        statuses[status] = statuses.get(status, 0) + 1
    return DoorRushResult(
        app=LoadFigures.of(app_report, {201}),
        baseline=mean_figures(baseline_runs),
        baseline_runs=baseline_runs,
        check_in_rows=rows,
        tickets=len(data.codes),
        statuses=statuses,
        malformed=malformed,
    )
