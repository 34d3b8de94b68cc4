"""Load: N simulated people using partrack at once, against ``partrack serve --workers 2`` on
PostgreSQL, for a bounded time.

The people are the ward's: reporters (60 %) open their unit's workspace and save task rows one
after another, coordinators (10 %) go through the review queue and the completeness overview,
leaders (30 %) look at the scores dashboard. Each logs in through the login page once, at a
random moment of the ramp-up, then works with a think time between clicks. The baseline is
measured in the same run, with the same people and think times against ``/healthz`` (the
server's cheapest answer, no database), so the ratio says what the app itself adds.

Prints p50 and p99 of the clicks (logins apart), also split into the ramp (while people log in)
and after it; the server's CPU time per request (on a shared machine the latencies also measure
everyone else's work, the CPU time much less), and the machine's CPU over the run split into the
server (each of its processes), PostgreSQL, this load generator and anything else; errors, write
conflicts, and the server's peak memory: the highest sum of the supervisor's and workers'
resident memory seen (sampled every half second) and the sum of their own peaks (VmHWM, an upper
bound). ``--timeline`` writes every click (start, kind, latency) to a CSV, to see when the slow
ones came. Goal on the project's 2-core machines: 200 users, p99 < 1 s, 0 errors.

    .venv/bin/python bench/load.py                        # 200 users, 60 s, 2 workers
    .venv/bin/python bench/load.py --users 50 --duration 20
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import socket
import ssl
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import migrate  # noqa: E402
from app.accounts import passwords  # noqa: E402
from app.accounts.models import User  # noqa: E402
from app.clock import FixedClock  # noqa: E402
from app.db import make_engine  # noqa: E402
from app.seed import service as seed_service  # noqa: E402
from app.units.models import Unit  # noqa: E402
from bench.bench_ward import bench_ward_id  # noqa: E402

PG_SERVER = os.environ.get(
    "PARTRACK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PASSWORD = "mat-khau-tai-thu-2025"
UNITS = ["vhxh", "vp", "ttpvhcc", "kthtdt", "mttq"]
PERIOD = "2025-11"
TODAY = "2025-11-20"
_VERSION = re.compile(r'name="version" value="(\d+)"')
_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


@dataclass
class Tally:
    """Every click's latency by kind, and what went wrong."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    conflicts: int = 0
    #: (when the click began, by the monotonic clock; its kind; its latency) of every click.
    timeline: list[tuple[float, str, float]] = field(default_factory=list)

    def add(self, kind: str, seconds: float) -> None:
        self.latencies.setdefault(kind, []).append(seconds)
        self.timeline.append((time.monotonic() - seconds, kind, seconds))

    def clicks(self) -> list[float]:
        return [t for k, v in self.latencies.items() if k != "login" for t in v]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


# --- set-up -----------------------------------------------------------------------------------


def _fresh_database() -> tuple[str, str]:
    server = make_url(PG_SERVER).set(drivername="postgresql+psycopg")
    name = f"partrack_load_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0"))
    admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False), name


def _drop(name: str) -> None:
    server = make_url(PG_SERVER).set(drivername="postgresql+psycopg")
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@dataclass(frozen=True)
class Person:
    username: str
    role: str
    unit: str | None


def _people(count: int) -> list[Person]:
    reporters = round(count * 0.6)
    coordinators = max(1, round(count * 0.1))
    people = [Person(f"bc-{i:03d}", "reporter", UNITS[i % len(UNITS)]) for i in range(reporters)]
    people += [Person(f"dp-{i:03d}", "coordinator", "vhxh") for i in range(coordinators)]
    people += [Person(f"ld-{i:03d}", "viewer", None) for i in range(count - len(people))]
    return people


