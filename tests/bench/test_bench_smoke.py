"""The benchmarks' own code keeps working: their modules import, and the growth check (SQL
queries per page at two sizes of data) runs on the test database. The load benchmarks
themselves are not run here: ``make bench`` runs them."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import time

import pytest

from bench import dataset, growth, report
from bench.server import tree_cpu_seconds
from forumapp.extensions import db

MODULES = [
    "bench.app",
    "bench.baseline_app",
    "bench.burst",
    "bench.databases",
    "bench.door_rush",
    "bench.floor_app",
    "bench.load",
    "bench.server",
    "bench.__main__",
]


@pytest.mark.parametrize("name", MODULES)
def test_the_bench_modules_import(name):
    importlib.import_module(name)


def test_the_growth_pages_send_the_same_queries_at_one_and_two_units_of_data(app):
    with app.app_context():
        data = dataset.seed_growth_base(db.session)
        dataset.grow(db.session, data, 1)
        db.session.remove()
    small = growth.in_process(app, data, repeats=0)
    with app.app_context():
        dataset.grow(db.session, data, 2)
        db.session.remove()
    large = growth.in_process(app, data, repeats=0)

    assert {page.name for page in growth.pages(data)} == set(small) == set(large)
    for name in small:
        assert small[name]["status"] == large[name]["status"] == 200, name
        assert large[name]["queries"] == small[name]["queries"], name
    assert data.counts["registrations"] >= 2 * dataset.GROWTH_REGISTRATIONS


def test_percentiles_interpolate_between_ranks():
    assert report.percentile([1.0, 2.0, 3.0, 4.0, 5.0], 0.5) == 3.0
    assert report.percentile(list(map(float, range(101))), 0.99) == pytest.approx(99.0)


def test_a_servers_cpu_counts_its_children_too():
    # A child that spins for a moment when told to, then waits, as a busy worker would.
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nsys.stdin.readline()\n"
         "end = time.process_time() + 0.3\nwhile time.process_time() < end: pass\n"
         "print('done', flush=True)\ntime.sleep(30)"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        before = tree_cpu_seconds(os.getpid())
        child.stdin.write("go\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "done"
        time.sleep(0.05)
        assert tree_cpu_seconds(os.getpid()) - before >= 0.2
        assert tree_cpu_seconds(child.pid) >= 0.25
    finally:
        child.kill()
        child.wait()
