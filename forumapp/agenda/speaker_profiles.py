"""A speaker's own changes to their public profile (bio and photo), sent from their page.

Where the program reviews them (``SPEAKER_PROFILE_REVIEW``), a change waits as a
``SpeakerProfileProposal`` until staff publish or decline it; otherwise it is published at
once. Either way the public page never shows a half-made change: the new photo is stored under
a fresh name first and only then becomes the speaker's. Functions flush; the caller commits,
then discards the photo files named in the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from ..core import audit
from ..core.clock import utcnow
from ..extensions import DbSession
from .errors import SpeakerError
from .models import Speaker, SpeakerProfileProposal

BIO_MAX = 2000


@dataclass(frozen=True)
class ProfileOutcome:
    """What became of a change, and photo files no longer used (to delete after commit)."""

    published: bool
    discarded_photos: list[str] = field(default_factory=list)


def _checked_bio(bio: str, bio_es: str) -> tuple[str, str]:
    bio, bio_es = bio.strip(), bio_es.strip()
    if len(bio) > BIO_MAX:
        raise SpeakerError(_("Keep the bio under %(count)d characters.", count=BIO_MAX), "bio")
    if len(bio_es) > BIO_MAX:
        raise SpeakerError(_("Keep the bio under %(count)d characters.", count=BIO_MAX), "bio_es")
    return bio, bio_es


def propose_profile(
    session: DbSession,
    speaker: Speaker,
    bio: str,
    bio_es: str,
    photo_filename: str | None,
    *,
    review: bool,
    now: datetime | None = None,
) -> ProfileOutcome:
    """The speaker's new bio (English, and Spanish if they write one) and, optionally, a new
    photo already stored under ``photo_filename``. With ``review`` it waits for staff (a
    waiting change is replaced, its unused photo discarded); without, it is published."""
    bio, bio_es = _checked_bio(bio, bio_es)
    if not review:
        discarded = _publish(speaker, bio, bio_es, photo_filename)
        pending = speaker.profile_proposal
        if pending is not None:
            discarded += [pending.photo_filename] if pending.photo_filename else []
            session.delete(pending)
        session.flush()
        audit.record(
            session, None, "speaker.profile_publish", f"speaker:{speaker.id}", by_speaker=True
        )
        return ProfileOutcome(True, discarded)
    discarded = []
    proposal = speaker.profile_proposal
    if proposal is None:
        proposal = SpeakerProfileProposal(speaker=speaker)
        session.add(proposal)
    elif photo_filename and proposal.photo_filename:
        discarded.append(proposal.photo_filename)
    proposal.bio, proposal.bio_es = bio, bio_es
    if photo_filename:
        proposal.photo_filename = photo_filename
    proposal.submitted_at = now or utcnow()
    session.flush()
    audit.record(session, None, "speaker.profile_propose", f"speaker:{speaker.id}", by_speaker=True)
    return ProfileOutcome(False, discarded)


def _publish(speaker: Speaker, bio: str, bio_es: str, photo_filename: str | None) -> list[str]:
    speaker.bio, speaker.bio_es = bio, bio_es
    if not photo_filename:
        return []
    previous = speaker.photo_filename
    speaker.photo_filename = photo_filename
    return [previous] if previous else []


def publish_proposal(session: DbSession, speaker: Speaker, user_id: int | None) -> ProfileOutcome:
    """Staff publish the speaker's waiting change; raises ``SpeakerError`` when none waits."""
    proposal = speaker.profile_proposal
    if proposal is None:
        raise SpeakerError("This speaker has no change waiting.")
    discarded = _publish(speaker, proposal.bio, proposal.bio_es, proposal.photo_filename)
    session.delete(proposal)
    session.flush()
    audit.record(session, user_id, "speaker.profile_publish", f"speaker:{speaker.id}")
    return ProfileOutcome(True, discarded)


def decline_proposal(session: DbSession, speaker: Speaker, user_id: int | None) -> ProfileOutcome:
    """Staff decline the speaker's waiting change: the published profile stays as it was."""
    proposal = speaker.profile_proposal
    if proposal is None:
        raise SpeakerError("This speaker has no change waiting.")
    discarded = [proposal.photo_filename] if proposal.photo_filename else []
    session.delete(proposal)
    session.flush()
    audit.record(session, user_id, "speaker.profile_decline", f"speaker:{speaker.id}")
    return ProfileOutcome(False, discarded)


def waiting_proposals(session: DbSession) -> list[SpeakerProfileProposal]:
    """Every change waiting for review, oldest first (the staff speakers list shows them)."""
    return list(
        session.scalars(
            select(SpeakerProfileProposal).order_by(SpeakerProfileProposal.submitted_at)
        )
    )
