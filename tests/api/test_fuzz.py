"""Fuzz the whole JSON API from its OpenAPI document with schemathesis.

Every operation of the document gets examples, boundary and wrong values (schemathesis's coverage
phase) and random valid and invalid requests (fuzzing phase): anonymously, with an organizer's
token (organizers may use every operation) and with a door token (refused most). The database
holds the demo program; real forums, speakers, registrations, teams, public days and tickets
are put into two requests in three, so the fuzzer gets past "not found" and validation, along
with text that has broken things before (NUL, lone surrogates). Every answer must be a non-5xx
that the document describes: status code, content type, headers and body schema.

Bounded and reproducible: derandomized, a fixed number of random examples per operation, no
example database; the file takes well under a minute on either database. Registration's rate
limit is reset before each request (its 429 is documented and tested in ``test_openapi.py``).

The schema is the document the app serves (``test_openapi.py`` checks that
``/api/v1/openapi.json`` is exactly ``openapi_document()``), loaded when the module is collected
because schemathesis's fixture-based loader (``schemathesis.pytest.from_fixture``) fails on
pytest 9.2, which no longer has the node attribute it rewrites.
"""

from __future__ import annotations

import pytest
import schemathesis
import sqlalchemy as sa
from flask_migrate import upgrade
from hypothesis import settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from forumapp.agenda.models import Speaker
from forumapp.api.openapi import openapi_document
from forumapp.checkin.tickets import format_code, ticket_for
from forumapp.core.models import Audience, Forum, ForumDay, Team
from forumapp.demo import STAFF_ACCOUNTS, load_demo
from forumapp.extensions import db, limiter
from forumapp.registration.models import DaySeat, Registration, SeatStatus

from ..conftest import make_test_app

EXAMPLES_PER_OPERATION = 40
TICKETS_PER_FORUM = 3
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

SCHEMA = schemathesis.openapi.from_dict(
    openapi_document(),
    config=schemathesis.Config.from_dict(
        {
            "generation": {
                "mode": "all",
                "max-examples": EXAMPLES_PER_OPERATION,
                # The same examples on every run, locally and in CI; nothing kept between runs.
                "deterministic": True,
                "database": "none",
            },
            # Requests are independent here; links between operations are not documented.
            "phases": {"stateful": {"enabled": False}},
        }
    ),
)

# Text that has broken things before: NUL (PostgreSQL refuses it), lone surrogates (no database
# stores them), other control characters, right-to-left overrides, emoji, too long, only spaces.
AWKWARD_TEXT = st.sampled_from(
    [
        "stigma\x00",
        "\ud800",
        "naloxone \udfff",
        "\x07bell",
        "\u202eright to left",
        "peer support \U0001f91d",
        " \t ",
        "x" * 1001,
        "'; DROP TABLE person; --",
    ]
)
TEXT = st.one_of(st.text(min_size=1, max_size=80), AWKWARD_TEXT)

# Real values of the fuzz database, filled by the ``real_values`` fixture before any case is
# drawn: path parameter ids, and values for request bodies.
REAL: dict[str, list] = {}


def _sometimes_real(generated, real: st.SearchStrategy | None) -> st.SearchStrategy:
    """The generated value, or (twice as often) the same with real values put in."""
    if real is None:
        return st.just(generated)
    return st.sampled_from([False, True, True]).flatmap(
        lambda use_real: real if use_real else st.just(generated)
    )


@SCHEMA.hook
def flatmap_path_parameters(context, path_parameters):
    generated = path_parameters or {}
    real = {name: st.sampled_from(REAL[name]) for name in generated if REAL.get(name)}
    with_real_ids = st.fixed_dictionaries(real).map(lambda ids: generated | ids) if real else None
    return _sometimes_real(path_parameters, with_real_ids)


def _with_real_registration(case, forum_date_and_organization):
    forum_id, day, organization = forum_date_and_organization
    case.path_parameters = {**(case.path_parameters or {}), "forum_id": forum_id}
    if isinstance(case.body, dict):
        case.body = case.body | {"days": [day], "organization": organization}
    return case


def _with_real_scan(case, code_date_and_request):
    code, day, request_id = code_date_and_request
    if isinstance(case.body, dict):
        case.body = case.body | {"code": code, "day": day, "request_id": request_id}
    return case


def _with_real_teams(case, suggestions):
    if isinstance(case.body, dict):
        case.body = case.body | {"suggestions": suggestions}
    return case


