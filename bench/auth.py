"""What an authenticated request costs before any work: ``GET /api/v1/auth/me`` against
``/healthz`` through the same server and middleware, for a bearer token and a session cookie.

Starts ``partrack serve`` (one worker by default) on a fresh database (PostgreSQL unless
``--sqlite``), logs one user in both ways, then for each route keeps ``--concurrency``
keep-alive connections busy for ``--seconds`` and counts answers. The client is a minimal
HTTP/1.1 loop on asyncio streams (no httpx), so the load generator costs little next to the
server on a 2-core machine. Prints each route's requests/s and ``auth/me ÷ healthz`` for both
credentials: the closer to 1, the less authentication costs. Issue #20 measured 270 against
1,599 (0.17) before the fix.

``--profile N`` instead runs N bearer and N cookie requests in process (TestClient) under
cProfile and prints the heaviest functions.

    .venv/bin/python bench/auth.py                 # PostgreSQL, 1 worker, 10 s per route
    .venv/bin/python bench/auth.py --sqlite --seconds 5
    .venv/bin/python bench/auth.py --profile 2000 --sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import migrate  # noqa: E402
from app.accounts import passwords  # noqa: E402
from app.accounts.models import User  # noqa: E402
from app.accounts.service import store_token  # noqa: E402
from app.clock import SystemClock  # noqa: E402
from app.db import make_engine  # noqa: E402

PG_SERVER = os.environ.get(
    "PARTRACK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PASSWORD = "mat-khau-bench-2025"
SECRET = "bench-secret-key-0123456789abcdefghijklmnop"
_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


@contextmanager
def database(sqlite: bool) -> Iterator[str]:
    """A fresh, migrated database with one viewer, dropped afterwards."""
    if sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.db"
        return
    server = make_url(PG_SERVER).set(drivername="postgresql+psycopg")
    name = f"partrack_auth_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0"))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def prepare(url: str) -> str:
    """Migrate, add the user ``bench`` and return a personal token of theirs."""
    migrate.upgrade(url)
    engine = make_engine(url)
    passwords.use_profile("owasp_2023")
    now = datetime.now(UTC)
    with Session(engine, expire_on_commit=False) as session:
        user = User(
            username="bench",
            full_name="Bench",
            password_hash=passwords.hash_password(PASSWORD),
            role="viewer",
            password_changed_at=now,
            created_at=now,
            updated_at=now,
        )
        session.add(user)
        session.commit()
        _, raw = store_token(
            db_session=session,
            user=user,
            clock=SystemClock(),
            name="bench",
            kind="personal",
            lifetime=timedelta(days=1),
            created_by="bench",
        )
        session.commit()
    engine.dispose()
    return raw


def session_cookie(client: httpx.Client) -> str:
    """Log in through the login page; the ``partrack_session`` cookie's value."""
    page = client.get("/login")
    found = _CSRF.search(page.text)
    assert found is not None, "no login form"
    form = {"username": "bench", "password": PASSWORD, "csrf_token": found.group(1)}
    done = client.post("/login", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text
    return str(client.cookies["partrack_session"])


async def _worker(
    host: str, port: int, request: bytes, end: float, counts: list[int], statuses: set[int]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.monotonic() < end:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            statuses.add(status)
            counts[0] += 1
    finally:
        writer.close()


def rate(port: int, path: str, headers: dict[str, str], seconds: float, concurrency: int) -> float:
    """Requests per second over ``concurrency`` keep-alive connections; every answer must be 200."""
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    counts, statuses = [0], set[int]()

    async def run() -> float:
        start = time.monotonic()
        end = start + seconds
        jobs = [
            _worker("127.0.0.1", port, request, end, counts, statuses) for _ in range(concurrency)
        ]
        await asyncio.gather(*jobs)
        return time.monotonic() - start

    elapsed = asyncio.run(run())
    assert statuses == {200}, f"{path}: answers {statuses}"
    return counts[0] / elapsed


def serve(url: str, workers: int) -> tuple[subprocess.Popen[bytes], int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    env = {
        **os.environ,
        "PARTRACK_DATABASE_URL": url,
        "PARTRACK_SECRET_KEY": SECRET,
        "PARTRACK_ENVIRONMENT": "test",
        "PARTRACK_PASSWORD_HASH_PROFILE": "owasp_2023",
        "PARTRACK_WORKERS": str(workers),
    }
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "partrack"), "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    time.sleep(2 if workers > 1 else 0.2)
    return server, port


def measure(args: argparse.Namespace) -> None:
    with database(args.sqlite) as url:
        token = prepare(url)
        server, port = serve(url, args.workers)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
                cookie = session_cookie(client)
            legs = [
                ("/healthz", "/healthz", {}),
                ("auth/me, bearer", "/api/v1/auth/me", {"Authorization": f"Bearer {token}"}),
                ("auth/me, cookie", "/api/v1/auth/me", {"Cookie": f"partrack_session={cookie}"}),
            ]
            got = {}
            for name, path, headers in legs:
                rate(port, path, headers, 1.0, args.concurrency)  # warm up
                got[name] = rate(port, path, headers, args.seconds, args.concurrency)
        finally:
            server.terminate()
            server.wait(timeout=30)
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(
        f"partrack serve, {args.workers} worker(s), {'SQLite' if args.sqlite else 'PostgreSQL'}, "
        f"{args.concurrency} connections, {args.seconds:g} s per route, loadavg {' '.join(load)}"
    )
    for name, value in got.items():
        ratio = value / got["/healthz"]
        print(f"  {name:<16} {value:>7.0f} req/s   ÷ /healthz {ratio:.2f}")


def profile(args: argparse.Namespace) -> None:
    from fastapi.testclient import TestClient

    from app.config import Settings
    from app.main import create_app

    with database(args.sqlite) as url:
        token = prepare(url)
        settings = Settings(database_url=url, secret_key=SECRET, environment="test")
        with TestClient(create_app(settings)) as client:
            cookie = session_cookie(client)
            client.cookies.clear()
            legs = [
                ("bearer", {"Authorization": f"Bearer {token}"}),
                ("cookie", {"Cookie": f"partrack_session={cookie}"}),
            ]
            for name, headers in legs:
                for _ in range(50):  # warm up
                    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
                profiler = cProfile.Profile()
                start = time.perf_counter()
                profiler.enable()
                for _ in range(args.profile):
                    client.get("/api/v1/auth/me", headers=headers)
                profiler.disable()
                each = (time.perf_counter() - start) / args.profile * 1000
                print(f"--- {name}: {each:.2f} ms per request in process (profiled)")
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    args = parser.parse_args()
    if args.profile:
        profile(args)
    else:
        measure(args)


if __name__ == "__main__":
    main()
