"""When a registration takes its seat: last, in a savepoint, on PostgreSQL (the day's row stays
locked until commit, so it is locked for the commit alone); first, on SQLite (the writer
holds the whole database until commit anyway, so a savepoint would only cost). A day filled
meanwhile is tested in test_services.py, on both databases."""

from __future__ import annotations

from ..conftest import post_public_registration
from ..support.queries import statements_sent


def _index(sent: list[str], start: str) -> int:
    return next(i for i, statement in enumerate(sent) if statement.lstrip().startswith(start))


def test_a_registration_takes_its_seat_last_on_postgresql_and_first_on_sqlite(
    app, client, setup, windows_open_now, db_kind
):
    with statements_sent(app) as sent:
        response = post_public_registration(
            client, setup.forum_id, setup.public_day_id, name="Seat Order", email="o@example.org"
        )
    assert response.status_code == 302, response.get_data(as_text=True)
    seat_taken = _index(sent, "UPDATE forum_day SET seats_taken")
    seat_row, ticket = _index(sent, "INSERT INTO day_seat"), _index(sent, "INSERT INTO ticket")
    if db_kind == "postgresql":
        assert seat_row < ticket < seat_taken, sent
        assert any(s.startswith("SAVEPOINT") for s in sent), sent
    else:
        assert seat_taken < seat_row < ticket, sent
        assert not any("SAVEPOINT" in s for s in sent), sent