@SCHEMA.hook
def flatmap_case(context, case):
    # A public day's forum and date, a ticket with one of its days: together, or the fuzzer
    # almost never finds a request that gets past validation.
    label = context.operation.label
    if not REAL:
        real = None
    elif label == "POST /forums/{forum_id}/registrations":
        real = st.tuples(st.sampled_from(REAL["public_days"]), TEXT).map(
            lambda values: _with_real_registration(case, (*values[0], values[1]))
        )
    elif label == "POST /checkins":
        request_ids = st.one_of(st.uuids().map(str), AWKWARD_TEXT)
        real = st.tuples(st.sampled_from(REAL["scans"]), request_ids).map(
            lambda values: _with_real_scan(case, (*values[0], values[1]))
        )
    elif label == "POST /forums/{forum_id}/topic-suggestions":
        suggestion = st.fixed_dictionaries(
            {"text": TEXT, "team_id": st.sampled_from(REAL["teams"])}
        )
        real = st.lists(suggestion, min_size=1, max_size=5).map(
            lambda suggestions: _with_real_teams(case, suggestions)
        )
    else:
        real = None
    return _sometimes_real(case, real)


@pytest.fixture(scope="module")
def fuzz_app(fresh_database):
    """An app of its own with the demo program loaded once; fuzzing only adds to it."""
    application = make_test_app(fresh_database())
    with application.app_context():
        upgrade()
        load_demo(db.session)
        db.session.commit()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
        limiter.reset()


def _code_variants(code: str) -> list[str]:
    return [code, format_code(code).lower()]


def _ids(model) -> list[int]:
    return db.session.scalars(sa.select(model.id).order_by(model.id)).all()


@pytest.fixture(scope="module")
def real_values(fuzz_app):
    with fuzz_app.app_context():
        confirmed = [
            registration
            for forum_id in _ids(Forum)
            for registration in db.session.scalars(
                sa.select(Registration)
                .where(
                    Registration.forum_id == forum_id,
                    Registration.seats.any(DaySeat.status == SeatStatus.CONFIRMED),
                )
                .order_by(Registration.id)
                .limit(TICKETS_PER_FORUM)
            )
        ]
        scans = [
            # Typed at the door as printed on the ticket, or as read from the QR code; for one
            # of the registration's days (any status), or for another forum day.
            (code, day)
            for registration in confirmed
            for code in _code_variants(ticket_for(db.session, registration).code)
            for day in [seat.day.date.isoformat() for seat in registration.seats] + [None]
        ]
        db.session.commit()
        days = db.session.scalars(sa.select(ForumDay).order_by(ForumDay.date)).all()
        REAL.update(
            forum_id=_ids(Forum),
            speaker_id=_ids(Speaker),
            registration_id=_ids(Registration),
            teams=_ids(Team),
            scans=[(code, day or days[0].date.isoformat()) for code, day in scans],
            public_days=[
                (day.forum_id, day.date.isoformat())
                for day in days
                if day.audience == Audience.PUBLIC
            ],
        )
    assert all(REAL.values()), REAL
    yield REAL
    REAL.clear()


@pytest.fixture(scope="module")
def staff_tokens(fuzz_app) -> dict[str, dict[str, str]]:
    """``Authorization`` headers of the demo's staff accounts, by role."""
    tokens = {}
    for email, _name, role, _password in STAFF_ACCOUNTS:
        result = fuzz_app.test_cli_runner().invoke(args=["token", "create", email])
        assert result.exit_code == 0, result.output
        tokens[role.value] = {"Authorization": f"Bearer {result.stdout.strip().splitlines()[0]}"}
    return tokens


def _call_and_validate(app, case, auth: dict[str, str] | None = None) -> None:
    if auth:
        # The generated headers may carry a made-up token; the anonymous run covers those.
        generated = {
            name: value
            for name, value in (case.headers or {}).items()
            if name.lower() != "authorization"
        }
        case.headers = generated | auth
    # Registration is rate limited per address; the fuzzer must reach the code behind it.
    with app.app_context():
        limiter.reset()
    case.call_and_validate(checks=CHECKS, app=app)


@SCHEMA.parametrize()
@settings(deadline=None)
def test_anonymous_requests_get_documented_answers(case, fuzz_app, real_values):
    _call_and_validate(fuzz_app, case)


# Organizers may use every operation; door staff are refused most of them (403).
@pytest.mark.parametrize("role", ["organizer", "door"])
@SCHEMA.parametrize()
@settings(deadline=None)
def test_staff_requests_get_documented_answers(case, fuzz_app, real_values, staff_tokens, role):
    _call_and_validate(fuzz_app, case, staff_tokens[role])
