"""``pip install .`` gives a working app: the wheel, installed into a fresh venv and run from
another directory, migrates, loads the demo and serves with gunicorn.

The wheel is built from a copy of the checkout (so no build/ or egg-info lands in it) with the
test's own setuptools, without a download (the dev extra asks for setuptools>=70.1; an older
dev venv builds in pip's isolated environment, which fetches setuptools from the index). The
venv gets the wheel and nothing else: its dependencies are the test interpreter's, reached
through a .pth file; that is a site-packages folder, never the checkout, and the venv's own
site-packages comes first, so ``forumapp`` and ``config`` are the wheel's. Packaging does not
depend on the database, so this runs in the SQLite pass only, on the default SQLite file.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

from config import _instance_dir

from ..conftest import PROJECT_DIR

HOST = "127.0.0.1"
# Not copied for the build: what a checkout gathers besides its sources.
_NOT_SOURCES = {".git", ".venv", "venv", "build", "dist", "instance", "tmp"}
_BUILD_LEFTOVERS = shutil.ignore_patterns(
    "__pycache__", "*.py[co]", "*.egg-info", ".pytest_cache", ".ruff_cache"
)


def _ignore(folder: str, names: list[str]) -> set[str]:
    ignored = set(_BUILD_LEFTOVERS(folder, names))
    if Path(folder) == PROJECT_DIR:
        ignored |= _NOT_SOURCES & set(names)
    return ignored


def _setuptools_builds_offline() -> bool:
    try:
        major, minor = (int(part) for part in version("setuptools").split(".")[:2])
    except Exception:  # not installed, or an unusual version string
        return False
    return (major, minor) >= (70, 1)  # bdist_wheel without the separate `wheel` package


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(PROJECT_DIR, source, ignore=_ignore, symlinks=True)
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work / "out")]
    if _setuptools_builds_offline():
        command += ["--no-build-isolation", "--no-index"]
    subprocess.run([*command, str(source)], check=True, timeout=300, env=_clean_env())
    (built,) = (work / "out").glob("forumapp-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh venv with the wheel installed, and the test interpreter's packages reachable."""
    root = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    python = root / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
        env=_clean_env(),
    ).stdout.strip()
    dependencies = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(site, "_forumapp_test_dependencies.pth").write_text("\n".join(sorted(dependencies)))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
        timeout=120,
        env=_clean_env(),
    )
    return root


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment without anything pointing at the checkout or choosing a database."""
    dropped = {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "DATABASE_URL", "TEST_DATABASE_URL"}
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in dropped and not name.startswith(("FORUMAPP_", "FLASK_", "SECRET_KEY"))
    }
    return env | extra


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _get(port: int, path: str) -> tuple[int, str, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        connection.close()


def test_the_wheel_carries_config_templates_static_migrations_and_the_thesaurus(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "config.py" in names
    assert "forumapp/feedback/thesaurus.txt" in names
    for folder in ("templates", "static", "migrations"):
        tracked = {
            path.relative_to(PROJECT_DIR).as_posix()
            for path in (PROJECT_DIR / folder).rglob("*")
            if path.is_file() and "__pycache__" not in path.parts
        }
        shipped = {name.removeprefix("forumapp/_shipped/") for name in names}
        assert tracked <= shipped, sorted(tracked - shipped)[:5]
    assert "forumapp/_shipped/migrations/env.py" in names
    assert not any("__pycache__" in name or name.startswith("instance/") for name in names)


def test_the_installed_app_migrates_loads_the_demo_and_serves_with_gunicorn(
    request, tmp_path, db_kind
):
    if db_kind != "sqlite":
        pytest.skip("packaging does not depend on the database: checked in the SQLite pass")
    venv = request.getfixturevalue("venv")
    python = str(venv / "bin" / "python")
    run_dir = tmp_path / "elsewhere"
    run_dir.mkdir()
    env = _clean_env(FORUMAPP_CONFIG="production", SECRET_KEY=secrets.token_urlsafe(36))

    def run(*args: str, timeout: int = 120) -> str:
        finished = subprocess.run(
            [python, *args],
            cwd=run_dir,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-3000:]
        return finished.stdout

    where = json.loads(
        run(
            "-c",
            "import json, config, forumapp; print(json.dumps("
            "[forumapp.__file__, config.__file__, str(config.INSTANCE_DIR)]))",
        )
    )
    for module_file in where[:2]:
        assert Path(module_file).is_relative_to(venv), where
        assert not Path(module_file).is_relative_to(PROJECT_DIR), where
    assert Path(where[2]) == run_dir / "instance"  # installed: ./instance, not site-packages

    run("-m", "flask", "--app", "forumapp", "db", "upgrade")
    run("-m", "flask", "--app", "forumapp", "demo")
    assert (run_dir / "instance" / "forumapp.sqlite").is_file()
    assert not list(venv.rglob("instance"))

    port = _free_port()
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [
                python,
                "-m",
                "gunicorn",
                "forumapp.wsgi:app",
                "--bind",
                f"{HOST}:{port}",
                "--workers",
                "1",
                "--graceful-timeout",
                "2",
            ],
            cwd=run_dir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, log_path.read_text(errors="replace")[-3000:]
            try:
                status, content_type, body = _get(port, "/healthz")
                break
            except OSError:
                assert time.monotonic() < deadline, log_path.read_text(errors="replace")[-3000:]
                time.sleep(0.2)
        assert status == 200 and json.loads(body)["status"] == "ok"

        status, content_type, page = _get(port, "/")  # rendered from the shipped templates
        assert status == 200 and content_type.startswith("text/html")
        assert b'href="/static/css/app.css"' in page

        status, content_type, css = _get(port, "/static/css/app.css")
        assert status == 200 and content_type.startswith("text/css")
        assert css == (PROJECT_DIR / "static" / "css" / "app.css").read_bytes()
    finally:
        server.terminate()
        server.wait(timeout=15)


def test_the_instance_folder_is_the_environment_s_else_the_checkout_s(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FORUMAPP_INSTANCE_PATH", "relative/instance")
    assert _instance_dir() == tmp_path / "relative" / "instance"
    monkeypatch.delenv("FORUMAPP_INSTANCE_PATH")
    assert _instance_dir() == PROJECT_DIR / "instance"  # in a checkout, as before
