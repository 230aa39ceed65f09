"""The floor of forumapp's data model: what the door rush and the registrations could reach
at best in this app, on this machine, with this schema.

``serve_floor_app()`` is the bench app with the two measured endpoints' views replaced by
bare ones: each reads the JSON body, runs the statements its endpoint cannot do without,
prebuilt, straight on the session's connection, and answers, with none of forumapp's rules,
checks or messages. Everything else stays: the hooks every request passes (security headers,
language, the rate limiter's check before each request), SQLite's write gate, the pool,
gunicorn.

- A check-in: the bearer token's user, the ticket's registration and seat that day, and the
  check-in row (three statements, the reads in one transaction; forumapp itself reads the
  token in a transaction of its own).
- A registration for a new address: the person, the registration, the day's seat counter
  (the conditional UPDATE that decides), the seat, the ticket, the calendar feed and the
  pending calendar invitation, and the confirmation in the outbox (a short plain text, not
  the rendered templates): the rows forumapp writes for a new public registrant.

The benchmarks drive it exactly as they drive the app (``python -m bench --only floor``) and
check the same outcomes (one check-in per ticket, seats exact, every message queued), so the
figures say how close each endpoint is to what its data model allows. This is a measuring
instrument, not a second implementation: nothing here is used by forumapp.
"""

from __future__ import annotations

import gc
import json
import secrets
from datetime import date

from flask import Flask, jsonify, request
from sqlalchemy import bindparam, or_, select, update

from forumapp.calendar.models import CalendarFeed, PendingInvite
from forumapp.checkin.models import Ticket
from forumapp.checkin.scanning import _NEW_CHECK_IN, _PLAIN_SCAN
from forumapp.checkin.tickets import new_code
from forumapp.core.clock import utcnow
from forumapp.core.database import InsertOrNothing, discard, reading_apart
from forumapp.core.emails import InvalidEmail, normalise_email
from forumapp.core.models import ApiToken, Audience, ForumDay, Person, hash_token
from forumapp.extensions import db
from forumapp.mail.models import OutboxMessage
from forumapp.registration.models import DaySeat, Registration, SeatStatus

from .app import create_bench_app

_TOKEN_USER = select(ApiToken.user_id).where(
    ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None)
)
_PUBLIC_DAYS = select(ForumDay.id, ForumDay.date).where(
    ForumDay.forum_id == bindparam("forum_id"), ForumDay.audience == Audience.PUBLIC
)
_person = Person.__table__
_registration = Registration.__table__
_seat = DaySeat.__table__
_day = ForumDay.__table__
_NEW_PERSON = InsertOrNothing(_person, ["email"]).returning(_person.c.id)
_NEW_REGISTRATION = _registration.insert().returning(_registration.c.id)
_NEW_SEAT = _seat.insert()
_TAKE_SEAT = (
    update(_day)
    .where(
        _day.c.id == bindparam("day"),
        or_(_day.c.capacity.is_(None), _day.c.seats_taken < _day.c.capacity),
    )
    .values(seats_taken=_day.c.seats_taken + 1)
)
_NEW_TICKET = Ticket.__table__.insert()
_NEW_FEED = InsertOrNothing(CalendarFeed.__table__, ["person_id"])
_NEW_INVITE = PendingInvite.__table__.insert()
_NEW_MESSAGE = OutboxMessage.__table__.insert()


def _refused(status: int):
    discard(db.session)
    return jsonify(error="refused"), status


