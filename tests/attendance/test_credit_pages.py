"""The organizers' credit pages: credit types with their rules, the sessions that carry them
(never a meal), and the certificate settings with a signature checked by content."""

from __future__ import annotations

import io
from types import SimpleNamespace

import sqlalchemy as sa
from PIL import Image

from forumapp.attendance.models import CertificateSettings, CreditType, SessionCredit
from forumapp.extensions import db

from ..conftest import csrf_token
from .conftest import build_world


def _world(app) -> SimpleNamespace:
    with app.app_context():
        world = build_world()
        ids = SimpleNamespace(
            program=world.forum.program_id,
            forum=world.forum.id,
            general=world.general.id,
            lunch=world.lunch.id,
            nursing=world.nursing.id,
        )
        db.session.commit()
        db.session.remove()
    return ids


def test_an_organizer_adds_a_credit_type_and_a_duplicate_name_is_refused(app, client, signed_in):
    ids = _world(app)
    signed_in("organizer")
    path = f"/staff/programs/{ids.program}/credit-types"
    fields = {
        "name": "Substance use counselor CE",
        "accrediting_body": "Addictions Board",
        "provider_number": "S-118",
        "minutes_per_unit": "50",
        "unit_name": "CE hours",
        "rounding": "down_half_hour",
        "requires_exit": "y",
    }
    added = client.post(path, data=fields | {"csrf_token": csrf_token(client, path)})
    assert added.status_code == 302
    with app.app_context():
        made = db.session.scalar(sa.select(CreditType).filter_by(name=fields["name"]))
        assert (made.minutes_per_unit, made.rounding, made.requires_exit) == (
            50,
            "down_half_hour",
            True,
        )

    again = client.post(path, data=fields | {"csrf_token": csrf_token(client, path)})
    assert again.status_code == 400
    assert "already has a credit type of this name" in again.get_data(as_text=True)
    bad = client.post(
        path,
        data=fields
        | {"name": "Other", "minutes_per_unit": "0", "csrf_token": csrf_token(client, path)},
    )
    assert "from 1 to 600" in bad.get_data(as_text=True)


def test_sessions_carry_the_credit_ticked_and_a_meal_never(app, client, signed_in):
    ids = _world(app)
    signed_in("organizer")
    path = f"/staff/forums/{ids.forum}/credit"
    page = client.get(path).get_data(as_text=True)
    assert "Opening plenary" in page and "Lunch" not in page

    saved = client.post(
        path,
        data={"credit": [f"{ids.general}:{ids.nursing}"], "csrf_token": csrf_token(client, path)},
    )
    assert saved.status_code == 302
    with app.app_context():
        pairs = set(
            db.session.execute(
                sa.select(SessionCredit.item_id, SessionCredit.credit_type_id)
            ).tuples()
        )
    assert pairs == {(ids.general, ids.nursing)}

    meal = client.post(
        path,
        data={"credit": [f"{ids.lunch}:{ids.nursing}"], "csrf_token": csrf_token(client, path)},
    )
    assert (
        "Meals and breaks never carry credit." in client.get(path).get_data(as_text=True)
        or meal.status_code == 200
    )
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(SessionCredit)
                .where(SessionCredit.item_id == ids.lunch)
            )
            == 0
        )


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 40), "white").save(out, "PNG")
    return out.getvalue()


def test_certificate_settings_take_a_signature_image_and_refuse_anything_else(
    app, client, signed_in
):
    ids = _world(app)
    signed_in("organizer")
    path = f"/staff/programs/{ids.program}/certificate-settings"
    fields = {
        "sponsor": "School of Government",
        "signer_name": "Dr. Whitaker",
        "signer_title": "Director",
        "retention_years": "7",
        "require_feedback": "y",
    }

    refused = client.post(
        path,
        data=fields
        | {
            "signature": (io.BytesIO(b"<svg onload=alert(1)>"), "sig.png"),
            "csrf_token": csrf_token(client, path),
        },
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400
    assert "Choose a PNG or JPEG image of the signature." in refused.get_data(as_text=True)

    saved = client.post(
        path,
        data=fields
        | {"signature": (io.BytesIO(_png()), "sig.png"), "csrf_token": csrf_token(client, path)},
        content_type="multipart/form-data",
    )
    assert saved.status_code == 302
    with app.app_context():
        settings = db.session.get(CertificateSettings, ids.program)
        assert settings.signature_png.startswith(b"\x89PNG")
        assert (settings.retention_years, settings.require_feedback) == (7, True)
