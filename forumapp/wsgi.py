"""The app for production WSGI servers: ``gunicorn forumapp.wsgi:app``.

Once the app is built, the objects that now exist (the app and its extensions, SQLAlchemy's
mappers and compiled statements, Jinja's templates: some 120,000) live as long as the process.
``gc.freeze()`` moves them out of the garbage collector's sight; otherwise every full
collection during a request walks all of them, and a page that builds many objects (the
registration table of a forum with 2,000 people) spent half its time in the collector. With
gunicorn's ``--preload`` this runs once in the master, and the forked workers inherit it.

This is the production entry point, so it fails closed: without ``FORUMAPP_CONFIG`` it builds
the production configuration, which refuses to start without a real ``SECRET_KEY``. Only an
explicit ``FORUMAPP_CONFIG=development`` (or ``testing``) runs it with the published
development key.
"""

from __future__ import annotations

import gc
import os

from . import create_app


def freeze_long_lived_objects() -> None:
    """Exempt every object alive now from garbage collection (call once the app is built)."""
    gc.collect()
    gc.freeze()


def entry_point_config() -> str:
    """The configuration gunicorn serves: ``FORUMAPP_CONFIG``, or production when unset."""
    return os.environ.get("FORUMAPP_CONFIG") or "production"


app = create_app(entry_point_config())
freeze_long_lived_objects()