def floor_check_in():
    """A check-in with the three statements it needs and nothing else."""
    _scheme, _, plain = request.headers.get("Authorization", "").partition(" ")
    session = db.session
    with reading_apart(session):
        connection = session.connection()
        user_id = connection.scalar(_TOKEN_USER, {"token_hash": hash_token(plain.strip())})
        if user_id is None:
            return _refused(401)
        try:
            body = json.loads(request.get_data(cache=False))
            code, on_date = body["code"].strip().upper(), date.fromisoformat(body["day"])
            request_id = str(body["request_id"])
        except (ValueError, KeyError, TypeError, AttributeError):
            return _refused(422)
        rows = connection.execute(_PLAIN_SCAN, {"code": code, "on_date": on_date}).all()
    if not rows:
        return _refused(404)
    registration_id, _needs, name, _organization, day_id, _team, _zone = rows[0]
    inserted = (
        session.connection()
        .execute(
            _NEW_CHECK_IN,
            {
                "registration_id": registration_id,
                "day_id": day_id,
                "checked_in_at": utcnow(),
                "checked_in_by_id": user_id,
                "method": "scan",
                "request_id": request_id,
            },
        )
        .first()
    )
    session.commit()
    return jsonify(result="checked_in", name=name), 201 if inserted else 200


def floor_registration(forum_id: int):
    """A new address's registration with the rows forumapp writes for it and nothing else."""
    session = db.session
    try:
        body = json.loads(request.get_data(cache=False))
        name, asked = body["name"].strip(), [date.fromisoformat(day) for day in body["days"]]
        email = normalise_email(body["email"])
        if not name or body.get("consent") is not True or not asked:
            raise ValueError
    except (ValueError, KeyError, TypeError, AttributeError, InvalidEmail):
        return _refused(422)
    with reading_apart(session):
        days = dict(session.connection().execute(_PUBLIC_DAYS, {"forum_id": forum_id}).all())
    by_date = {day_date: day_id for day_id, day_date in days.items()}
    if any(day not in by_date for day in asked):
        return _refused(422)
    now = utcnow()
    connection = session.connection()
    person_id = connection.scalar(
        _NEW_PERSON,
        {
            "name": name,
            "email": email,
            "organization": str(body.get("organization") or ""),
            "job_title": "",
            "created_at": now,
            "link_nonce": secrets.token_hex(8),
            "language": "en",
        },
    )
    if person_id is None:  # a known address: forumapp emails its owner; not measured here
        return _refused(409)
    registration_id = connection.scalar(
        _NEW_REGISTRATION,
        {
            "forum_id": forum_id,
            "person_id": person_id,
            "kind": "public",
            "community": "",
            "accessibility_needs": "",
            "dietary_needs": "",
            "consented_at": now,
            "created_at": now,
        },
    )
    for day_id in sorted({by_date[day] for day in asked}):
        taken = connection.execute(_TAKE_SEAT, {"day": day_id}).rowcount == 1
        status = SeatStatus.CONFIRMED if taken else SeatStatus.WAITLISTED
        connection.execute(
            _NEW_SEAT,
            {
                "registration_id": registration_id,
                "day_id": day_id,
                "status": status.value,
                "override": False,
                "created_at": now,
                "status_changed_at": now,
            },
        )
        if taken:
            connection.execute(_NEW_INVITE, {"person_id": person_id, "event_key": f"day-{day_id}"})
    connection.execute(_NEW_TICKET, {"registration_id": registration_id, "code": new_code()})
    connection.execute(_NEW_FEED, {"person_id": person_id, "token": secrets.token_urlsafe(32)})
    connection.execute(
        _NEW_MESSAGE,
        {
            "kind": "registration",
            "about": f"registration:{registration_id}",
            "person_id": person_id,
            "to_email": email,
            "to_name": name,
            "subject": "Your registration",
            "text_body": f"Hello {name}, you are registered.",
        },
    )
    session.commit()
    return jsonify(status="received", email=email), 202


def install_floor_views(app: Flask) -> Flask:
    """Replace ``app``'s check-in and public registration views by the bare ones above (same
    URLs, same hooks before and after them); returns ``app``."""
    app.view_functions["api.create_checkin"] = floor_check_in
    app.view_functions["api.create_registration"] = floor_registration
    return app


def serve_floor_app() -> Flask:
    """What gunicorn serves for the floor, prepared as ``serve_bench_app`` prepares the app."""
    app = install_floor_views(create_bench_app())
    gc.collect()
    gc.freeze()
    return app
