"""``python -m bench [--quick] [--db sqlite|postgresql|both]``: run every benchmark, print the
results table and save it as JSON in ``bench/results/<timestamp>.json``.

For each database: a fresh database for the load benchmarks (door rush, registration burst)
and one for growth, each migrated from empty and seeded in this process; gunicorn serves the
app and the baseline on 127.0.0.1; ``python -m bench.load`` drives them.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from forumapp.extensions import db

from . import burst, dataset, door_rush, growth, topics
from .app import create_bench_app
from .databases import PostgresDatabases, SQLiteDatabases, migrate
from .report import Row, save, table, without_speed_targets
from .server import APP, BASELINE, FLOOR, GUNICORN_SETTINGS, CpuMeter, Gunicorn, MailTrap, drive

RESULTS_DIR = Path(__file__).resolve().parent / "results"
TIME_BUDGET = 20 * 60  # seconds; later databases are skipped past it


@dataclass(frozen=True)
class Sizes:
    tickets: int = 2000
    scanners: int = 8
    people: int = 500
    seats: int = 300
    steady_clients: int = 8
    growth_scales: tuple[int, int] = (1, 10)
    growth_warmup: int = 2
    growth_repeats: int = 7
    suggestions: int = 3000


FULL = Sizes()
QUICK = Sizes(tickets=200, people=100, seats=60, growth_warmup=1, growth_repeats=3, suggestions=600)


def machine() -> dict:
    """Where the figures come from."""
    cpu = ""
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_kb = 0
    with open("/proc/meminfo") as info:
        for line in info:
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    return {
        "cpus": len(os.sched_getaffinity(0)),
        "cpu_model": cpu,
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": os.getloadavg(),
    }


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _servers(url: str, trap: MailTrap, log_path: Path, baseline: bool = True, app_spec=APP):
    env = {"BENCH_DATABASE_URL": url, "BENCH_MAIL_PORT": str(trap.port)}
    app_server = Gunicorn(app_spec, env, log_path)
    baseline_server = Gunicorn(BASELINE, env, log_path) if baseline else None
    return app_server, baseline_server


def run_load_benchmarks(
    databases, sizes: Sizes, trap: MailTrap, logs: Path, door_rush_only: bool = False
) -> dict:
    """Door rush and both registration bursts on one fresh database."""
    url = databases.create("load")
    app = create_bench_app(url, trap.port)
    migrate(app)
    log(f"{databases.kind}: seeding {sizes.tickets} tickets and two forums")
    with app.app_context():
        door_data = dataset.seed_door_rush(db.session, sizes.tickets)
        if not door_rush_only:
            burst_data = dataset.seed_burst(db.session, sizes.seats, dataset.BURST_DATE)
            steady_data = dataset.seed_burst(db.session, sizes.seats, dataset.STEADY_DATE)
        db.session.remove()
    app_server, baseline_server = _servers(url, trap, logs / f"{databases.kind}-load.log")
    with app_server, baseline_server:
        meters = _meters(databases, app_server, baseline_server)
        log(f"{databases.kind}: door rush")
        rush = door_rush.run(
            app, door_data, app_server.port, baseline_server.port, sizes.scanners, meters
        )
        if door_rush_only:
            return {"door_rush": rush}
        log(f"{databases.kind}: registration burst ({sizes.people} at once)")
        at_once = burst.run(
            app,
            burst_data,
            app_server.port,
            baseline_server.port,
            sizes.people,
            sizes.seats,
            trap,
            concurrency=sizes.people,
            meters=meters,
        )
        log(f"{databases.kind}: registrations from {sizes.steady_clients} clients")
        steady = burst.run(
            app,
            steady_data,
            app_server.port,
            baseline_server.port,
            sizes.people,
            sizes.seats,
            trap,
            concurrency=sizes.steady_clients,
            meters=meters,
        )
    return {"door_rush": rush, "burst": at_once, "steady": steady}


def _meters(databases, measured: Gunicorn, baseline: Gunicorn) -> tuple[CpuMeter, CpuMeter]:
    """CPU meters for the measured server and the baseline's, each with the database's."""
    pids = {"database": databases.server_pid()}
    return (
        CpuMeter({"server": measured.process.pid, **pids}),
        CpuMeter({"server": baseline.process.pid, **pids}),
    )


def run_floor(databases, sizes: Sizes, trap: MailTrap, logs: Path) -> dict:
    """The door rush and both registration runs against ``floor_app`` (the same app with
    bare views for those two endpoints), on a fresh database: the ceiling the app's own
    figures are to be read against."""
    url = databases.create("floor")
    app = create_bench_app(url, trap.port)
    migrate(app)
    with app.app_context():
        door_data = dataset.seed_door_rush(db.session, sizes.tickets)
        burst_data = dataset.seed_burst(db.session, sizes.seats, dataset.BURST_DATE)
        steady_data = dataset.seed_burst(db.session, sizes.seats, dataset.STEADY_DATE)
        db.session.remove()
    log_path = logs / f"{databases.kind}-floor.log"
    floor_server, baseline_server = _servers(url, trap, log_path, app_spec=FLOOR)
    with floor_server, baseline_server:
        meters = _meters(databases, floor_server, baseline_server)
        log(f"{databases.kind}: door rush and registrations, data-model floor")
        rush = door_rush.run(
            app, door_data, floor_server.port, baseline_server.port, sizes.scanners, meters
        )
        registrations = {
            name: burst.run(
                app,
                data,
                floor_server.port,
                baseline_server.port,
                sizes.people,
                sizes.seats,
                trap,
                concurrency=concurrency,
                meters=meters,
            )
            for name, data, concurrency in (
                ("burst", burst_data, sizes.people),
                ("steady", steady_data, sizes.steady_clients),
            )
        }
    return {"door_rush": rush, **registrations}


def run_growth(databases, sizes: Sizes, trap: MailTrap, logs: Path) -> dict:
    """The growth pages at each scale, on one database that grows between measurements."""
    url = databases.create("growth")
    app = create_bench_app(url, trap.port)
    migrate(app)
    with app.app_context():
        data = dataset.seed_growth_base(db.session)
        db.session.remove()
    app_server, _ = _servers(url, trap, logs / f"{databases.kind}-growth.log", baseline=False)
    results = {}
    with app_server:
        for scale in sizes.growth_scales:
            log(f"{databases.kind}: growth at {scale}x")
            with app.app_context():
                dataset.grow(db.session, data, scale)
                db.session.remove()
            # As the served app does (forumapp.wsgi): what lives now is kept out of the
            # collector's way, so the CPU measured here is what a worker spends.
            gc.collect()
            gc.freeze()
            measured = growth.in_process(app, data, sizes.growth_repeats)
            requests = growth.timing_requests(app, data, sizes.growth_warmup, sizes.growth_repeats)
            report = drive(app_server.port, requests, concurrency=1)
            times = growth.median_times(data, report, sizes.growth_warmup, sizes.growth_repeats)
            results[scale] = {
                "data": dict(data.counts),
                "pages": {
                    name: measured[name]
                    | {"median_ms": times[name]["median_ms"], "timed_status": times[name]["status"]}
                    for name in measured
                },
            }
    return results


def run_topics(databases, sizes: Sizes, trap: MailTrap) -> topics.TopicFigures:
    """Regrouping and adding suggestions, in this process, on a fresh database."""
    url = databases.create("topics")
    app = create_bench_app(url, trap.port)
    migrate(app)
    with app.app_context():
        figures = topics.run(db.session, sizes.suggestions)
        db.session.remove()
    return figures


def growth_rows(database: str, results: dict, scales: tuple[int, int]) -> list[Row]:
    """Per page: queries and times at the larger scale, next to the smaller scale's."""
    small, large = (results[scale]["pages"] for scale in scales)
    label = f"{scales[1]}x/{scales[0]}x"
    rows = []
    for name in small:
        before, after = small[name], large[name]
        answered = {
            before["status"],
            after["status"],
            before["timed_status"],
            after["timed_status"],
        } == {200}
        page = f"growth: {name}"
        time_ratio = after["median_ms"] / before["median_ms"]
        time_target = after["time_ratio_target"]
        rows += [
            Row(
                page,
                database,
                f"SQL queries per request ({label})",
                after["queries"],
                before["queries"],
                after["queries"] / before["queries"],
                "no growth",
                answered and after["queries"] <= before["queries"],
            ),
            Row(
                page,
                database,
                f"median time ms, gunicorn ({label})",
                after["median_ms"],
                before["median_ms"],
                time_ratio,
                f"< {time_target}",
                answered and time_ratio < time_target,
            ),
            Row(
                page,
                database,
                f"server CPU ms ({label})",
                after["cpu_ms"],
                before["cpu_ms"],
                after["cpu_ms"] / before["cpu_ms"],
            ),
        ]
    return rows


