"""Logins under load: 200 simultaneous token logins, and the API while wrong logins flood in.

Starts a real server (``partrack serve``, one process or ``--workers N``) on a fresh SQLite
database (PostgreSQL with ``--postgresql``) with the production password profile, then prints
median and p99 latency, errors, the server's peak memory (VmHWM, summed over its processes)
and ratios against a raw baseline measured in the same run: one argon2 verification alone,
and the API's median before the flood.
Every login comes from one address (127.0.0.1), as an office behind one NAT: the correct ones
must all pass (the per-address limit counts only wrong passwords), the wrong ones must meet the
limit (PARTRACK_LOGIN_MAX_FAILURES_PER_ADDRESS, 50) and then 429.
Run: ``.venv/bin/python bench/logins.py [--logins 200] [--workers 2]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
from argon2 import PasswordHasher
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import migrate  # noqa: E402
from app.accounts import passwords  # noqa: E402
from app.accounts.models import User  # noqa: E402
from app.accounts.passwords import OWASP_2023  # noqa: E402
from app.accounts.service import store_token  # noqa: E402
from app.clock import SystemClock  # noqa: E402
from app.db import make_engine  # noqa: E402
from bench.bench_ward import bench_ward_id  # noqa: E402

PASSWORD = "mat-khau-bench-2025"


def _processes(pid: int) -> list[int]:
    """The server and, with workers, its children (supervisor, workers, resource tracker)."""
    found = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _status_mib(pid: int, key: str) -> float:
    total = 0.0
    for each in _processes(pid):
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith(key + ":"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


def _pss_mib(pid: int) -> float:
    """The proportional set size summed over the server's processes: a page the workers share
    (the interpreter, C extensions) counts once in all, not once per process as in RSS."""
    total = 0.0
    for each in _processes(pid):
        try:
            for line in Path(f"/proc/{each}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


class RssWatch(threading.Thread):
    """The highest sum of the supervisor's and all workers' resident memory, every 0.2 s: what
    the machine actually held at once (the sum of each process's own peak is only a bound)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0.0
        self.peak_pss = 0.0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.2):
            self.peak = max(self.peak, _rss_mib(self.pid))
            self.peak_pss = max(self.peak_pss, _pss_mib(self.pid))


def _breakdown(pid: int, key: str = "VmHWM") -> str:
    """Each server process's figure (own peak by default): the supervisor first, then its
    children (workers, multiprocessing's resource tracker)."""
    parts = []
    for each in _processes(pid):
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith(key + ":"):
                    parts.append(f"{each}: {int(line.split()[1]) / 1024:.0f}")
        except OSError:
            continue
    return ", ".join(parts)


def _peak_mib(pid: int) -> float:
    """The sum of the server processes' own peaks (an upper bound of their peak together)."""
    return _status_mib(pid, "VmHWM")


