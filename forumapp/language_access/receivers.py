"""What language access adds to the features below it, which cannot import it: the question
on the registration forms, the tally on the registrations page and the booking-deadline
problem on the agenda's problems panel."""

from __future__ import annotations

import enum
from datetime import datetime

from flask import Flask

from ..agenda.conflicts import Conflict, register_problem_source
from ..core.models import Forum
from ..extensions import DbSession
from ..registration.additions import (
    FormQuestions,
    StaffPanel,
    register_form_questions,
    register_registrations_panel,
)
from . import services
from .forms import LanguageRequestFields, language_answers


class LanguageProblem(enum.StrEnum):
    BOOKING_DEADLINE_PASSED = "interpreter_booking_deadline_passed"


def booking_problems(session: DbSession, forum: Forum, now: datetime) -> list[Conflict]:
    """ "Interpreter booking deadline passed for <day> with N requests still open", for each
    day whose deadline passed while requests are still ``requested``."""
    problems = []
    for tally in services.late_days(session, forum, now):
        requests = "request" if tally.still_open == 1 else "requests"
        problems.append(
            Conflict(
                LanguageProblem.BOOKING_DEADLINE_PASSED,
                f"Interpreter booking deadline passed for {tally.day.date:%A, %B} "
                f"{tally.day.date.day} with {tally.still_open} {requests} still open.",
                (),
            )
        )
    return problems


def tally_panel(session: DbSession, forum: Forum, now: datetime) -> StaffPanel:
    """The requests per day and language, for the registrations page."""
    return StaffPanel(
        "language_access/_tally.html",
        {"forum": forum, "tallies": services.day_tallies(session, forum)},
    )


def register_language_access(app: Flask) -> None:
    """Ask the language question on the registration forms, show the tally on the
    registrations page and the booking deadline on the agenda's problems panel."""
    register_form_questions(
        FormQuestions(
            name="language",
            fields=LanguageRequestFields,
            answers=language_answers,
            check=services.check_answers,
            record=services.record_answers,
        )
    )
    register_registrations_panel("language", tally_panel)
    register_problem_source("language", booking_problems)
