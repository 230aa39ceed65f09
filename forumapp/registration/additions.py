"""What features above registration add to its forms and pages, which registration cannot
import: questions on the registration forms (language access asks about interpreters),
panels on the organizer's registrations page (its tally of requests per day) and columns of
the registrations download (check-in times).

A feature registers its additions when the app starts (``register_language_access``).
Registering a name again replaces it, so building another app, as tests do, is harmless.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ..core.forms import AppForm
from ..core.models import Forum
from ..extensions import DbSession
from .models import Registration


@dataclass(frozen=True)
class FormQuestions:
    """Questions a feature adds to the public and team registration forms.

    ``fields`` is a form mixin holding the WTForms fields (and their inline validators);
    ``answers(form)`` reads them as plain JSON values (they may travel in a signed link until
    a known email's owner confirms); ``check(answers)`` raises a ``DomainError`` naming the
    field at fault; ``record(session, registration, answers)`` stores them in the
    registration's transaction.
    """

    name: str
    fields: type
    answers: Callable[[AppForm], dict]
    check: Callable[[Mapping], None]
    record: Callable[[DbSession, Registration, Mapping], None]


@dataclass(frozen=True)
class StaffPanel:
    """A section of the registrations page: its template and what the template reads."""

    template: str
    context: dict = field(default_factory=dict)


#: ``build(session, forum, now)``: the panel for the forum, or None to show nothing.
PanelBuilder = Callable[[DbSession, Forum, datetime], StaffPanel | None]


@dataclass(frozen=True)
class ExportColumns:
    """Columns a feature adds to the registrations download: ``headers(forum)`` names them;
    ``values(session, forum, registration_ids)`` gives each registration's cells, in one go
    (a registration left out gets empty cells)."""

    headers: Callable[[Forum], list[str]]
    values: Callable[[DbSession, Forum, list[int]], Mapping[int, list[str]]]


_questions: dict[str, FormQuestions] = {}
_forms_with_questions: dict[tuple[type, tuple[str, ...]], type] = {}
_panels: dict[str, PanelBuilder] = {}
_export_columns: dict[str, ExportColumns] = {}


def register_form_questions(questions: FormQuestions) -> None:
    """Ask ``questions`` on the registration forms from now on."""
    _questions[questions.name] = questions
    _forms_with_questions.clear()


def register_registrations_panel(name: str, build: PanelBuilder) -> None:
    """Show the panel ``build`` makes on every forum's registrations page."""
    _panels[name] = build


def register_export_columns(name: str, columns: ExportColumns) -> None:
    """Add ``columns`` to every forum's registrations download."""
    _export_columns[name] = columns


def export_columns() -> list[ExportColumns]:
    """The columns added to the registrations download, in the order registered."""
    return list(_export_columns.values())


def with_questions(form_class: type[AppForm]) -> type[AppForm]:
    """``form_class`` with the fields of every registered set of questions."""
    key = (form_class, tuple(_questions))
    if key not in _forms_with_questions:
        # One class per form and set of questions: WTForms binds a class's fields once.
        mixins = tuple(_questions[name].fields for name in key[1])
        _forms_with_questions[key] = (
            type(form_class.__name__, (*mixins, form_class), {}) if mixins else form_class
        )
    return _forms_with_questions[key]


def answers_of(form: AppForm) -> dict[str, dict]:
    """The answers to the added questions on a submitted form, by set of questions."""
    return {
        name: questions.answers(form)
        for name, questions in _questions.items()
        if isinstance(form, questions.fields)
    }


def check_answers(answers: Mapping[str, Mapping]) -> None:
    """Refuse answers the rules of their feature refuse (a ``DomainError``)."""
    for name, given in answers.items():
        if name in _questions and isinstance(given, Mapping):
            _questions[name].check(given)


def record_answers(
    session: DbSession, registration: Registration, answers: Mapping[str, Mapping]
) -> None:
    """Store the answers with ``registration`` (its feature's ``record``)."""
    for name, given in answers.items():
        if name in _questions and isinstance(given, Mapping):
            _questions[name].record(session, registration, given)


def registrations_panels(session: DbSession, forum: Forum, now: datetime) -> list[StaffPanel]:
    """The added panels of ``forum``'s registrations page, built before it renders."""
    built = (build(session, forum, now) for build in _panels.values())
    return [panel for panel in built if panel is not None]