def _rss_mib(pid: int) -> float:
    return _status_mib(pid, "VmRSS")


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def _prepare(url: str, users: int, wal: bool) -> str:
    migrate.upgrade(url)
    engine = make_engine(url)
    if wal:  # persistent in the file; app/db.py does not set it (yet)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")
    passwords.use_profile("owasp_2023")
    digest = passwords.hash_password(PASSWORD)  # the same hash for all: set-up time only
    now = datetime.now(UTC)
    with Session(engine, expire_on_commit=False) as session:
        for i in range(users):
            session.add(
                User(
                    ward_id=bench_ward_id(session),
                    username=f"bench{i:03d}",
                    full_name=f"Bench {i}",
                    password_hash=digest,
                    role="viewer",
                    password_changed_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )
        session.commit()
        first = session.get(User, 1)
        assert first is not None
        _, raw = store_token(
            db_session=session,
            user=first,
            clock=SystemClock(),
            name="bench",
            kind="personal",
            lifetime=__import__("datetime").timedelta(days=1),
            created_by="bench",
        )
        session.commit()
    engine.dispose()
    return raw


async def _timed(
    client: httpx.AsyncClient, method: str, url: str, **kw: object
) -> tuple[float, int]:
    start = time.perf_counter()
    try:
        resp = await client.request(method, url, **kw)  # type: ignore[arg-type]
        status = resp.status_code
    except httpx.HTTPError:
        status = 0
    return time.perf_counter() - start, status


async def _run(base: str, logins: int, token: str, pid: int) -> None:
    limits = httpx.Limits(max_connections=logins + 10, max_keepalive_connections=logins + 10)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=300) as client:
        await client.get("/healthz")
        idle_rss, idle_pss = _rss_mib(pid), _pss_mib(pid)
        idle_parts = _breakdown(pid, "VmRSS")
        watch = RssWatch(pid)
        watch.start()
        auth = {"Authorization": f"Bearer {token}"}

        # Leg 1: simultaneous correct logins of different users.
        results = await asyncio.gather(
            *(
                _timed(
                    client,
                    "POST",
                    "/api/v1/auth/token",
                    json={"username": f"bench{i:03d}", "password": PASSWORD},
                )
                for i in range(logins)
            )
        )
        times = [t for t, _ in results]
        errors = sum(1 for _, s in results if s != 200)
        kinds: dict[int, int] = {}
        for _, s in results:
            kinds[s] = kinds.get(s, 0) + 1
        peak = _peak_mib(pid)
        watch.stop.set()
        watch.join()

        # Raw baseline: one argon2 verification alone, in this process, same parameters.
        hasher = PasswordHasher.from_parameters(OWASP_2023)
        digest = hasher.hash(PASSWORD)
        samples = []
        for _ in range(5):
            start = time.perf_counter()
            hasher.verify(digest, PASSWORD)
            samples.append(time.perf_counter() - start)
        one_hash = statistics.median(samples)
        median = statistics.median(times)
        print(f"{logins} simultaneous logins: median {median:.2f} s, p99 {_p99(times):.2f} s, ")
        print(f"  answers {dict(sorted(kinds.items()))}")
        print(
            f"  errors {errors}; server memory, supervisor and all workers together: idle "
            f"{idle_rss:.0f} MiB, peak of the summed RSS {watch.peak:.0f} MiB (goal < 300 MB = "
            f"286 MiB), sum of each process's own peak {peak:.0f} MiB"
        )
        print(
            f"  proportional (PSS, shared pages once): idle {idle_pss:.0f} MiB, "
            f"peak {watch.peak_pss:.0f} MiB"
        )
        print(f"  each process idle RSS: {idle_parts} MiB; own peak (VmHWM): {_breakdown(pid)} MiB")
        print(
            f"  one argon2 verify alone {one_hash * 1000:.0f} ms; median / one hash = "
            f"{median / one_hash:.0f}×; all logins / one hash = {max(times) / one_hash:.0f}×"
        )

        # Leg 2: the API's own latency, alone and during a flood of wrong logins that rotate
        # the username and X-Forwarded-For (not trusted: the server names no proxy).
        async def api_median(n: int) -> float:
            got = [await _timed(client, "GET", "/api/v1/units", headers=auth) for _ in range(n)]
            return statistics.median(t for t, _ in got)

        calm = await api_median(20)
        flood = asyncio.gather(
            *(
                _timed(
                    client,
                    "POST",
                    "/api/v1/auth/token",
                    json={"username": f"khong-co-{i}", "password": "sai-mat-khau"},
                    headers={"X-Forwarded-For": f"10.{i // 250}.{i % 250}.1"},
                )
                for i in range(logins)
            )
        )
        await asyncio.sleep(0.05)
        during = await api_median(20)
        answers = await flood
        statuses: dict[int, int] = {}
        for _, s in answers:
            statuses[s] = statuses.get(s, 0) + 1
        print(
            f"flood of {logins} wrong logins: answers {dict(sorted(statuses.items()))}; "
            f"API median alone {calm * 1000:.0f} ms, during the flood {during * 1000:.0f} ms "
            f"({during / calm:.1f}×); server peak memory {_peak_mib(pid):.0f} MiB"
        )


@contextmanager
def _database(tmp: str, postgresql: bool) -> Iterator[str]:
    """A SQLite file in ``tmp``, or a fresh PostgreSQL database dropped afterwards."""
    if not postgresql:
        yield f"sqlite:///{tmp}/bench.db"
        return
    from bench.load import _drop, _fresh_database

    url, name = _fresh_database()
    try:
        yield url
    finally:
        _drop(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--logins", type=int, default=200)
    parser.add_argument("--wal", action="store_true", help="SQLite in WAL mode")
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument(
        "--postgresql",
        action="store_true",
        help="a fresh PostgreSQL database (PARTRACK_TEST_PG_URL's server) instead of SQLite",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, _database(tmp, args.postgresql) as url:
        token = _prepare(url, args.logins, args.wal)
        port = 18000 + os.getpid() % 1000
        env = {
            **os.environ,
            "PARTRACK_DATABASE_URL": url,
            "PARTRACK_SECRET_KEY": "bench-secret-key-0123456789abcdefghijklmnop",
            "PARTRACK_ENVIRONMENT": "test",
            "PARTRACK_PASSWORD_HASH_PROFILE": "owasp_2023",
        }
        env["PARTRACK_LISTEN_BACKLOG"] = "2048"
        server = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "partrack"),
                "serve",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    httpx.get(f"{base}/healthz", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.2)
            time.sleep(2 if args.workers > 1 else 0)  # every worker up
            print(f"server: partrack serve, {args.workers} process(es) answering")
            asyncio.run(_run(base, args.logins, token, server.pid))
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
