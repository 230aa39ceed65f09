"""gunicorn processes on 127.0.0.1, the load process that drives them, and a mail trap.

The app and the baseline are served with the same settings (``GUNICORN_SETTINGS``): two
workers, one per core, so Python's global interpreter lock never caps the server at one
core, and four threads each, so a request waiting on the database (PostgreSQL's row lock,
SQLite's write lock) does not hold up the others. More workers or threads only add context
switches on two cores that the load generator shares.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
START_TIMEOUT = 60  # seconds for gunicorn to answer /healthz
LOAD_TIMEOUT = 600  # seconds a load process may run, whatever its own deadline says

GUNICORN_SETTINGS = {"workers": 2, "worker_class": "gthread", "threads": 4}

APP = "bench.app:serve_bench_app()"
BASELINE = "bench.baseline_app:create_baseline_app()"
FLOOR = "bench.floor_app:serve_floor_app()"


_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(root_pid: int) -> float:
    """CPU time (user and system) spent so far by ``root_pid`` and every live process below it:
    a gunicorn master and its workers, or PostgreSQL's postmaster and its backends."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        parents[int(entry)] = int(fields[1])
        ticks[int(entry)] = int(fields[11]) + int(fields[12])
    inside = {root_pid}
    grew = True
    while grew:
        below = {pid for pid, parent in parents.items() if parent in inside} - inside
        inside |= below
        grew = bool(below)
    return sum(ticks.get(pid, 0) for pid in inside) / _TICKS_PER_SECOND


class CpuMeter:
    """Reads the CPU time of the servers a benchmark drives, by name ("server", "database"),
    so that each run can report what a request cost each of them. The load generator is not
    counted: it is the same for the app and the baseline."""

    def __init__(self, roots: dict[str, int | None]) -> None:
        self.roots = {name: pid for name, pid in roots.items() if pid is not None}

    def read(self) -> dict[str, float]:
        return {name: tree_cpu_seconds(pid) for name, pid in self.roots.items()}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Gunicorn:
    """A gunicorn process serving ``app_spec`` on a free port of 127.0.0.1."""

    def __init__(self, app_spec: str, env: dict[str, str], log_path: Path, settings=None):
        settings = settings or GUNICORN_SETTINGS
        self.port = free_port()
        self.log_path = log_path
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(settings["workers"]),
            "--worker-class",
            settings["worker_class"],
            "--threads",
            str(settings["threads"]),
            "--bind",
            f"{HOST}:{self.port}",
            "--graceful-timeout",
            "2",
            "--preload",
            app_spec,
        ]
        environment = os.environ | {"PYTHONPATH": str(PROJECT_DIR)} | env
        with open(log_path, "ab") as log:
            self.process = subprocess.Popen(
                command, cwd=PROJECT_DIR, env=environment, stdout=log, stderr=subprocess.STDOUT
            )
        self.command = command

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def wait_until_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited ({self.process.returncode}):\n{self.log_tail()}"
                )
            try:
                connection = http.client.HTTPConnection(HOST, self.port, timeout=2)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    connection.close()
                    return
                connection.close()
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer in {START_TIMEOUT}s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def __enter__(self) -> Gunicorn:
        try:
            self.wait_until_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()


def drive(
    port: int,
    requests: list[dict],
    concurrency: int,
    burst: bool = False,
    deadline: float = 300,
    meter: CpuMeter | None = None,
) -> dict:
    """Run the load process (``python -m bench.load``) against ``port``; its JSON report, with
    ``cpu_ms``: for each of ``meter``'s servers, its CPU milliseconds per request sent."""
    before = meter.read() if meter else {}
    spec = {
        "port": port,
        "concurrency": concurrency,
        "requests": requests,
        "burst": burst,
        "timeout": 30,
        "deadline": deadline,
    }
    finished = subprocess.run(
        [sys.executable, "-m", "bench.load"],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
        env=os.environ | {"PYTHONPATH": str(PROJECT_DIR)},
        timeout=min(LOAD_TIMEOUT, deadline + 120),
        check=False,
    )
    if finished.returncode != 0:
        raise RuntimeError(f"the load process failed:\n{finished.stderr[-3000:]}")
    report = json.loads(finished.stdout)
    after = meter.read() if meter else {}
    sent = max(len(requests), 1)
    report["cpu_ms"] = {name: (after[name] - before[name]) * 1000 / sent for name in before}
    return report


class MailTrap:
    """A TCP listener standing in for the SMTP server: it counts connections and closes them.

    Pointing the app's ``MAIL_PORT`` here shows whether any request tried to send mail.
    """

    def __init__(self) -> None:
        self.connections = 0
        self._socket = socket.socket()
        self._socket.bind((HOST, 0))
        self._socket.listen(16)
        self._socket.settimeout(0.2)
        self.port = self._socket.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except OSError:
                continue
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._socket.close()
