"""Certificates: every required field in the PDF, reissues and revocations on /verify, none
for someone never checked in, the feedback gate, the holder's language, bulk downloads, and
the retention record that outlives an erased holder."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from forumapp.agenda.models import AgendaItem
from forumapp.attendance.certificates import (
    CertificateWithheld,
    issue_certificate,
    keep_or_drop_for_erasure,
    purge_expired_records,
)
from forumapp.attendance.models import (
    AttendanceCorrection,
    Certificate,
    CertificateSettings,
    Direction,
)
from forumapp.core.links import personal_token
from forumapp.extensions import db
from forumapp.privacy.services import erase_person
from forumapp.registration.models import Registration

from .. import builders as build
from ..conftest import csrf_token
from .conftest import DAY, at, build_world, check_in, scan_at

AFTER = at(18) + timedelta(days=1)


def _text(pdf: bytes) -> str:
    return " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages
    )


def _held(world):
    db.session.add(
        CertificateSettings(
            program_id=world.forum.program_id,
            sponsor="School of Government",
            signer_name="Dr. Renee Whitaker",
            signer_title="Program Director",
        )
    )
    build.link(world.general, build.speaker("Dr Maya Expert"))
    ada = check_in(world, "Ada Lovelace", at(8, 50))
    scan_at(world, ada, world.general, Direction.ENTRY, at(9, 5))
    scan_at(world, ada, world.general, Direction.EXIT, at(11))
    never = build.public_registration(world.forum, "Nora Never")
    db.session.commit()
    return ada, never


def test_a_certificate_says_what_the_accreditor_needs(world):
    ada, _ = _held(world)

    certificate = issue_certificate(db.session, ada, AFTER)

    content = certificate.content
    assert content["holder"] == "Ada Lovelace" and content["dates"] == [DAY.isoformat()]
    assert content["sessions"] == [
        {
            "title": "Opening plenary",
            "title_es": "",
            "date": "2027-03-15",
            "start": "09:00",
            "end": "12:00",
            "minutes": 115,
            "instructors": ["Dr Maya Expert"],
        }
    ]
    in_service = next(c for c in content["credit"] if c["name"] == "Law enforcement in-service")
    assert (in_service["credited_minutes"], in_service["units"]) == (105, 1.75)
    assert in_service["provider_number"] == "LE-2027-114"
    # Asking again gives the same certificate.
    assert issue_certificate(db.session, ada, AFTER).code == certificate.code


def test_no_certificate_before_the_day_is_over_or_without_a_check_in(world):
    ada, never = _held(world)
    with pytest.raises(CertificateWithheld):
        issue_certificate(db.session, ada, at(17))
    with pytest.raises(CertificateWithheld):
        issue_certificate(db.session, never, AFTER)


@pytest.fixture
def held(app):
    with app.app_context():
        world = build_world()
        ada, never = _held(world)
        ids = SimpleNamespace(
            forum=world.forum.id,
            general=world.general.id,
            ada=ada.id,
            ada_token=personal_token(ada.person),
            never=never.id,
            never_token=personal_token(never.person),
            program=world.forum.program_id,
        )
        db.session.remove()
    return ids


def _pdf_path(token: str, registration_id: int) -> str:
    return f"/me/{token}/certificates/{registration_id}.pdf"


def test_the_pdf_carries_every_field_and_verify_answers_valid(client, held, today_is):
    today_is(DAY + timedelta(days=1))
    page = client.get(f"/me/{held.ada_token}").get_data(as_text=True)
    assert "Your certificate of attendance (PDF)" in page

    response = client.get(_pdf_path(held.ada_token, held.ada))

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = _text(response.data)
    for expected in (
        "Certificate of attendance",
        "Ada Lovelace",
        "Forum 1: Testing",
        "Program: Test program",
        "Sponsor: School of Government",
        "Monday, March 15, 2027",
        "Civic Center, 1 Main Street, Durham",
        "Opening plenary · 115 minutes",
        "Instructors: Dr Maya Expert",
        "Law enforcement in-service: 1.75 hours",
        "Provider number LE-2027-114",
        "Dr. Renee Whitaker",
        "Program Director",
        "/verify/",
    ):
        assert expected in text, expected
    code = text.split("Verification code ")[1].split()[0]
    verified = client.get(f"/verify/{code}")
    assert verified.status_code == 200
    assert 'data-verdict="valid"' in verified.get_data(as_text=True)
    assert verified.headers["X-Robots-Tag"] == "noindex"


def test_someone_never_checked_in_gets_404_and_an_unknown_code_is_unknown(client, held, today_is):
    today_is(DAY + timedelta(days=1))
    assert client.get(_pdf_path(held.never_token, held.never)).status_code == 404
    assert client.get(_pdf_path(held.ada_token, held.never)).status_code == 404  # not hers
    unknown = client.get("/verify/ABCDEFGHJK")
    assert unknown.status_code == 404
    assert 'data-verdict="unknown"' in unknown.get_data(as_text=True)


def test_a_correction_reissues_and_the_old_code_says_replaced_a_revoked_one_revoked(
    app, client, held, today_is, signed_in
):
    today_is(DAY + timedelta(days=1))
    first = _text(client.get(_pdf_path(held.ada_token, held.ada)).data)
    old_code = first.split("Verification code ")[1].split()[0]
    with app.app_context():
        db.session.add(
            AttendanceCorrection(
                registration_id=held.ada,
                item_id=held.general,
                present_from=at(9),
                present_until=at(12),
                reason="Sheet",
            )
        )
        db.session.commit()

    second = _text(client.get(_pdf_path(held.ada_token, held.ada)).data)

    assert "Reissued (issue 2)" in second and "180 minutes" in second
    new_code = second.split("Verification code ")[1].split()[0]
    assert 'data-verdict="replaced"' in client.get(f"/verify/{old_code}").get_data(as_text=True)

    signed_in("organizer")
    with app.app_context():
        certificate_id = db.session.scalar(sa.select(Certificate.id).filter_by(code=new_code))
    path = f"/staff/forums/{held.forum}/certificates"
    client.post(
        f"/staff/certificates/{certificate_id}/revoke",
        data={"reason": "Issued in error", "csrf_token": csrf_token(client, path)},
    )
    assert 'data-verdict="revoked"' in client.get(f"/verify/{new_code}").get_data(as_text=True)


def test_the_feedback_form_can_be_required_first(app, client, held, today_is):
    today_is(DAY + timedelta(days=1))
    with app.app_context():
        db.session.get(CertificateSettings, held.program).require_feedback = True
        db.session.commit()

    assert client.get(_pdf_path(held.ada_token, held.ada)).status_code == 404
    page = client.get(f"/me/{held.ada_token}").get_data(as_text=True)
    assert "Answer the feedback form below to get your certificate of attendance." in page


def test_a_spanish_speaker_gets_a_spanish_certificate(app, client, held, today_is):
    today_is(DAY + timedelta(days=1))
    with app.app_context():
        db.session.get(Registration, held.ada).person.language = "es"
        db.session.commit()

    text = _text(client.get(_pdf_path(held.ada_token, held.ada)).data)

    assert "Certificado de asistencia" in text and "Se certifica que" in text
    assert "lunes, 15 de marzo de 2027" in text and "115 minutos" in text


def test_organizers_download_every_certificate_as_one_pdf_or_a_zip(
    app, client, held, today_is, signed_in
):
    today_is(DAY + timedelta(days=1))
    with app.app_context():
        world_forum = held.forum
        other = check_in(
            SimpleNamespace(
                forum=db.session.get(Registration, held.ada).forum,
                day=db.session.get(Registration, held.ada).forum.days[0],
            ),
            "Zoë Ñúñez",
            at(9),
        )
        del other
        db.session.commit()
    signed_in("organizer")
    page = client.get(f"/staff/forums/{world_forum}/certificates").get_data(as_text=True)
    # Nora was never checked in: not listed. Zoë stayed with no exit scan: in-service hours
    # count to the session's end, nursing hours ("no exit, no credit") do not.
    assert "Nora Never" not in page and "Zoë Ñúñez" in page
    assert "Law enforcement in-service: 3 hours" in page

    pdf = client.get(f"/staff/forums/{world_forum}/certificates.pdf")
    assert len(PdfReader(io.BytesIO(pdf.data)).pages) == 2
    archive = zipfile.ZipFile(
        io.BytesIO(client.get(f"/staff/forums/{world_forum}/certificates.zip").data)
    )
    assert sorted(name.split("-")[0] for name in archive.namelist()) == ["Ada", "Zoë"]


def test_retention_keeps_the_accreditors_record_after_erasure(world):
    ada, _ = _held(world)
    certificate = issue_certificate(db.session, ada, AFTER)
    code = certificate.code

    erase_person(db.session, ada.person, None)

    kept = db.session.scalar(sa.select(Certificate).filter_by(code=code))
    assert kept.person_id is None and kept.registration_id is None
    assert kept.content["holder"] == "Ada Lovelace" and "organization" not in kept.content
    assert kept.retain_until == kept.issued_at + timedelta(days=365 * 5)
    assert purge_expired_records(db.session, kept.retain_until + timedelta(days=1)) == 1


def test_without_retention_erasure_removes_the_credit_records(world):
    ada, _ = _held(world)
    db.session.get(CertificateSettings, world.forum.program_id).retention_years = 0
    issue_certificate(db.session, ada, AFTER)

    erase_person(db.session, ada.person, None)

    assert db.session.scalar(sa.select(sa.func.count()).select_from(Certificate)) == 0
    assert keep_or_drop_for_erasure(db.session, [ada.id], world.forum.program_id) == (0, 0)
    assert db.session.get(AgendaItem, world.general.id) is not None


def test_the_purge_command_deletes_expired_retained_records(app, held):
    with app.app_context():
        db.session.add(
            Certificate(
                code="ABCDEFGH23",
                issue=1,
                content={"holder": "Kept Person"},
                issued_at=AFTER - timedelta(days=3000),
                retain_until=AFTER - timedelta(days=1000),
            )
        )
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["certificates", "purge-expired"])
    assert "Deleted 1 expired credit record." in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(Certificate).filter_by(code="ABCDEFGH23")) is None


def test_the_certificates_list_comes_in_pages_and_issues_only_the_page_shown(
    app, client, held, today_is, signed_in, monkeypatch
):
    from forumapp.attendance import certificate_views
    from forumapp.attendance.models import Certificate

    monkeypatch.setattr(certificate_views, "PER_PAGE", 1)
    today_is(DAY + timedelta(days=1))
    with app.app_context():
        forum = db.session.get(Registration, held.ada).forum
        check_in(SimpleNamespace(forum=forum, day=forum.days[0]), "Zoë Ñúñez", at(9))
        db.session.commit()
        forum_id = forum.id
    signed_in("organizer")
    first = client.get(f"/staff/forums/{forum_id}/certificates").get_data(as_text=True)
    assert "Ada" in first and "Zoë Ñúñez" not in first and "2 people checked in" in first
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 1
    second = client.get(f"/staff/forums/{forum_id}/certificates?page=2").get_data(as_text=True)
    assert "Zoë Ñúñez" in second and "Ada" not in second
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 2
