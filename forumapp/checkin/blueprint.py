"""The check-in pages' blueprint, shared by ``door_views`` (a day's door), ``breakout_views``
(breakout doors and the breakout table) and ``count_views`` (live counts), so every page keeps
its ``checkin.*`` endpoint name; ``create_app`` imports the three modules, then registers it."""

from __future__ import annotations

from flask import Blueprint

from ..core.models import Role

bp = Blueprint("checkin", __name__)

DOOR_STAFF = (Role.DOOR, Role.ORGANIZER)
COUNT_READERS = (Role.ORGANIZER, Role.FACULTY)
ORGANIZERS = (Role.ORGANIZER,)
RECENT_LIMIT = 10  # check-ins (or breakout scans) listed under a scanner page
