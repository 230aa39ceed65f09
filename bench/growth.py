"""Growth: the pages staff and the public load most, at 1x and 10x the data.

SQL queries per request are counted in this process, through Flask's test client with a
``before_cursor_execute`` listener on the engine: they must not grow with the data (no query
per row). Times are measured through gunicorn by the load process, one request at a time
(a few to warm up, then ``repeats`` timed), and compared as the ratio of medians 10x/1x. The
server's CPU time per request, measured in this process, is reported beside them: on a
machine other programs keep busy it shows the work a page does without their noise.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import quote_plus

from flask import Flask
from sqlalchemy import event, select

from forumapp.core.models import User
from forumapp.extensions import db

from .dataset import GrowthData

TIME_RATIO_TARGET = 3  # median time at 10x the data over the time at 1x
# A download or snapshot of every row (an export, the offline door's roster) cannot cost the
# same for ten times the rows: its fair target is to grow no faster than the data.
WHOLE_LIST_TIME_RATIO_TARGET = 10


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    signed_in: bool  # as the organizer (who is also door staff and reads feedback)
    api: bool = False  # through the API with the organizer's token instead
    body: dict | None = None  # a JSON body: the page is a POST
    whole_list: bool = False  # answers every row at once (an export), see the targets

    @property
    def time_ratio_target(self) -> float:
        return WHOLE_LIST_TIME_RATIO_TARGET if self.whole_list else TIME_RATIO_TARGET

    def headers(self, data: GrowthData) -> dict[str, str]:
        return {"Authorization": f"Bearer {data.organizer_token}"} if self.api else {}


def pages(data: GrowthData) -> list[Page]:
    forum, day = data.forum_id, data.public_day_id
    return [
        Page("public agenda", f"/forums/{forum}", signed_in=False),
        Page("registration table", f"/staff/forums/{forum}/registrations", signed_in=True),
        Page("breakout table", f"/staff/forums/{forum}/breakouts", signed_in=True),
        Page(
            "door lookup",
            f"/door/days/{day}/lookup?q={quote_plus(data.lookup_query)}",
            signed_in=True,
        ),
        Page("feedback summary", f"/staff/forums/{forum}/feedback", signed_in=True),
        Page(
            "messages audience preview",
            f"/api/v1/forums/{forum}/messages",
            signed_in=False,
            api=True,
            body={
                "subject": "Parking",
                "body": "Use the east lot.",
                "audience": {"days": [data.public_day_date]},
                "dry_run": True,
            },
        ),
        Page("measures with commitments", "/staff/program/measures", signed_in=True),
        Page(
            "attendance export",
            f"/staff/forums/{forum}/attendance.csv",
            signed_in=True,
            whole_list=True,
        ),
        Page("certificates list", f"/staff/forums/{forum}/certificates", signed_in=True),
        Page("materials list", f"/staff/forums/{forum}/materials", signed_in=True),
        Page(
            "offline snapshot",
            f"/api/v1/days/{day}/door-snapshot",
            signed_in=False,
            api=True,
            whole_list=True,
        ),
    ]


def _request(client, page: Page, data: GrowthData):
    if page.body is not None:
        return client.post(page.path, json=page.body, headers=page.headers(data))
    return client.get(page.path, headers=page.headers(data))


@contextmanager
def counting_queries(app: Flask) -> Iterator[list[str]]:
    """Every SQL statement the app's engine runs inside the block, in order."""
    statements: list[str] = []

    def count(_conn, _cursor, statement, _parameters, _context, _executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def session_cookie(app: Flask, email: str) -> tuple[str, str]:
    """The name and signed value of the session cookie a sign-in as ``email`` would set."""
    with app.app_context():
        # What Flask-Login keeps in the session: the id and the account's session token.
        session_id = db.session.scalar(select(User).where(User.email == email)).get_id()
        db.session.remove()
    serializer = app.session_interface.get_signing_serializer(app)
    value = serializer.dumps({"_user_id": session_id, "_fresh": True})
    return app.config["SESSION_COOKIE_NAME"], value


def in_process(app: Flask, data: GrowthData, repeats: int) -> dict[str, dict]:
    """``{page name: {"status", "queries", "cpu_ms"}}`` through the test client: the queries
    of one request (after one to warm up), and the median CPU time of ``repeats`` requests,
    which other programs on a busy machine do not inflate as they do wall-clock time."""
    name, value = session_cookie(app, data.organizer_email)
    results = {}
    for page in pages(data):
        client = app.test_client()
        if page.signed_in:
            client.set_cookie(name, value)
        _request(client, page, data)
        with counting_queries(app) as statements:
            response = _request(client, page, data)
        cpu = []
        for _ in range(repeats):
            started = time.process_time()
            _request(client, page, data)
            cpu.append(time.process_time() - started)
        results[page.name] = {
            "time_ratio_target": page.time_ratio_target,
            "status": response.status_code,
            "queries": len(statements),
            "cpu_ms": statistics.median(cpu) * 1000 if cpu else None,
        }
    return results


def timing_requests(app: Flask, data: GrowthData, warmup: int, repeats: int) -> list[dict]:
    """The requests the load process sends, page after page: warm-up ones, then timed ones."""
    name, value = session_cookie(app, data.organizer_email)
    requests = []
    for page in pages(data):
        headers = {"Cookie": f"{name}={value}"} if page.signed_in else page.headers(data)
        request = {"method": "GET", "path": page.path, "headers": headers}
        if page.body is not None:
            request |= {"method": "POST", "body": page.body}
        requests += [request] * (warmup + repeats)
    return requests


def median_times(
    data: GrowthData, report: dict, warmup: int, repeats: int
) -> dict[str, dict[str, float | int]]:
    """``{page name: {"median_ms", "status"}}`` from the load process's report."""
    results = {}
    per_page = warmup + repeats
    for index, page in enumerate(pages(data)):
        first = index * per_page + warmup
        latencies = report["latencies"][first : first + repeats]
        statuses = report["statuses"][first : first + repeats]
        timed = [latency for latency in latencies if latency is not None]
        results[page.name] = {
            "median_ms": statistics.median(timed) * 1000 if timed else float("nan"),
            "status": max(set(statuses), key=statuses.count),
        }
    return results
