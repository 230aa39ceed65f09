"""The production entry point: ``gunicorn forumapp.wsgi:app``."""

from __future__ import annotations

import os
import subprocess
import sys

from ..conftest import PROJECT_DIR


def test_the_wsgi_module_builds_the_app_and_freezes_its_startup_objects():
    # In a process of its own: freezing would otherwise apply to the test run.
    program = "import gc, forumapp.wsgi as w; print(type(w.app).__name__, gc.get_freeze_count())"
    finished = subprocess.run(
        [sys.executable, "-c", program],
        cwd=PROJECT_DIR,
        env=os.environ | {"FORUMAPP_CONFIG": "testing"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    name, frozen = finished.stdout.split()
    assert name == "Flask"
    assert int(frozen) > 10_000  # the app, its extensions, mappers and templates
