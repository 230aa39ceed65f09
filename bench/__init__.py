"""Load and growth benchmarks for forumapp: ``python -m bench`` (or ``make bench``).

Each benchmark serves the app with gunicorn on 127.0.0.1, on SQLite and on PostgreSQL, drives it
from a separate load process and prints its figures next to a baseline measured in the same run
(``bench/baseline_app.py``: a minimal Flask app on the same server, database and driver). The
ratios are what to compare between machines; absolute times are context.
"""
