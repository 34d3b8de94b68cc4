"""Slow uploaders against everyone else (issue 17, availability), on PostgreSQL.

Starts ``partrack serve`` on a fresh database, times other users' requests (``GET /api/v1/units``
and ``GET /healthz``) alone, then again while N slow uploaders are connected: each sends its
headers with a large ``Content-Length`` and then one byte a second to ``POST
/api/v1/readings/bulk``. Prints p50/p99/errors of both runs, their ratio, and the server's
connections to the database as PostgreSQL sees them (idle, or idle in transaction: a connection
held by a request). The uploaders are one user, with the per-user cap raised to N for the run, so
the figure is about connections and the event loop, not the cap.

    .venv/bin/python bench/slow_uploads.py --uploaders 100 --seconds 20
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.accounts import service as account_service  # noqa: E402
from app.accounts.models import User  # noqa: E402
from app.clock import SystemClock  # noqa: E402
from bench.bench_ward import bench_ward_id  # noqa: E402
from bench.bulk import Databases, Server, prepare  # noqa: E402


def token_for(url: str, username: str) -> str:
    """An administrator and a personal token acting as them."""
    engine = create_engine(url)
    clock = SystemClock()
    with Session(engine, expire_on_commit=False) as session:
        now = clock.now()
        user = User(
            ward_id=bench_ward_id(session),
            username=username,
            full_name=username,
            password_hash="!",
            role="admin",
            must_change_password=False,
            password_changed_at=now,
            created_at=now,
            updated_at=now,
        )
        session.add(user)
        session.commit()
        _, raw = account_service.store_token(
            db_session=session,
            user=user,
            clock=clock,
            name="bench",
            kind="personal",
            lifetime=timedelta(days=1),
            created_by="bench",
        )
        session.commit()
    engine.dispose()
    return raw


def measure(base: str, token: str, seconds: float) -> tuple[list[float], int]:
    """Other users' requests one after another for ``seconds``: latencies (ms) and errors."""
    latencies: list[float] = []
    errors = 0
    ends = time.monotonic() + seconds
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as c:
        i = 0
        while time.monotonic() < ends:
            path = "/api/v1/units" if i % 2 == 0 else "/healthz"
            i += 1
            start = time.perf_counter()
            try:
                ok = c.get(path).status_code == 200
            except httpx.HTTPError:
                ok = False
            latencies.append((time.perf_counter() - start) * 1000)
            errors += not ok
    return latencies, errors


class SlowUploaders:
    """N sockets that sent their headers and then one byte a second until stopped."""

    def __init__(self, port: int, token: str, n: int) -> None:
        self.sockets: list[socket.socket] = []
        self.closed_by_server = 0
        self.stopping = threading.Event()
        head = (
            "POST /api/v1/readings/bulk HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {token}\r\n"
            "Content-Type: text/csv\r\n"
            "Content-Length: 10000000\r\n\r\n"
        ).encode()
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(head)
            self.sockets.append(s)
        self.thread = threading.Thread(target=self._drip, daemon=True)
        self.thread.start()

    def _drip(self) -> None:
        while not self.stopping.wait(1.0):
            for s in list(self.sockets):
                try:
                    s.sendall(b"i")
                except OSError:
                    self.sockets.remove(s)
                    self.closed_by_server += 1

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join()
        for s in self.sockets:
            s.close()


def pool_state(url: str) -> dict[str, int]:
    """The server's connections to its database, by state (PostgreSQL's view of the pool)."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT coalesce(state, '?'), count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() GROUP BY 1"
            )
        ).all()
    engine.dispose()
    return {state: count for state, count in rows}


def summary(name: str, latencies: list[float], errors: int) -> tuple[float, float]:
    ordered = sorted(latencies)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(f"{name:<28} n={len(ordered):>5}  p50={p50:7.1f} ms  p99={p99:7.1f} ms  errors={errors}")
    return p50, p99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploaders", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        databases = Databases("postgresql", Path(work))
        url = databases.new("slow")
        server = None
        try:
            prepare(url, domains=0).dispose()
            slow_token = token_for(url, "cham")
            other_token = token_for(url, "nguoi.khac")
            os.environ["PARTRACK_MAX_IMPORTS_PER_USER"] = str(min(100, args.uploaders))
            server = Server(url)
            measure(server.base, other_token, 2)  # warm-up
            alone = measure(server.base, other_token, args.seconds)
            uploaders = SlowUploaders(server.port, slow_token, args.uploaders)
            time.sleep(3)  # every uploader authenticated and waiting on its body
            states: dict[str, int] = {}
            sampler = threading.Timer(args.seconds / 2, lambda: states.update(pool_state(url)))
            sampler.start()
            loaded = measure(server.base, other_token, args.seconds)
            sampler.join()
            still_open = len(uploaders.sockets)
            uploaders.stop()
            print(f"slow uploaders: {args.uploaders}, still connected at the end: {still_open}")
            a50, a99 = summary("other users, alone", *alone)
            b50, b99 = summary(f"other users, {args.uploaders} slow", *loaded)
            print(f"ratio loaded/alone: p50 {b50 / a50:.2f}×  p99 {b99 / a99:.2f}×")
            print(f"server's database connections mid-run, by state: {states}")
        finally:
            if server is not None:
                server.stop()
            databases.drop_all()


if __name__ == "__main__":
    main()
