"""Shared set-up for check-in tests."""

from __future__ import annotations

import pytest

from forumapp.extensions import db

from ..registration.conftest import make_forum


@pytest.fixture
def forum_setup(app):
    """Forum 5: a public day with 2 seats (2027-03-15) and a team day (2027-03-16) with three
    breakouts."""
    with app.app_context():
        setup = make_forum(public_capacity=2)
        db.session.commit()
        return setup
