"""The public's registration, by form or API, for anyone who types an email.

Anyone may type any email, so the answer is the same whoever owns it and nothing of an
existing person changes on a stranger's word: a new email is registered at once; a known one
gets an email asking its owner to confirm (the request travels in a signed link).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..core.clock import utcnow
from ..core.database import reading_apart
from ..core.emails import InvalidEmail, normalise_email
from ..core.i18n import DEFAULT_LANGUAGE, known_language
from ..core.links import absolute_url
from ..core.models import Audience, Forum, ForumDay, ForumStatus, Person
from ..core.names import name_problem
from ..extensions import DbSession
from .additions import check_answers, record_answers
from .errors import InvalidRegistration, NotAllowed
from .fresh import mark_new
from .models import Registration, RegistrationKind
from .notices import send_confirmation, send_personal_link, send_registration_request
from .people import existing_person, insert_person
from .registering import (
    RegistrationResult,
    days_of,
    get_registration,
    holds_seat,
    new_registration,
    request_seat,
)
from .seats import day_results
from .windows import check_window, date_in_words

# A request to register a known email waits in the owner's inbox for this long.
REQUEST_MAX_AGE = 7 * 24 * 3600
_REQUEST_SALT = "public-registration-request"


@dataclass
class PublicRegistrationInput:
    """What a public attendee enters on the form or sends to the API."""

    name: str
    email: str
    day_ids: list[int]
    organization: str = ""
    community: str = ""
    accessibility_needs: str = ""
    dietary_needs: str = ""
    consent: bool = False
    # The language of the form (or of the API request): a new person's mail is written in it.
    language: str = DEFAULT_LANGUAGE
    # Answers to the questions features above registration add to the form, by set of
    # questions (``additions.answers_of``), e.g. {"language": {...}}.
    answers: dict = field(default_factory=dict)


@dataclass
class PendingRequest:
    """A registration someone asked for on a known person's email, read back from the link
    in that person's inbox."""

    forum: Forum
    person: Person
    days: list[ForumDay]
    data: PublicRegistrationInput


def _validate_public(data: PublicRegistrationInput) -> str:
    errors = {}
    if problem := name_problem(data.name.strip(), missing=_("Enter your full name.")):
        errors["name"] = problem
    try:
        email = normalise_email(data.email)
    except InvalidEmail as exc:
        email = ""
        errors["email"] = _(
            "Enter an email address like name@example.org. %(problem)s", problem=exc
        )
    if len(data.organization) > 200:
        errors["organization"] = _("Use at most %(max)d characters.", max=200)
    if not data.day_ids:
        errors["day_ids"] = _("Choose at least one day.")
    if not data.consent:
        errors["consent"] = _(
            "Tick the box to agree to the privacy note, or we cannot register you."
        )
    if errors:
        raise InvalidRegistration(errors)
    return email


def register_public(
    session: DbSession, forum: Forum, data: PublicRegistrationInput, now: datetime | None = None
) -> RegistrationResult:
    """Register a member of the public for open days of a published forum.

    Anyone may type any email, so the answer to the caller is the same whoever owns it, and
    nothing of an existing person changes here: a new email gets its registration at once
    (confirmation, ticket and personal link go to that inbox); a known one gets an email asking
    its owner to confirm the request (``confirm_public_request``), or its personal link again
    when it already holds those days. The caller learns only that an email was sent.

    Raises ``InvalidRegistration``, ``NotAllowed`` or ``RegistrationClosed`` (which depend on
    what was typed and on the forum, never on whether the email is known).
    """
    now = now or utcnow()
    email = _validate_public(data)
    check_answers(data.answers)
    # What the rules read holds up no other registration (on SQLite only writes queue): a
    # window that changes a moment later counts as changed after this request. The seats
    # are decided by the writes.
    with reading_apart(session):
        days = _open_public_days(forum, data.day_ids, now)
    # The address is not looked up first: the unique index says whether it is new (most are),
    # so a new person costs one statement, and a known one a refused INSERT and a read.
    language = known_language(data.language) or DEFAULT_LANGUAGE
    person = insert_person(session, data.name, email, data.organization, language)
    if person is None:
        # Known, or created a moment ago by a concurrent request.
        known = existing_person(session, email)
        registration = get_registration(session, forum, known)
        if all(holds_seat(registration, day) for day in days):
            send_personal_link(session, known, forum)
        else:
            _ask_to_confirm(session, forum, known, data, days)
        return RegistrationResult(registration, False, [], pending=True)
    return _register_public_person(session, forum, person, data, days, now, new_person=True)


def _open_public_days(forum: Forum, day_ids: list[int], now: datetime) -> list[ForumDay]:
    """The forum's days with ``day_ids`` when the public may register for all of them now;
    raises ``NotAllowed`` or ``RegistrationClosed`` otherwise."""
    if forum.status != ForumStatus.PUBLISHED:
        raise NotAllowed(_("Registration for this forum is not open."))
    days = days_of(forum, day_ids)
    for day in days:
        if day.audience != Audience.PUBLIC:
            raise NotAllowed(
                _(
                    "%(date)s is for the community teams only. Team members register "
                    "through the personal link in their invitation.",
                    date=date_in_words(day.date),
                ),
                "day_ids",
            )
        check_window(day, now)
    return days


