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


def _start_entry_point(**environment: str) -> subprocess.CompletedProcess:
    """Import ``forumapp.wsgi`` as gunicorn would, in a process with exactly this environment
    (on top of PATH and a throwaway database)."""
    env = {key: os.environ[key] for key in ("PATH", "HOME") if key in os.environ}
    env["DATABASE_URL"] = "sqlite:///:memory:"
    program = "import forumapp.wsgi as w; print(w.app.config['ENV_NAME'])"
    return subprocess.run(
        [sys.executable, "-c", program],
        cwd=PROJECT_DIR,
        env=env | environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_entry_point_refuses_to_start_with_the_published_or_no_secret_key():
    # `gunicorn forumapp.wsgi:app` without FORUMAPP_CONFIG once served the development key,
    # with which anyone can sign an admin's session cookie.
    for environment in (
        {},
        {"SECRET_KEY": "dev-secret-key-not-for-production"},
        {"SECRET_KEY": "short-key"},
        {"FORUMAPP_CONFIG": "production", "SECRET_KEY": "dev-secret-key-not-for-production"},
    ):
        started = _start_entry_point(**environment)
        assert started.returncode != 0, environment
        assert "SECRET_KEY" in started.stderr, environment


def test_the_entry_point_serves_production_with_a_real_secret_key():
    started = _start_entry_point(SECRET_KEY="k" * 48)
    assert started.returncode == 0, started.stderr
    assert started.stdout.split() == ["production"]


def test_only_an_explicit_development_config_serves_the_development_key():
    started = _start_entry_point(FORUMAPP_CONFIG="development")
    assert started.returncode == 0, started.stderr
    assert started.stdout.split() == ["development"]