def floor_rows(kind: str, sizes: Sizes, floors: dict, loads: dict) -> list[Row]:
    """The floor's rows (correctness targets only), and where the app ran the same
    scenario on this database, the app's throughput as a share of the floor's."""
    names = {
        "door_rush": "door rush: floor",
        "burst": f"registration burst ({sizes.people} at once): floor",
        "steady": f"registrations ({sizes.steady_clients} clients): floor",
    }
    rows: list[Row] = []
    for key, name in names.items():
        result = floors[key]
        shown = result.rows(kind) if key == "door_rush" else result.rows(kind, name)
        rows += without_speed_targets(shown, name)
        if key in loads:  # the app's own run, on this database, a moment earlier
            app_throughput, floor_throughput = loads[key].app.throughput, result.app.throughput
            rows.append(
                Row(name, kind, "throughput, app / floor", app_throughput, floor_throughput,
                    app_throughput / floor_throughput if floor_throughput else None)
            )  # fmt: skip
    return rows


def run_database(
    kind: str, only: str | None, sizes: Sizes, trap: MailTrap, logs: Path, payload: dict
) -> list[Row]:
    """Every benchmark asked for (``only``) on one kind of database; the rows, and the
    figures put into ``payload``."""
    rows: list[Row] = []
    databases = SQLiteDatabases() if kind == "sqlite" else PostgresDatabases()
    try:
        info = {"version": databases.version()}
        if kind == "postgresql":
            info["settings"] = databases.settings()
        payload["databases"][kind] = info
        loads, grown, topic_figures, floors = {}, None, None, None
        if only in (None, "topics"):
            log(f"{kind}: topic grouping ({sizes.suggestions} suggestions)")
            topic_figures = run_topics(databases, sizes, trap)
        if only not in ("growth", "topics", "floor"):
            loads = run_load_benchmarks(
                databases, sizes, trap, logs, door_rush_only=only == "door_rush"
            )
        if only in (None, "growth"):
            grown = run_growth(databases, sizes, trap, logs)
        if only in (None, "floor"):
            floors = run_floor(databases, sizes, trap, logs)
    finally:
        databases.close()
    results = payload["results"][kind] = {}
    if "door_rush" in loads:
        rows += loads["door_rush"].rows(kind)
        results["door_rush"] = loads["door_rush"].as_dict()
    if "burst" in loads:
        rows += loads["burst"].rows(kind, f"registration burst ({sizes.people} at once)")
        rows += loads["steady"].rows(kind, f"registrations ({sizes.steady_clients} clients)")
        results["registration_burst"] = loads["burst"].as_dict()
        results["registrations_steady"] = loads["steady"].as_dict()
    if floors is not None:
        rows += floor_rows(kind, sizes, floors, loads)
        results["floor"] = {name: result.as_dict() for name, result in floors.items()}
    if grown is not None:
        rows += growth_rows(kind, grown, sizes.growth_scales)
        results["growth"] = grown
    if topic_figures is not None:
        rows += topic_figures.rows(kind)
        results["topics"] = topic_figures.as_dict()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR, help="folder for the JSON")
    parser.add_argument(
        "--only",
        choices=["door_rush", "load", "growth", "topics", "floor"],
        help="door_rush alone; load: door rush and registrations; growth: the growth pages; "
        "topics: regrouping topic suggestions; floor: door rush and registrations against "
        "bare views (bench/floor_app.py), the limit of the data model",
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    started = time.monotonic()
    started_at = datetime.now(UTC)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    if "postgresql" in kinds and not PostgresDatabases.available():
        log("PostgreSQL is not installed (no initdb) and BENCH_DATABASE_URL is unset: skipped.")
        kinds.remove("postgresql")

    rows: list[Row] = []
    payload: dict = {
        "started_at": started_at.isoformat(),
        "command": "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:]),
        "sizes": asdict(sizes),
        "machine": machine(),
        "gunicorn": GUNICORN_SETTINGS,
        "databases": {},
        "results": {},
    }
    trap = MailTrap()
    logs = Path(tempfile.mkdtemp(prefix="forumapp-bench-logs-"))
    try:
        for kind in kinds:
            if time.monotonic() - started > TIME_BUDGET:
                log(f"time budget spent: {kind} skipped")
                continue
            rows += run_database(kind, args.only, sizes, trap, logs, payload)
    except BaseException:
        log(f"gunicorn's logs are kept in {logs}")
        raise
    else:
        shutil.rmtree(logs, ignore_errors=True)
    finally:
        trap.close()
    payload["machine"]["load_average_at_end"] = os.getloadavg()
    payload["elapsed_s"] = round(time.monotonic() - started, 1)
    payload["rows"] = [asdict(row) for row in rows]

    print(table(rows))
    met = [row for row in rows if row.passed is not None]
    print(
        f"\n{sum(row.passed for row in met)} of {len(met)} targets met in "
        f"{payload['elapsed_s']:.0f} s on {payload['machine']['cpus']} CPUs "
        f"({payload['machine']['cpu_model']}); load average at start "
        f"{payload['machine']['load_average'][0]:.1f}, at end "
        f"{payload['machine']['load_average_at_end'][0]:.1f}."
    )
    path = args.output / f"{started_at:%Y%m%dT%H%M%SZ}.json"
    save(path, payload)
    print(f"Saved {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