def _prepare(url: str, people: list[Person]) -> None:
    migrate.upgrade(url)
    engine = make_engine(url)
    clock = FixedClock.on(datetime.fromisoformat(TODAY).date())
    passwords.use_profile("owasp_2023")
    digest = passwords.hash_password(PASSWORD)  # one hash for all: set-up time only
    now = datetime.now(UTC)
    with Session(engine, expire_on_commit=False) as session:
        seed_service.seed_plan(db_session=session, clock=clock)
        units = {u.code: u.id for u in session.exec(select(Unit))}
        for p in people:
            session.add(
                User(
                    ward_id=bench_ward_id(session),
                    username=p.username,
                    full_name=f"Cán bộ {p.username}",
                    password_hash=digest,
                    role=p.role,
                    unit_id=units[p.unit] if p.unit else None,
                    password_changed_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )
        session.commit()
    engine.dispose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> list[int]:
    found = []
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
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class MemoryWatch(threading.Thread):
    """The highest sum of the server processes' resident memory, sampled every half second."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_sum = 0.0
        self.stop = threading.Event()

    def pids(self) -> list[int]:
        return [self.pid, *_children(self.pid)]

    def run(self) -> None:
        while not self.stop.wait(0.5):
            total = sum(_status_mib(p, "VmRSS") for p in self.pids())
            self.peak_sum = max(self.peak_sum, total)

    def hwm_sum(self) -> float:
        return sum(_status_mib(p, "VmHWM") for p in self.pids())

    def cpu_seconds(self) -> float:
        """The CPU time (user and system) the server's processes have used so far: per click,
        what the app costs whatever else the shared machine runs (latency is not)."""
        return sum(self.cpu_by_process().values())

    def cpu_by_process(self) -> dict[int, float]:
        """Each server process's CPU time so far: how evenly the workers shared the work."""
        found = {}
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            found[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return found


def _machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, every core (``/proc/stat``)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(fields) - idle) / tick, sum(fields) / tick


def _postgres_seconds() -> float:
    """CPU seconds used so far by the PostgreSQL server's processes (all databases)."""
    ticks = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        if name.startswith("postgres"):
            fields = stat.rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _own_seconds() -> float:
    usage = os.times()
    return usage.user + usage.system


# --- the people -------------------------------------------------------------------------------


async def _click(
    tally: Tally, kind: str, client: httpx.AsyncClient, method: str, url: str, **kw: object
) -> httpx.Response | None:
    start = time.perf_counter()
    try:
        resp = await client.request(method, url, **kw)  # type: ignore[arg-type]
    except httpx.HTTPError as exc:
        tally.errors[f"{kind}: {type(exc).__name__}"] += 1
        return None
    tally.add(kind, time.perf_counter() - start)
    if resp.status_code == 409:
        tally.conflicts += 1
    elif resp.status_code >= 400:
        tally.errors[f"{kind}: {resp.status_code}"] += 1
    return resp


async def _login(tally: Tally, client: httpx.AsyncClient, person: Person) -> str | None:
    page = await _click(tally, "login", client, "GET", "/login")
    found = _CSRF.search(page.text) if page is not None else None
    if found is None:
        tally.errors["login: no form"] += 1
        return None
    form = {"username": person.username, "password": PASSWORD, "csrf_token": found.group(1)}
    done = await _click(tally, "login", client, "POST", "/login", data=form)
    if done is None or done.status_code != 303:
        tally.errors[f"login: {None if done is None else done.status_code}"] += 1
        return None
    token = await _click(tally, "login", client, "GET", "/session/csrf")
    if token is None or token.status_code != 200:
        return None
    return str(token.json()["csrf_token"])


async def _reporter(
    tally: Tally, client: httpx.AsyncClient, person: Person, csrf: str, rows: list[str], end: float
) -> None:
    base = f"/units/{person.unit}/periods/{PERIOD}"
    versions: dict[str, str] = {}
    n = 0
    while time.monotonic() < end:
        n += 1
        if n % 6 == 1:  # open (or reload) the workspace now and then
            page = await _click(tally, "workspace", client, "GET", base)
            if page is None:
                return
        else:
            code = rows[n % len(rows)]
            form = {
                "status": "in_progress",
                "percent_complete": str(10 + n % 90),
                "version": versions.get(code, "0"),
                "result": f"Đã thực hiện đợt {n}",
                "difficulties": "",
                "proposals": "",
                "evidence": "",
            }
            headers = {"HX-Request": "true", "X-CSRF-Token": csrf}
            resp = await _click(
                tally,
                "save row",
                client,
                "POST",
                f"{base}/tasks/{code}",
                data=form,
                headers=headers,
            )
            found = _VERSION.search(resp.text) if resp is not None else None
            if found:
                versions[code] = found.group(1)
        await asyncio.sleep(random.uniform(*THINK))


async def _coordinator(tally: Tally, client: httpx.AsyncClient, end: float) -> None:
    pages = ["/review", "/completeness", *(f"/review/{u}/{PERIOD}" for u in UNITS)]
    n = 0
    while time.monotonic() < end:
        await _click(tally, "review", client, "GET", pages[n % len(pages)])
        n += 1
        await asyncio.sleep(random.uniform(*THINK))


async def _viewer(tally: Tally, client: httpx.AsyncClient, end: float) -> None:
    n = 0
    while time.monotonic() < end:
        url = "/scores" if n % 3 else f"/scores/units/{UNITS[n % len(UNITS)]}"
        await _click(tally, "dashboard", client, "GET", url, params={"period": "2025-10"})
        n += 1
        await asyncio.sleep(random.uniform(*THINK))


THINK = (2.0, 10.0)

#: One TLS context for every simulated person's client. ``httpx.AsyncClient()`` otherwise builds
#: its own, loading the CA bundle: 23 ms of this process's CPU per person (measured 2026-12-08),
#: 0.2 of the machine's two cores while ten people a second log in during the ramp, taken from
#: the server it measures. The server is plain HTTP on loopback; no handshake ever uses it.
_TLS = ssl.create_default_context()


def _client(base: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base, timeout=60, verify=_TLS)


async def _person(
    base: str, tally: Tally, person: Person, rows: list[str], ramp: float, end: float
) -> None:
    await asyncio.sleep(random.uniform(0, ramp))
    async with _client(base) as client:
        csrf = await _login(tally, client, person)
        if csrf is None:
            return
        if person.role == "reporter":
            await _reporter(tally, client, person, csrf, rows, end)
        elif person.role == "coordinator":
            await _coordinator(tally, client, end)
        else:
            await _viewer(tally, client, end)


async def _baseline(base: str, users: int, seconds: float) -> list[float]:
    """The same number of people and think times, against /healthz."""
    times: list[float] = []
    end = time.monotonic() + seconds

    async def one() -> None:
        async with _client(base) as client:
            await asyncio.sleep(random.uniform(0, THINK[1]))
            while time.monotonic() < end:
                start = time.perf_counter()
                await client.get("/healthz")
                times.append(time.perf_counter() - start)
                await asyncio.sleep(random.uniform(*THINK))

    await asyncio.gather(*(one() for _ in range(users)))
    return times


def _task_rows(base: str, people: list[Person]) -> dict[str, list[list[str]]]:
    """Each reporter's own task rows (so two people rarely save the same row)."""
    out: dict[str, list[list[str]]] = {}
    with httpx.Client(base_url=base, timeout=60) as client:
        for unit in UNITS:
            person = next(p for p in people if p.unit == unit and p.role == "reporter")
            page = client.get("/login")
            csrf = _CSRF.search(page.text)
            assert csrf is not None
            form = {"username": person.username, "password": PASSWORD, "csrf_token": csrf.group(1)}
            assert client.post("/login", data=form).status_code == 303
            html = client.get(f"/units/{unit}/periods/{PERIOD}").text
            codes = list(dict.fromkeys(re.findall(rf"/periods/{PERIOD}/tasks/([^\"/]+)\"", html)))
            mine = [p for p in people if p.unit == unit and p.role == "reporter"]
            out[unit] = [codes[i :: len(mine)] or [codes[i % len(codes)]] for i in range(len(mine))]
            client.post(
                "/logout",
                headers={"X-CSRF-Token": client.get("/session/csrf").json()["csrf_token"]},
            )
            client.cookies.clear()
    return out


def main() -> None:
    global THINK
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60, help="seconds of work after ramp")
    parser.add_argument("--ramp", type=float, default=20, help="seconds over which people log in")
    parser.add_argument("--baseline", type=float, default=20, help="seconds of the /healthz leg")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--server-log", type=Path, help="the server's output (default: dropped)")
    parser.add_argument(
        "--timeline", type=Path, help="write every click (start in s, kind, ms) to this CSV"
    )
    parser.add_argument("--think", type=float, nargs=2, default=[2.0, 10.0], metavar=("MIN", "MAX"))
    args = parser.parse_args()
    THINK = (args.think[0], args.think[1])
    people = _people(args.users)
    url, name = _fresh_database()
    server: subprocess.Popen[bytes] | None = None
    try:
        _prepare(url, people)
        port = _free_port()
        log = args.server_log.open("wb") if args.server_log else subprocess.DEVNULL
        env = {
            **os.environ,
            "PARTRACK_DATABASE_URL": url,
            "PARTRACK_SECRET_KEY": "bench-secret-key-0123456789abcdefghijklmnop",
            "PARTRACK_ENVIRONMENT": "test",
            "PARTRACK_TODAY": TODAY,
            "PARTRACK_PASSWORD_HASH_PROFILE": "owasp_2023",
            "PARTRACK_WORKERS": str(args.workers),
        }
        server = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "partrack"), "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        time.sleep(2)  # every worker up
        watch = MemoryWatch(server.pid)
        watch.start()
        rows = _task_rows(base, people)
        cpu_start = watch.cpu_seconds()
        baseline = asyncio.run(_baseline(base, args.users, args.baseline))
        cpu_baseline = watch.cpu_seconds() - cpu_start
        tally = Tally()
        end = time.monotonic() + args.ramp + args.duration
        index: Counter[str] = Counter()

        async def everyone() -> None:
            jobs = []
            for p in people:
                mine: list[str] = []
                if p.role == "reporter" and p.unit:
                    mine = rows[p.unit][index[p.unit]]
                    index[p.unit] += 1
                jobs.append(_person(base, tally, p, mine, args.ramp, end))
            await asyncio.gather(*jobs)

        started = time.monotonic()
        cpu_start = watch.cpu_seconds()
        each_start = watch.cpu_by_process()
        machine_start, pg_start, own_start = _machine_busy(), _postgres_seconds(), _own_seconds()
        asyncio.run(everyone())
        elapsed = time.monotonic() - started
        cpu_people = watch.cpu_seconds() - cpu_start
        each = {p: t - each_start.get(p, 0.0) for p, t in watch.cpu_by_process().items()}
        machine_end = _machine_busy()
        busy = machine_end[0] - machine_start[0]
        total = machine_end[1] - machine_start[1]
        pg_cpu = _postgres_seconds() - pg_start
        own_cpu = _own_seconds() - own_start
        watch.stop.set()
        watch.join()
        hwm = watch.hwm_sum()
        clicks = tally.clicks()
        logins = tally.latencies.get("login", [])
        p50, p99 = _pct(clicks, 0.5), _pct(clicks, 0.99)
        b50, b99 = _pct(baseline, 0.5), _pct(baseline, 0.99)
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
        print(
            f"{args.users} users ({sum(p.role == 'reporter' for p in people)} reporters, "
            f"{sum(p.role == 'coordinator' for p in people)} coordinators, "
            f"{sum(p.role == 'viewer' for p in people)} leaders), {args.workers} workers, "
            f"PostgreSQL, think {THINK[0]:g}–{THINK[1]:g} s, {elapsed:.0f} s, "
            f"loadavg at the end {load} (the machine's other work)"
        )
        print(
            f"  clicks {len(clicks)} ({len(clicks) / elapsed:.1f}/s): p50 {p50 * 1000:.0f} ms, "
            f"p99 {p99 * 1000:.0f} ms (goal < 1000 ms)"
        )
        ramp_end = started + args.ramp
        if args.timeline:
            args.timeline.write_text(
                "".join(
                    f"{at - started:.3f},{kind},{t * 1000:.1f}\n"
                    for at, kind, t in sorted(tally.timeline)
                )
            )
        clicked = [(at, t) for at, kind, t in tally.timeline if kind != "login"]
        for phase, part in (
            ("during the ramp", [t for at, t in clicked if at < ramp_end]),
            ("after the ramp", [t for at, t in clicked if at >= ramp_end]),
        ):
            print(
                f"    {phase}: {len(part)} clicks, p50 {_pct(part, 0.5) * 1000:.0f} ms, "
                f"p99 {_pct(part, 0.99) * 1000:.0f} ms"
            )
        for kind, values in sorted(tally.latencies.items()):
            print(
                f"    {kind:<10} {len(values):>6}  p50 {_pct(values, 0.5) * 1000:>6.0f} ms  "
                f"p99 {_pct(values, 0.99) * 1000:>6.0f} ms"
            )
        print(
            f"  baseline /healthz, same users and think times: {len(baseline)} requests, "
            f"p50 {b50 * 1000:.1f} ms, p99 {b99 * 1000:.1f} ms; "
            f"ratio p50 {p50 / max(b50, 1e-9):.0f}×, p99 {p99 / max(b99, 1e-9):.0f}×"
        )
        requests = len(clicks) + len(logins)
        per_request = cpu_people / max(requests, 1)
        per_healthz = cpu_baseline / max(len(baseline), 1)
        ratio = per_request / max(per_healthz, 1e-9)
        print(
            f"  server CPU (user + system, all its processes): {cpu_people:.1f} s for "
            f"{requests} requests (clicks and logins), {per_request * 1000:.1f} ms each; "
            f"/healthz {per_healthz * 1000:.2f} ms each (ratio {ratio:.0f}×)"
        )
        print(
            f"  the machine's cores busy {100 * busy / max(total, 1e-9):.0f} % of the run: "
            f"the server {cpu_people:.1f} s, PostgreSQL {pg_cpu:.1f} s, this load generator "
            f"{own_cpu:.1f} s, anything else {busy - cpu_people - pg_cpu - own_cpu:.1f} s "
            f"(of {total:.0f} core-seconds); by server process (supervisor first): "
            + ", ".join(f"{t:.1f} s" for t in each.values())
        )
        print(
            f"  errors {sum(tally.errors.values())} {dict(tally.errors)}; "
            f"write conflicts (409) {tally.conflicts}; logins {len(logins) // 2}, "
            f"median {statistics.median(logins) * 1000 if logins else 0:.0f} ms"
        )
        print(
            f"  server memory: peak of the summed RSS {watch.peak_sum:.0f} MiB, "
            f"sum of the processes' own peaks (VmHWM) {hwm:.0f} MiB"
        )
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        _drop(name)


if __name__ == "__main__":
    main()
