"""What an authenticated request costs before any work, against a bare FastAPI app in the same run.

Starts ``partrack serve`` (one worker) on a fresh database (PostgreSQL unless ``--sqlite``) and,
beside it, ``bench/bare.py`` under the same uvicorn (one worker, no partrack code at all). Logs
one user in both ways, then for each route keeps ``--concurrency`` keep-alive connections busy
for ``--seconds`` and counts answers (every one must be 200). The load comes from ``wrk`` when it
is installed (``apt-get install wrk``), else from a minimal HTTP/1.1 loop on asyncio streams in
this process; either way the client is not the server's process.

Routes measured:
  bare JSON, bare HTML       ``bench/bare.py``: a response model / a fixed page, nothing else,
                             each as a ``def`` and an ``async def`` route
  /healthz                   partrack's middleware and routing, no credentials
  auth/me, bearer / cookie   ``GET /api/v1/auth/me``: authentication and a response model
  page, cookie               ``GET /account/password``: a trivial logged-in page (session,
                             names, the base template)
and prints each one's requests/s and its ratio to the faster bare route of its kind (JSON or
HTML).
Issue #20's goals (``/api/v1/scores`` ≥ 0.4× bare JSON, the dashboard ≥ 0.25× bare HTML) need
these authenticated rows close to 1; before the credential cache auth/me was 0.16× /healthz.

``--statements`` instead counts, in process, the SQL statements and pool check-outs of each
authenticated route once its credential is warm (0 is the goal; the page's user has no unit).
To see where the time goes, run ``py-spy record --nonblocking -p PID`` on the server under load.

    .venv/bin/python bench/auth.py                 # PostgreSQL, 1 worker, 10 s per route
    .venv/bin/python bench/auth.py --sqlite --seconds 5
    .venv/bin/python bench/auth.py --statements
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
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
from bench.bench_ward import bench_ward_id  # noqa: E402

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
            ward_id=bench_ward_id(session),
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


def _request_bytes(port: int, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def rate_asyncio(
    port: int, path: str, headers: dict[str, str], seconds: float, concurrency: int
) -> float:
    """Requests per second over ``concurrency`` keep-alive connections; every answer must be 200."""
    request = _request_bytes(port, path, headers)
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


def rate_wrk(
    port: int, path: str, headers: dict[str, str], seconds: float, concurrency: int
) -> float:
    """The same measured by wrk (one thread: the machine has two cores and the server needs one)."""
    command = ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds:g}s"]
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    out = subprocess.run(
        [*command, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True
    ).stdout
    assert "Non-2xx" not in out and "Socket errors" not in out, f"{path}: {out}"
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert found is not None, out
    return float(found.group(1))


def rate(port: int, path: str, headers: dict[str, str], seconds: float, concurrency: int) -> float:
    measure = rate_wrk if shutil.which("wrk") else rate_asyncio
    return measure(port, path, headers, seconds, concurrency)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(port: int, path: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}{path}", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"nothing answers {path} on port {port}")


def serve_bare() -> tuple[subprocess.Popen[bytes], int]:
    """``bench/bare.py`` under the uvicorn ``partrack serve`` uses, one worker."""
    port, python = _free_port(), str(ROOT / ".venv" / "bin" / "python")
    server = subprocess.Popen(
        [python, "-m", "uvicorn", "bench.bare:app", "--port", str(port), "--workers", "1"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_ready(port, "/json")
    return server, port


def serve(url: str, workers: int) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
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
    _wait_ready(port, "/readyz")
    time.sleep(2 if workers > 1 else 0.2)
    return server, port


def _legs(
    bare: int, port: int, token: str, cookie: str
) -> list[tuple[str, str, int, str, dict[str, str]]]:
    """(name, kind, port, path, headers) of every route measured."""
    bearer = {"Authorization": f"Bearer {token}"}
    session = {"Cookie": f"partrack_session={cookie}"}
    return [
        ("bare JSON", "json", bare, "/json", {}),
        ("bare JSON async", "json", bare, "/json-async", {}),
        ("bare HTML", "html", bare, "/html", {}),
        ("bare HTML async", "html", bare, "/html-async", {}),
        ("/healthz", "json", port, "/healthz", {}),
        ("auth/me, bearer", "json", port, "/api/v1/auth/me", bearer),
        ("auth/me, cookie", "json", port, "/api/v1/auth/me", session),
        ("page, cookie", "html", port, "/account/password", session),
    ]


def measure(args: argparse.Namespace) -> None:
    with database(args.sqlite) as url:
        token = prepare(url)
        server, port = serve(url, args.workers)
        bare, bare_port = serve_bare()
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
                cookie = session_cookie(client)
            got: dict[str, tuple[str, float]] = {}
            for name, kind, at, path, headers in _legs(bare_port, port, token, cookie):
                rate(at, path, headers, 1.0, args.concurrency)  # warm up
                got[name] = (kind, rate(at, path, headers, args.seconds, args.concurrency))
        finally:
            for process in (server, bare):
                process.terminate()
                process.wait(timeout=30)
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(
        f"partrack serve and bench/bare.py, {args.workers} worker(s) each, "
        f"{'SQLite' if args.sqlite else 'PostgreSQL'}, {args.concurrency} connections, "
        f"{args.seconds:g} s per route, {'wrk' if shutil.which('wrk') else 'asyncio client'}, "
        f"loadavg {' '.join(load)}"
    )
    # Against the faster of the two bare routes of each kind (``def`` or ``async def``): the
    # ratio never flatters partrack by choosing the slower baseline.
    baseline = {
        kind: max(got[f"bare {kind.upper()}"][1], got[f"bare {kind.upper()} async"][1])
        for kind in ("json", "html")
    }
    for name, (kind, value) in got.items():
        ratio = value / baseline[kind]
        print(f"  {name:<16} {value:>7.0f} req/s   ÷ bare {kind.upper():<4} {ratio:.2f}")


def statements(args: argparse.Namespace) -> None:
    """In process: the SQL statements, pool check-outs and pings of each authenticated route,
    once its credential is warm (the first uses may write "last used" and fill the cache)."""
    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from app.config import Settings
    from app.main import create_app

    with database(args.sqlite) as url:
        token = prepare(url)
        settings = Settings(database_url=url, secret_key=SECRET, environment="test")
        app = create_app(settings)
        engine = app.state.engine
        seen: list[str] = []
        event.listen(engine, "before_cursor_execute", lambda *a: seen.append(a[2].split()[0]))
        event.listen(engine.pool, "checkout", lambda *a: seen.append("(check-out)"))
        with TestClient(app) as client:
            cookie = session_cookie(client)
            client.cookies.clear()
            for name, _, _, path, headers in _legs(0, 0, token, cookie)[5:]:
                for _ in range(3):
                    assert client.get(path, headers=headers).status_code == 200
                seen.clear()
                assert client.get(path, headers=headers).status_code == 200
                print(f"  {name:<16} {path:<20} {len(seen)} statements/check-outs {seen}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--statements", action="store_true", help="count SQL per authenticated request instead"
    )
    args = parser.parse_args()
    if args.statements:
        statements(args)
    else:
        measure(args)


if __name__ == "__main__":
    main()
