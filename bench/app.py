"""The app as the benchmarks serve it: production-like settings on a benchmark database.

gunicorn loads ``bench.app:serve_bench_app()``; the database and the mail trap's port come
from the environment the runner sets (``BENCH_DATABASE_URL``, ``BENCH_MAIL_PORT``).
"""

from __future__ import annotations

import gc
import os

from flask import Flask

from config import BaseConfig, normalise_database_url
from forumapp import create_app

# Load generators come from one address, so the public API's per-address limit is raised
# (not switched off: its bookkeeping stays in the measured path, as in production).
PUBLIC_API_LIMIT = "1000000 per minute"


def bench_config(database_url: str, mail_port: int) -> type:
    """A configuration like production's, over plain HTTP on 127.0.0.1."""
    return type(
        "BenchConfig",
        (BaseConfig,),
        {
            "ENV_NAME": "bench",
            "SECRET_KEY": "bench-secret-key-only-for-local-benchmarks",
            "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
            "RATELIMIT_PUBLIC_API": PUBLIC_API_LIMIT,
            # Mail goes to the outbox only; a worker would send it. The trap on this port
            # counts connections, so a message sent inside a request would show.
            "MAIL_SEND_AFTER_REQUEST": False,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": mail_port,
            "MAIL_TIMEOUT": 2,
            "PUBLIC_BASE_URL": "http://127.0.0.1",
        },
    )


def create_bench_app(database_url: str | None = None, mail_port: int | None = None) -> Flask:
    """The forumapp app on the benchmark database (arguments default to the environment)."""
    database_url = database_url or os.environ["BENCH_DATABASE_URL"]
    mail_port = mail_port or int(os.environ.get("BENCH_MAIL_PORT", "9"))
    return create_app(bench_config(database_url, mail_port))


def serve_bench_app() -> Flask:
    """What gunicorn serves: the bench app, prepared as ``forumapp.wsgi`` prepares production's
    (its long-lived objects frozen out of the garbage collector's way)."""
    app = create_bench_app()
    gc.collect()
    gc.freeze()
    return app
