"""The load generator, run as its own process: ``python -m bench.load < spec.json``.

It reads a spec from stdin, sends every request in it to 127.0.0.1 from ``concurrency``
threads, each on its own keep-alive connection (``http.client``), and writes one JSON object
to stdout: the status and latency of each request, and the wall-clock time of the whole run.

Spec: ``{"port": 8000, "concurrency": 8, "requests": [{"method", "path", "body",
"headers"}], "burst": false, "timeout": 30, "deadline": 300}``; a request may carry ``"raw"``
(text sent as it is, e.g. broken JSON) instead of ``"body"``. With ``burst`` every thread
opens its connection first and all send at the same moment (one request each is the usual
burst). Latency is ``time.perf_counter`` around one request and its full response. A
request that times out or loses its connection counts as status 0. Nothing runs past
``deadline`` seconds: requests not yet sent by then are reported as not sent.
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time

HOST = "127.0.0.1"  # the load only ever goes to this machine


def _connect(port: int, timeout: float) -> http.client.HTTPConnection:
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    connection.connect()
    return connection


def _send(connection, item: dict, port: int, timeout: float):
    """Send one request on ``connection`` (opened again if needed); the status (0 when the
    connection failed) and the connection to use next (None once it closed)."""
    body = item.get("body")
    payload = item["raw"] if "raw" in item else json.dumps(body) if body is not None else None
    headers = dict(item.get("headers") or {})
    if payload is not None:
        headers.setdefault("Content-Type", "application/json")
    try:
        if connection is None:
            connection = _connect(port, timeout)
        connection.request(item["method"], item["path"], body=payload, headers=headers)
        response = connection.getresponse()
        response.read()
        if response.will_close:
            connection.close()
            connection = None
        return response.status, connection
    except (OSError, http.client.HTTPException):
        if connection is not None:
            connection.close()
        return 0, None


def run(spec: dict) -> dict:
    port = int(spec["port"])
    requests = spec["requests"]
    concurrency = max(1, min(int(spec.get("concurrency", 8)), len(requests) or 1))
    timeout = float(spec.get("timeout", 30))
    deadline_seconds = float(spec.get("deadline", 300))
    burst = bool(spec.get("burst", False))

    statuses: list[int | None] = [None] * len(requests)
    latencies: list[float | None] = [None] * len(requests)
    next_index = iter(range(len(requests)))
    index_lock = threading.Lock()
    ready = threading.Barrier(concurrency + 1) if burst else None
    stop_at = [float("inf")]

    def take() -> int | None:
        with index_lock:
            return next(next_index, None)

    def worker() -> None:
        connection = None
        try:
            connection = _connect(port, timeout)
        except OSError:
            connection = None
        if ready is not None:
            try:
                ready.wait(timeout=60)
            except threading.BrokenBarrierError:
                return
        while time.perf_counter() < stop_at[0]:
            index = take()
            if index is None:
                break
            started = time.perf_counter()
            statuses[index], connection = _send(connection, requests[index], port, timeout)
            latencies[index] = time.perf_counter() - started
        if connection is not None:
            connection.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    if ready is not None:
        ready.wait(timeout=60)
    started = time.perf_counter()
    stop_at[0] = started + deadline_seconds
    for thread in threads:
        thread.join(timeout=deadline_seconds + timeout + 5)
    elapsed = time.perf_counter() - started
    return {
        "elapsed": elapsed,
        "concurrency": concurrency,
        "statuses": statuses,
        "latencies": latencies,
    }


def main() -> None:
    spec = json.load(sys.stdin)
    json.dump(run(spec), sys.stdout)


if __name__ == "__main__":
    main()
