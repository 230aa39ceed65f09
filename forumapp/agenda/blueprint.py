"""The agenda feature's one blueprint: the public pages (``public_views``), the organizers'
agenda pages (``views``) and speakers (``speaker_views``) add their routes to it; ``create_app``
imports those modules, then registers it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("agenda", __name__)
