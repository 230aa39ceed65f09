"""Figures from a load run, the results table and the JSON file."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` quantile (0.99 for p99) by linear interpolation between ranks."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = fraction * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class LoadFigures:
    """What one load run measured: requests per second and latencies in milliseconds."""

    requests: int
    ok: int
    errors: int
    elapsed_s: float
    throughput: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    concurrency: int
    # CPU milliseconds per request sent, of each server measured ("server", "database")
    cpu_ms: dict[str, float] = field(default_factory=dict)

    @classmethod
    def of(cls, report: dict, ok_statuses: set[int]) -> LoadFigures:
        statuses = report["statuses"]
        latencies = [latency * 1000 for latency in report["latencies"] if latency is not None]
        ok = sum(1 for status in statuses if status in ok_statuses)
        elapsed = report["elapsed"]
        return cls(
            requests=len(statuses),
            ok=ok,
            errors=len(statuses) - ok,
            elapsed_s=elapsed,
            throughput=ok / elapsed if elapsed else math.nan,
            p50_ms=percentile(latencies, 0.50),
            p99_ms=percentile(latencies, 0.99),
            max_ms=max(latencies, default=math.nan),
            concurrency=report["concurrency"],
            cpu_ms=dict(report.get("cpu_ms", {})),
        )

    def as_dict(self) -> dict:
        return asdict(self)


def mean_figures(runs: list[LoadFigures]) -> LoadFigures:
    """The average of several runs of the same load (the baseline before and after the app)."""

    def mean(name: str) -> float:
        return sum(getattr(run, name) for run in runs) / len(runs)

    return LoadFigures(
        requests=runs[0].requests,
        ok=round(mean("ok")),
        errors=round(mean("errors")),
        elapsed_s=mean("elapsed_s"),
        throughput=mean("throughput"),
        p50_ms=mean("p50_ms"),
        p99_ms=mean("p99_ms"),
        max_ms=max(run.max_ms for run in runs),
        concurrency=runs[0].concurrency,
        cpu_ms={name: sum(run.cpu_ms[name] for run in runs) / len(runs) for name in runs[0].cpu_ms},
    )


CPU_LABELS = {"server": "server CPU per request (ms)", "database": "database CPU per request (ms)"}


def cpu_rows(benchmark: str, database: str, app: LoadFigures, baseline: LoadFigures) -> list[Row]:
    """What a request cost each server measured, the app's next to the baseline's: where the
    time of a throughput ratio goes (no target; the load generator is the same for both)."""
    rows = []
    for name, spent in app.cpu_ms.items():
        base = baseline.cpu_ms.get(name)
        ratio = spent / base if base else None
        rows.append(Row(benchmark, database, CPU_LABELS.get(name, name), spent, base, ratio))
    return rows


MALFORMED_EVERY = 20  # one request in 20 (5%) of the door rush and the bursts is malformed


def mixed_in(valid: list[dict], malformed: list[dict]) -> tuple[list[dict], set[int]]:
    """``valid`` with one ``malformed`` request after every ``MALFORMED_EVERY - 1`` valid
    ones (cycling through them); the list and the positions of the malformed ones."""
    mixed: list[dict] = []
    positions: set[int] = set()
    for index, request in enumerate(valid):
        if index and index % (MALFORMED_EVERY - 1) == 0:
            positions.add(len(mixed))
            mixed.append(malformed[(len(positions) - 1) % len(malformed)])
        mixed.append(request)
    return mixed, positions


def split_report(report: dict, positions: set[int]) -> tuple[dict, list[int | None]]:
    """The load report of the valid requests alone, and the statuses of the malformed ones."""
    valid = {
        **report,
        "statuses": [s for i, s in enumerate(report["statuses"]) if i not in positions],
        "latencies": [t for i, t in enumerate(report["latencies"]) if i not in positions],
    }
    return valid, [report["statuses"][i] for i in sorted(positions)]


def malformed_row(benchmark: str, database: str, statuses: list[int | None]) -> Row:
    """How many malformed requests were answered 4xx (all must be)."""
    refused = sum(1 for status in statuses if status is not None and 400 <= status < 500)
    return Row(
        benchmark,
        database,
        "malformed requests answered 4xx",
        refused,
        target=f"= {len(statuses)}",
        passed=refused == len(statuses),
    )


@dataclass
class Row:
    """One line of the results table."""

    benchmark: str
    database: str
    metric: str
    value: float | int | str
    baseline: float | int | str | None = None
    ratio: float | None = None
    target: str = ""
    passed: bool | None = None  # None: context only, no target


def without_speed_targets(rows: list[Row], benchmark: str) -> list[Row]:
    """``rows`` under another benchmark name, their throughput and latency targets dropped
    (context only) and their correctness targets (errors, rows, seats) kept: for a run that
    measures a limit rather than the app (``floor_app``)."""
    return [
        replace(row, benchmark=benchmark, target="", passed=None)
        if row.metric.startswith("throughput") or "latency" in row.metric
        else replace(row, benchmark=benchmark)
        for row in rows
    ]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        return f"{value:.2f}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


COLUMNS = ("benchmark", "db", "metric", "value", "baseline", "ratio", "target", "result")


def table(rows: list[Row]) -> str:
    """The rows as a plain-text table, ratios to two decimals."""
    cells = [
        [
            row.benchmark,
            row.database,
            row.metric,
            _cell(row.value),
            _cell(row.baseline),
            _cell(row.ratio),
            row.target,
            "" if row.passed is None else ("PASS" if row.passed else "FAIL"),
        ]
        for row in rows
    ]
    widths = [max(len(text) for text in column) for column in zip(COLUMNS, *cells, strict=True)]
    lines = ["  ".join(text.ljust(width) for text, width in zip(COLUMNS, widths, strict=True))]
    lines.append("  ".join("-" * width for width in widths))
    for line in cells:
        lines.append("  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)))
    return "\n".join(line.rstrip() for line in lines)


def save(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