def registration_sent_message(email: str) -> str:
    """What the form and the API tell whoever registered ``email``, known or not."""
    return _(
        "Thank you. We've emailed %(email)s your registration, your ticket and your personal "
        "link to see, change or cancel it. If the address was already registered with us, the "
        "email asks you to confirm first.",
        email=email,
    )


def _register_public_person(
    session: DbSession,
    forum: Forum,
    person: Person,
    data: PublicRegistrationInput,
    days: list[ForumDay],
    now: datetime,
    *,
    new_person: bool = False,
) -> RegistrationResult:
    """Seats on ``days`` for ``person``, with the details they typed; emails the result.
    A ``new_person``, inserted by this transaction, can have no registration yet, and no
    concurrent request can see them to make one: theirs is created without a lookup."""
    if data.organization.strip() and not person.organization:
        person.organization = data.organization.strip()
    details = {
        "community": data.community.strip()[:200],
        "accessibility_needs": data.accessibility_needs.strip(),
        "dietary_needs": data.dietary_needs.strip(),
        "consented_at": now,
    }
    returning = None if new_person else get_registration(session, forum, person)
    if new_person:
        # Empty collections, known to be so: no query to find seats or picks.
        registration = Registration(
            forum=forum, person=person, kind=RegistrationKind.PUBLIC, seats=[], picks=[], **details
        )
        session.add(registration)
        mark_new(session, registration)
    elif returning is not None:
        registration = returning
        for name, value in details.items():  # a returning registration takes the new details
            setattr(registration, name, value)
    else:
        registration = new_registration(session, forum, person, RegistrationKind.PUBLIC, **details)
    for day in days:
        request_seat(session, registration, day)
    record_answers(session, registration, data.answers)
    session.flush()
    result = RegistrationResult(registration, True, day_results(session, registration, days))
    send_confirmation(session, registration)
    return result


# --- A known email: its owner confirms -----------------------------------------------------


def _request_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_REQUEST_SALT)


def _ask_to_confirm(
    session: DbSession,
    forum: Forum,
    person: Person,
    data: PublicRegistrationInput,
    days: list[ForumDay],
) -> None:
    # The request travels inside the signed link rather than in a table: nothing is stored
    # for a stranger's request, and a new personal link (new nonce) voids it.
    token = _request_serializer().dumps(
        {
            "forum": forum.id,
            "person": person.id,
            "nonce": person.link_nonce,
            "days": [day.id for day in days],
            "organization": data.organization.strip(),
            "community": data.community.strip()[:200],
            "accessibility": data.accessibility_needs.strip(),
            "dietary": data.dietary_needs.strip(),
            "language": known_language(data.language) or DEFAULT_LANGUAGE,
            "answers": data.answers,
        }
    )
    send_registration_request(
        session,
        forum,
        person,
        days,
        community=data.community.strip(),
        accessibility_needs=data.accessibility_needs.strip(),
        dietary_needs=data.dietary_needs.strip(),
        confirm_url=absolute_url(
            "registration.confirm_public_request", forum_id=forum.id, token=token
        ),
    )


def pending_request(session: DbSession, forum_id: int, token: str) -> PendingRequest | None:
    """The request behind a confirmation link, or ``None`` for a forged, expired or voided one
    (the person got a new personal link since, or the forum or a day is gone)."""
    try:
        fields = _request_serializer().loads(token, max_age=REQUEST_MAX_AGE)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(fields, dict) or fields.get("forum") != forum_id:
        return None
    forum = session.get(Forum, forum_id)
    person = (
        session.get(Person, fields.get("person")) if isinstance(fields.get("person"), int) else None
    )
    if forum is None or person is None or person.link_nonce != fields.get("nonce"):
        return None
    try:
        days = days_of(forum, list(fields.get("days") or []))
    except InvalidRegistration:
        return None
    data = PublicRegistrationInput(
        name=person.name,
        email=person.email,
        day_ids=[day.id for day in days],
        organization=str(fields.get("organization", "")),
        community=str(fields.get("community", "")),
        accessibility_needs=str(fields.get("accessibility", "")),
        dietary_needs=str(fields.get("dietary", "")),
        consent=True,
        # Requests signed before languages were stored say nothing: English, the default.
        language=known_language(str(fields.get("language", ""))) or DEFAULT_LANGUAGE,
        answers=answers if isinstance(answers := fields.get("answers"), dict) else {},
    )
    return PendingRequest(forum, person, days, data)


def confirm_public_request(
    session: DbSession, request: PendingRequest, now: datetime | None = None
) -> RegistrationResult:
    """The owner of the inbox confirms a registration asked for on their email: the seats
    are requested now (windows and capacity as they are now) with the details typed then.
    A request made on a page in another language than English makes that the person's
    language (their mail is written in it from now on); one made in English leaves a
    language they chose before as it is. Confirming twice changes nothing. Raises
    ``NotAllowed`` or ``RegistrationClosed``."""
    now = now or utcnow()
    if request.forum.status != ForumStatus.PUBLISHED:
        raise NotAllowed(_("Registration for this forum is not open."))
    if request.data.language != DEFAULT_LANGUAGE:
        request.person.language = request.data.language
    registration = get_registration(session, request.forum, request.person)
    # A request always names a day, so holding them all means a registration exists.
    if registration is not None and all(holds_seat(registration, day) for day in request.days):
        return RegistrationResult(
            registration, False, day_results(session, registration, request.days)
        )
    for day in request.days:
        check_window(day, now)
    return _register_public_person(
        session, request.forum, request.person, request.data, request.days, now
    )
