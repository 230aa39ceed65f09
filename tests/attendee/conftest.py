"""The attendee's pages are tried on the feedback tests' forum that has happened: people with
seats and breakouts, checked in, its feedback open (see tests/feedback/conftest.py)."""

import pytest

from ..feedback.conftest import World, committed_world  # noqa: F401  (a fixture, shared)


@pytest.fixture
def world(committed_world) -> World:  # noqa: F811
    """That forum, committed (page tests)."""
    return committed_world
