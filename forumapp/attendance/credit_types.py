"""The program's credit types, which sessions carry them, and the certificate settings:
organizer's rules, checked here whatever page or command calls them (audited)."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError
from sqlalchemy import delete, select

from ..agenda.models import AgendaItem, ItemKind
from ..core import audit
from ..core.actions import DomainError
from ..core.models import Forum, ForumDay, Program
from ..extensions import DbSession
from .models import CREDIT_NAME_MAX, CertificateSettings, CreditType, Rounding, SessionCredit

SIGNATURE_MAX_BYTES = 1024 * 1024


class CreditRefused(DomainError):
    """A credit type, session credit or setting the rules refuse; ``field`` names the input."""


@dataclass(frozen=True)
class CreditTypeInput:
    name: str
    accrediting_body: str = ""
    provider_number: str = ""
    minutes_per_unit: int = 60
    unit_name: str = "hours"
    rounding: Rounding = Rounding.DOWN_QUARTER_HOUR
    requires_exit: bool = False


def save_credit_type(
    session: DbSession,
    program: Program,
    data: CreditTypeInput,
    user_id: int | None,
    credit_type: CreditType | None = None,
) -> CreditType:
    """Add a credit type to the program, or change ``credit_type``. Flushes."""
    name = data.name.strip()
    if not name:
        raise CreditRefused("Name the credit type.", "name")
    if len(name) > CREDIT_NAME_MAX:
        raise CreditRefused(f"Use at most {CREDIT_NAME_MAX} characters.", "name")
    if not 1 <= data.minutes_per_unit <= 600:
        raise CreditRefused("Enter the minutes in one unit, from 1 to 600.", "minutes_per_unit")
    clash = session.scalar(
        select(CreditType.id).where(
            CreditType.program_id == program.id,
            CreditType.name == name,
            CreditType.id != (credit_type.id if credit_type else -1),
        )
    )
    if clash:
        raise CreditRefused("The program already has a credit type of this name.", "name")
    if credit_type is None:
        credit_type = CreditType(program_id=program.id)
        session.add(credit_type)
    credit_type.name = name
    credit_type.accrediting_body = data.accrediting_body.strip()[:200]
    credit_type.provider_number = data.provider_number.strip()[:100]
    credit_type.minutes_per_unit = data.minutes_per_unit
    credit_type.unit_name = data.unit_name.strip()[:40] or "hours"
    credit_type.rounding = data.rounding.value
    credit_type.requires_exit = data.requires_exit
    session.flush()
    audit.record(session, user_id, "credit_type.save", f"credit_type:{credit_type.id}")
    return credit_type


def creditable_items(session: DbSession, forum: Forum) -> list[AgendaItem]:
    """The forum's sessions that may carry credit: everything but meals and breaks."""
    return list(
        session.scalars(
            select(AgendaItem)
            .join(ForumDay)
            .where(ForumDay.forum_id == forum.id, AgendaItem.kind != ItemKind.BREAK)
            .order_by(AgendaItem.starts_at, AgendaItem.position, AgendaItem.id)
        )
    )


def set_session_credits(
    session: DbSession, forum: Forum, chosen: set[tuple[int, int]], user_id: int | None
) -> None:
    """Make the forum's sessions carry exactly the (item id, credit type id) pairs chosen;
    a meal or break, a session of another forum or a type of another program is refused."""
    items = {item.id for item in creditable_items(session, forum)}
    types = set(
        session.scalars(select(CreditType.id).where(CreditType.program_id == forum.program_id))
    )
    for item_id, type_id in chosen:
        if item_id not in items:
            raise CreditRefused("Meals and breaks never carry credit.")
        if type_id not in types:
            raise CreditRefused("That credit type is not one of the program's.")
    forum_items = select(AgendaItem.id).join(ForumDay).where(ForumDay.forum_id == forum.id)
    session.execute(delete(SessionCredit).where(SessionCredit.item_id.in_(forum_items)))
    session.add_all(
        SessionCredit(item_id=item_id, credit_type_id=type_id) for item_id, type_id in chosen
    )
    session.flush()
    audit.record(session, user_id, "credit.sessions", f"forum:{forum.id}", pairs=len(chosen))


@dataclass(frozen=True)
class SettingsInput:
    sponsor: str
    signer_name: str
    signer_title: str
    require_feedback: bool
    retention_years: int
    signature: bytes | None = None  # a new image; None keeps the one there is
    remove_signature: bool = False


def save_settings(
    session: DbSession, program: Program, data: SettingsInput, user_id: int | None
) -> CertificateSettings:
    """Save the program's certificate settings; a signature must be a PNG or JPEG image of at
    most 1 MB. Flushes."""
    if not 0 <= data.retention_years <= 50:
        raise CreditRefused("Enter 0 to 50 years (0: erased with the person).", "retention_years")
    settings = session.get(CertificateSettings, program.id)
    if settings is None:
        settings = CertificateSettings(program_id=program.id)
        session.add(settings)
    if data.signature is not None:
        if len(data.signature) > SIGNATURE_MAX_BYTES:
            raise CreditRefused("The signature image must be 1 MB or smaller.", "signature")
        try:
            with Image.open(io.BytesIO(data.signature), formats=("PNG", "JPEG")) as image:
                image.verify()
        except (UnidentifiedImageError, OSError, SyntaxError):
            raise CreditRefused(
                "Choose a PNG or JPEG image of the signature.", "signature"
            ) from None
        settings.signature_png = data.signature
    elif data.remove_signature:
        settings.signature_png = None
    settings.sponsor = data.sponsor.strip()[:300]
    settings.signer_name = data.signer_name.strip()[:200]
    settings.signer_title = data.signer_title.strip()[:200]
    settings.require_feedback = data.require_feedback
    settings.retention_years = data.retention_years
    session.flush()
    audit.record(session, user_id, "certificate.settings", f"program:{program.id}")
    return settings
