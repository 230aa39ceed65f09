"""The registration feature's one blueprint: the public and personal pages (``views``) and the
organizers' pages (``staff_views``) add their routes to it; ``create_app`` imports those
modules, then registers it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("registration", __name__)
