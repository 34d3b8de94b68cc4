"""A real ``partrack serve --workers N`` for tests, and which worker answered a request.

Which worker answered is read from the kernel, not from the app: the test keeps the request's
connection open, finds the server side of it in ``/proc/net/tcp`` by the client's port, and
looks for that socket among each worker's open files. So the app needs no test-only header.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def worker_pids(parent: int) -> list[int]:
    """The supervisor's worker processes (forked from it; never multiprocessing's resource
    tracker, should a start method that needs one come back)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == parent and b"resource_tracker" not in cmdline:
            found.append(int(entry.name))
    return sorted(found)


def _server_inode(server_port: int, client_port: int) -> str | None:
    """The inode of the server's end of the connection from ``client_port``."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], fields[9]
            if (
                int(local.rsplit(":", 1)[1], 16) == server_port
                and int(remote.rsplit(":", 1)[1], 16) == client_port
            ):
                return inode
    return None


def owner_of(inode: str, pids: list[int]) -> int | None:
    target = f"socket:[{inode}]"
    for pid in pids:
        try:
            fds = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd) == target:
                    return pid
            except OSError:
                continue
    return None


@dataclass
class Served:
    status: int
    headers: httpx.Headers
    body: bytes
    worker: int | None

    def json(self) -> object:
        import json

        return json.loads(self.body)


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workers(self) -> list[int]:
        return worker_pids(self.process.pid)

    def client(self, **kwargs: object) -> httpx.Client:
        """A client that opens a new connection for every request, so the kernel hands each one
        to whichever worker accepts it first."""
        return httpx.Client(
            base_url=self.base_url,
            limits=httpx.Limits(max_keepalive_connections=0),
            timeout=30,
            follow_redirects=False,
            **kwargs,  # type: ignore[arg-type]
        )

    def send(self, client: httpx.Client, method: str, url: str, **kwargs: object) -> Served:
        """One request, and the pid of the worker that answered it (read while it is open)."""
        with client.stream(method, url, **kwargs) as resp:  # type: ignore[arg-type]
            stream = resp.extensions["network_stream"]
            client_port = stream.get_extra_info("client_addr")[1]
            inode = _server_inode(self.port, client_port)
            worker = owner_of(inode, self.workers()) if inode else None
            body = resp.read()
        return Served(resp.status_code, resp.headers, body, worker)


@contextmanager
def serve(database_url: str, *, workers: int = 2, **settings: str) -> Iterator[Server]:
    """``partrack serve --workers N`` on a free port, ready (every worker started) when yielded;
    stopped afterwards. ``settings`` are PARTRACK_* variables without the prefix."""
    from tests.conftest import TEST_SECRET

    port = free_port()
    env = {
        **os.environ,
        "PARTRACK_DATABASE_URL": database_url,
        "PARTRACK_SECRET_KEY": TEST_SECRET,
        "PARTRACK_ENVIRONMENT": "test",
        "PARTRACK_PASSWORD_HASH_PROFILE": "cheapest",
        "PARTRACK_TODAY": "2025-11-20",
        "PARTRACK_GC_TUNING": "false",
        **{f"PARTRACK_{k.upper()}": v for k, v in settings.items()},
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", str(workers)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    server = Server(process, port)
    try:
        wait_ready(server, workers)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_ready(server: Server, workers: int, timeout: float = 60) -> None:
    """Until every worker answers (a worker that has not started yet accepts nothing)."""
    ends = time.monotonic() + timeout
    seen: set[int] = set()
    with server.client() as client:
        while time.monotonic() < ends:
            if server.process.poll() is not None:
                raise RuntimeError(
                    server.process.stderr.read().decode() if server.process.stderr else ""
                )
            try:
                answer = server.send(client, "GET", "/healthz")
            except httpx.HTTPError:
                time.sleep(0.1)
                continue
            if answer.status == 200 and answer.worker is not None:
                seen.add(answer.worker)
            if len(seen) >= workers and len(server.workers()) == workers:
                return
    raise TimeoutError(f"workers not ready: answered {seen}, running {server.workers()}")
