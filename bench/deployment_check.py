"""Check a deployment of several app servers the way ``tests/deploy`` checks the one it starts:

    python -m bench.deployment_check --server http://app1:8000 --server http://app2:8000 \\
        --forum 12 --date 2027-05-14 --seats 20 --token TOKEN \\
        --organizer organizer@example.org --password ...

Address each app server directly (not through the proxy), on a staging copy: it makes real
registrations, spends the send-link limit of the address it runs from, and signs in.

- registrations sent to all servers at once leave exactly ``--seats`` confirmed seats on the
  day (read back through ``GET /api/v1/forums/<id>/registrations`` with an organizer token);
  give a forum whose day has that many seats and nobody registered yet;
- ``--limit`` requests of "send my link" in a minute are admitted over all servers together,
  and the next ones refused (429): the servers share Redis;
- a staff sign-in on the first server is signed in on every other.

Prints one line per check and exits 1 if any fails.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import sys
import uuid
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode, urlsplit


class Client:
    """Just enough of a browser for these checks: cookies kept by hand (production cookies are
    Secure; a direct address of an app server may be plain HTTP), any server per request."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def request(self, server: str, method: str, path: str, body=None, headers=None):
        """``(status, text)`` of one request to ``server`` (``http://host:port``)."""
        parts = urlsplit(server)
        kind = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        connection = kind(parts.hostname, parts.port, timeout=30)
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        connection.close()
        return response.status, text

    def csrf(self, server: str, path: str) -> str:
        """The CSRF token of the form on ``path``."""
        status, page = self.request(server, "GET", path)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        if status != 200 or match is None:
            raise RuntimeError(f"no form at {server}{path} ({status})")
        return match.group(1)

    def post_form(self, server: str, path: str, fields: dict) -> tuple[int, str]:
        body = urlencode(fields)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return self.request(server, "POST", path, body, headers)


def register_across(
    servers: Sequence[str], forum_id: int, day: str, people: int, prefix: str = "rush"
) -> Counter:
    """``people`` public registrations for ``day``, sent at once, in turn to each server;
    how many got each status (202: received)."""

    def register(n: int) -> int:
        body = {
            "name": f"Rush Person {n:03d}",
            "email": f"{prefix}{n:03d}@public.example.org",
            "consent": True,
            "days": [day],
        }
        status, _ = Client().request(
            servers[n % len(servers)],
            "POST",
            f"/api/v1/forums/{forum_id}/registrations",
            json.dumps(body),
            {"Content-Type": "application/json"},
        )
        return status

    with ThreadPoolExecutor(max_workers=min(people, 64)) as pool:
        return Counter(pool.map(register, range(people)))


def seat_statuses(server: str, forum_id: int, day: str, token: str) -> Counter:
    """Confirmed and waitlisted seats on ``day``, read through the API."""
    status, text = Client().request(
        server,
        "GET",
        f"/api/v1/forums/{forum_id}/registrations",
        headers={"Authorization": f"Bearer {token}"},
    )
    if status != 200:
        raise RuntimeError(f"reading registrations answered {status}: {text[:200]}")
    return Counter(
        entry["status"]
        for registration in json.loads(text)["registrations"]
        for entry in registration["days"]
        if entry["date"] == day
    )


def send_link_statuses(servers: Sequence[str], requests: int) -> list[int]:
    """``requests`` "send my link" form posts in turn to each server, from one browser."""
    client = Client()
    token = client.csrf(servers[0], "/link")
    return [
        client.post_form(
            servers[n % len(servers)],
            "/link",
            {"email": f"limit-{uuid.uuid4().hex[:8]}@example.org", "csrf_token": token},
        )[0]
        for n in range(requests)
    ]


def signed_in_everywhere(
    servers: Sequence[str], email: str, password: str, staff_path: str = "/staff/speakers"
) -> bool:
    """Sign in on the first server; is ``staff_path`` then open on every server?"""
    client = Client()
    token = client.csrf(servers[0], "/login")
    status, _ = client.post_form(
        servers[0], "/login", {"email": email, "password": password, "csrf_token": token}
    )
    if status != 302:
        return False
    return all(client.request(server, "GET", staff_path)[0] == 200 for server in servers)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.deployment_check", description=__doc__)
    parser.add_argument("--server", action="append", required=True, help="an app server's URL")
    parser.add_argument("--forum", type=int, required=True)
    parser.add_argument("--date", required=True, help="the public day, YYYY-MM-DD")
    parser.add_argument("--seats", type=int, required=True)
    parser.add_argument("--people", type=int, default=0, help="default: seats + half of them")
    parser.add_argument("--token", required=True, help="an organizer's API token")
    parser.add_argument("--limit", type=int, default=10, help="RATELIMIT_SEND_LINK per minute")
    parser.add_argument("--organizer", required=True)
    parser.add_argument("--password", required=True)
    args = parser.parse_args(argv)
    people = args.people or args.seats + args.seats // 2
    failures = 0

    def report(name: str, ok: bool, detail: str) -> None:
        nonlocal failures
        failures += not ok
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}")

    statuses = register_across(args.server, args.forum, args.date, people)
    seats = seat_statuses(args.server[0], args.forum, args.date, args.token)
    report(
        "seats exact",
        statuses == Counter({202: people}) and seats["confirmed"] == args.seats,
        f"answers {dict(statuses)}, seats {dict(seats)}",
    )
    limited = send_link_statuses(args.server, args.limit + 3)
    admitted = sum(status != 429 for status in limited)
    report("shared rate limit", admitted == args.limit, f"{admitted} of {len(limited)} admitted")
    report(
        "staff session on every server",
        signed_in_everywhere(args.server, args.organizer, args.password),
        f"signed in on {args.server[0]}",
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
