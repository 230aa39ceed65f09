"""The baseline: a minimal Flask app doing the least each benchmarked job needs.

It is served by the same gunicorn settings, on the same database, through the same driver
(SQLAlchemy with psycopg 3 or sqlite3, and on SQLite forumapp's own connection settings: WAL,
``BEGIN IMMEDIATE`` for writes). Each endpoint parses a JSON body and answers JSON, like the
API it stands beside, but skips everything else: no sign-in, no ORM, no templates, no outbox.

- ``POST /baseline/checkin`` ``{"code"}``: one indexed single-row UPDATE.
- ``POST /baseline/register`` ``{"email"}``: one conditional UPDATE of the day's seat counter
  and one INSERT of the seat (confirmed when the counter moved, waitlisted otherwise).

gunicorn loads ``bench.baseline_app:create_baseline_app()`` with ``BENCH_DATABASE_URL`` set.
"""

from __future__ import annotations

import gc
import json
import os
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Flask, jsonify, request

from config import engine_options, normalise_database_url
from forumapp.core.database import install_database_behaviour

metadata = sa.MetaData()
baseline_ticket = sa.Table(
    "bench_baseline_ticket",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(32), nullable=False, unique=True),
    sa.Column("checked_in_at", sa.DateTime(timezone=True)),
)
baseline_day = sa.Table(
    "bench_baseline_day",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("capacity", sa.Integer, nullable=False),
    sa.Column("seats_taken", sa.Integer, nullable=False, default=0),
)
baseline_seat = sa.Table(
    "bench_baseline_seat",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("day_id", sa.ForeignKey("bench_baseline_day.id"), nullable=False),
    sa.Column("email", sa.String(254), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)


def engine_for(database_url: str) -> sa.Engine:
    """An engine as forumapp's: same URL normalisation, driver and pool options."""
    install_database_behaviour()
    url = normalise_database_url(database_url)
    return sa.create_engine(url, **engine_options(url))


def reset_checkin(engine: sa.Engine, codes: list[str]) -> None:
    """(Re)create the baseline's tickets, none checked in."""
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(baseline_ticket.delete())
        conn.execute(baseline_ticket.insert(), [{"code": code} for code in codes])


def reset_register(engine: sa.Engine, seats: int) -> int:
    """(Re)create the baseline's one day with ``seats`` free seats; returns its id."""
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(baseline_seat.delete())
        conn.execute(baseline_day.delete())
        return conn.execute(
            baseline_day.insert().values(capacity=seats, seats_taken=0)
        ).inserted_primary_key[0]


def seat_counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(baseline_seat.c.status, sa.func.count()).group_by(baseline_seat.c.status)
        )
        return dict(rows.all())


def checked_in_count(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(
            sa.select(sa.func.count())
            .select_from(baseline_ticket)
            .where(baseline_ticket.c.checked_in_at.is_not(None))
        )


def _body() -> dict:
    try:
        body = json.loads(request.get_data(cache=False))
    except ValueError:
        body = None
    return body if isinstance(body, dict) else {}


def create_baseline_app(database_url: str | None = None) -> Flask:
    app = Flask(__name__)
    engine = engine_for(database_url or os.environ["BENCH_DATABASE_URL"])

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @app.post("/baseline/checkin")
    def checkin():
        code = _body().get("code")
        if not isinstance(code, str):
            return jsonify(error="Send a code."), 422
        with engine.begin() as conn:
            updated = conn.execute(
                baseline_ticket.update()
                .where(baseline_ticket.c.code == code, baseline_ticket.c.checked_in_at.is_(None))
                .values(checked_in_at=datetime.now(UTC))
            ).rowcount
        if updated != 1:
            return jsonify(result="not_checked_in", code=code), 409
        return jsonify(result="checked_in", code=code), 201

    @app.post("/baseline/register")
    def register():
        body = _body()
        email, day_id = body.get("email"), body.get("day_id")
        if not isinstance(email, str) or not isinstance(day_id, int):
            return jsonify(error="Send an email and a day_id."), 422
        with engine.begin() as conn:
            taken = conn.execute(
                baseline_day.update()
                .where(
                    baseline_day.c.id == day_id,
                    baseline_day.c.seats_taken < baseline_day.c.capacity,
                )
                .values(seats_taken=baseline_day.c.seats_taken + 1)
            ).rowcount
            status = "confirmed" if taken == 1 else "waitlisted"
            seat_id = conn.execute(
                baseline_seat.insert().values(
                    day_id=day_id, email=email, status=status, created_at=datetime.now(UTC)
                )
            ).inserted_primary_key[0]
        return jsonify(id=seat_id, status=status), 201

    # Served as the app is (forumapp.wsgi): long-lived objects out of the collector's way.
    gc.collect()
    gc.freeze()
    return app
