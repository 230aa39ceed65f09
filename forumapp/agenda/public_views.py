"""The public site: program and forum pages with the agendas the visitor may see."""

from flask import Blueprint

bp = Blueprint("site", __name__)
