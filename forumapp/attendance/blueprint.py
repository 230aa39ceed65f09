"""The attendance feature's one blueprint: its staff pages, downloads and door pages."""

from __future__ import annotations

from flask import Blueprint

from ..core.models import Role

bp = Blueprint("attendance", __name__)

ORGANIZERS = (Role.ORGANIZER,)
