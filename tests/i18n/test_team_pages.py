"""A team member's pages reached from their personal link speak their language throughout:
the project manager's roster page (its errors and messages too), the commitment forms' errors
and a commitment's history; an address typed wrong is explained in Spanish, not in the
English of the library that checks it."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from forumapp.commitments.models import Commitment
from forumapp.core.clock import utcnow
from forumapp.extensions import db

from .. import builders as build
from ..commitments.test_pages import build_world
from ..conftest import csrf_token


@pytest.fixture
def world(app):
    """The commitments pages' team (``tests/commitments``), with its project manager."""
    with app.app_context():
        return build_world()


def _text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.get_data(as_text=True)))


def _roster_url(world) -> str:
    return f"/me/{world['manager']}/team/{world['team']}/roster"


def _post(client, path, **data):
    return client.post(f"{path}?lang=es", data={**data, "csrf_token": csrf_token(client, path)})


def test_the_project_managers_roster_page_in_spanish(client, world):
    page = _text(client.get(f"{_roster_url(world)}?lang=es"))
    assert "<h1>Lista de miembros de Dare County</h1>" in page
    assert "Agregar un miembro" in page and "Personas en la lista (2)" in page
    assert "Coordinador(a) del equipo" in page and ">Quitar<" in page
    assert ">Fuerzas del orden</option>" in page and ">Sin indicar</option>" in page
    for english in ("Add a member", "Project manager", "Law enforcement", "Remove<"):
        assert english not in page


def test_the_roster_pages_errors_and_messages_in_spanish(client, world):
    refused = _text(_post(client, _roster_url(world), name="Nia Nueva", email=""))
    assert "Corrija este punto" in refused
    assert "Escriba el correo electrónico de la persona." in refused
    refused = _text(_post(client, _roster_url(world), name="Nia Nueva", email="nia.example.org"))
    assert "Una dirección de correo lleva una @." in refused
    assert "@-sign" not in refused

    added = _post(client, _roster_url(world), name="Nia Nueva", email="nia@county.example.org")
    page = _text(client.get(added.headers["Location"]))
    assert "Se agregó a Nia Nueva a la lista de miembros de Dare County." in page


@pytest.mark.parametrize(
    ("typed", "explained"),
    [
        ("juan@@example.org", "Una dirección de correo lleva una sola @."),
        ("juan@", "Falta algo después de la @."),
        ("juan@localhost", "Después de la @ va un dominio con un punto, como ejemplo.org."),
        (
            "juan@oficina.local",
            "Lo que va después de la @ está reservado para pruebas y redes privadas: use un "
            "dominio real.",
        ),
    ],
)
def test_a_wrong_address_on_the_spanish_public_form_is_explained_in_spanish(
    app, client, typed, explained
):
    with app.app_context():
        forum = build.forum(number=5, days=((date(2030, 3, 15), "public"),))
        day = forum.days[0]
        day.registration_opens_at = utcnow() - timedelta(days=1)
        day.registration_closes_at = utcnow() + timedelta(days=30)
        db.session.commit()
        path, day_id = f"/forums/{forum.id}/register", day.id

    response = client.post(
        f"{path}?lang=es",
        data={
            "name": "Juan Pérez",
            "email": typed,
            "day_ids": str(day_id),
            "consent": "y",
            "csrf_token": csrf_token(client, f"{path}?lang=es"),
        },
    )

    page = _text(response)
    assert response.status_code == 400
    assert f"Escriba una dirección de correo como nombre@ejemplo.org. {explained}" in page
    assert "@-sign" not in page and "domain" not in page


def test_commitment_errors_and_history_in_spanish(app, client, world):
    url = f"/me/{world['manager']}/team/{world['team']}/commitments"
    owner = str(world["member_id"])
    refused = _post(
        client,
        url,
        forum_id=world["forum"],
        text="Reunir al grupo",
        due="2026-01-05",
        owner_id=owner,
    )
    assert refused.status_code == 400
    assert "Elija una fecha igual o posterior al foro (jueves, 18 de febrero de 2027)." in _text(
        refused
    )

    _post(client, url, forum_id=world["forum"], text="Reunir al grupo", due="", owner_id=owner)
    with app.app_context():
        commitment_id = db.session.scalar(sa.select(Commitment.id))
    progress = f"/me/{world['manager']}/commitments/{commitment_id}"
    _post(client, progress, status="partly", progress_note="7 de 9", barrier_note="")
    page = _text(client.get(f"{progress}?lang=es"))
    assert "Cumplido en parte. 7 de 9" in page and "Partly" not in page
