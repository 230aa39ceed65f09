"""The core's one blueprint: sign-in (``auth``) and the staff home, teams, users, audit log and
health check (``views``) add their routes to it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("core", __name__)
