"""Password hashing with argon2 (argon2-cffi); the parameters are a setting, the hash records them.

A hash made with older parameters still verifies; ``needs_rehash`` tells the login to upgrade it.

Every hash and verification runs on one small process-wide pool of threads (``configure``), so
memory is bounded by ``workers × memory_cost`` however many people log in at once: 200
simultaneous logins used to run 40 hashes of 64 MiB side by side (1.08 GB). Logins wait for the
pool without holding a server thread (``verify_password_async``); beyond ``queue_limit`` waiting
ones, or after ``wait_seconds``, they are refused quickly with ``HashingBusy`` (503,
``Retry-After``) instead of piling up.

The hashing threads run at a lower CPU priority than the rest of the server (``HASH_NICENESS``):
a hash is 15–20 ms of pure CPU that nobody watches happen, while people already signed in wait
for every click. When the cores are full (ten people a second logging in on top of two hundred
at work, or a flood of wrong passwords) the kernel serves the clicks first, and a login waits a
little longer instead of every click.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from argon2 import Parameters, PasswordHasher, Type, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from app.errors import AppError

T = TypeVar("T")

#: OWASP's argon2id recommendation (Password Storage Cheat Sheet, 2023): of its five settings
#: that "provide an equal level of defense" (47 MiB × 1 pass, 19 × 2, 12 × 3, 9 × 4, 7 × 5, all
#: 1 lane), the one with the least memory. Its cost to an attacker is the same, memory × passes
#: (35 MiB·passes against 38 for 19 × 2, the same hashing time here: 14 ms against 17), and a
#: server that hashes one password per worker at a time holds 7 MiB instead of 19 while it
#: does (issue #17: 200 logins within 300 MB). Hashes made with 19 MiB × 2 until December 2026
#: still verify (the hash records its parameters) and are redone with these at the next login
#: (``needs_rehash``).
OWASP_2023 = Parameters(
    type=Type.ID,
    version=19,
    salt_len=16,
    hash_len=32,
    time_cost=5,
    memory_cost=7 * 1024,
    parallelism=1,
)

#: The profile before December 2026 (OWASP's 19 MiB × 2 passes), kept to verify and for tests.
OWASP_2023_19MIB = Parameters(
    type=Type.ID,
    version=19,
    salt_len=16,
    hash_len=32,
    time_cost=2,
    memory_cost=19 * 1024,
    parallelism=1,
)

_PROFILES: dict[str, Parameters] = {
    "owasp_2023": OWASP_2023,
    "rfc9106_low_memory": profiles.RFC_9106_LOW_MEMORY,
    "rfc9106_high_memory": profiles.RFC_9106_HIGH_MEMORY,
    "cheapest": profiles.CHEAPEST,
}

_hasher = PasswordHasher.from_parameters(OWASP_2023)

#: Verified against when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("partrack-dummy-password")


class HashingBusy(AppError):
    """Too many logins are already waiting for the hashing pool: try again in a moment."""

    def __init__(self, retry_after_seconds: int = 5) -> None:
        super().__init__(
            message="Hệ thống đang có quá nhiều lượt đăng nhập cùng lúc. "
            f"Hãy thử lại sau {retry_after_seconds} giây.",
            code="login_busy",
            status_code=503,
            headers={"Retry-After": str(retry_after_seconds)},
        )


#: How much less CPU priority a hashing thread has than the server's other threads (Linux's
#: nice, per thread). At 10 a busy hash gets about a tenth of a core that a request also wants,
#: and all of any core left idle: logins still finish while the machine is saturated.
HASH_NICENESS = 10


def _lower_priority() -> None:
    """Each hashing thread's first act: lower its own priority. Linux only: there a thread is
    a task with its own nice value (``setpriority`` on the thread's id); elsewhere the same call
    would lower the whole server's priority, so other systems keep one priority for all."""
    if not sys.platform.startswith("linux"):
        return
    try:
        tid = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, min(19, current + HASH_NICENESS))
    except OSError:  # a sandbox without setpriority: hashing at the server's priority
        pass


class _Pool:
    """The hashing threads, and how many jobs are queued or running on them."""

    def __init__(self, workers: int, queue_limit: int, wait_seconds: float) -> None:
        self.workers = workers
        self.queue_limit = queue_limit
        self.wait_seconds = wait_seconds
        self.executor = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="argon2", initializer=_lower_priority
        )
        self._lock = threading.Lock()
        self.pending = 0
        self.peak_pending = 0

    def submit(self, fn: Callable[..., T], *args: object) -> Future[T]:
        with self._lock:
            if self.pending >= self.workers + self.queue_limit:
                raise HashingBusy()
            self.pending += 1
            self.peak_pending = max(self.peak_pending, self.pending)
        future = self.executor.submit(fn, *args)
        future.add_done_callback(self._done)
        return future

    def _done(self, _future: Future[Any]) -> None:
        with self._lock:
            self.pending -= 1


def default_workers(memory_budget_mib: int, profile: str, processes: int = 1) -> int:
    """One hash per CPU, but never more side by side than the memory budget holds.

    CPUs and budget are the server's, shared by its ``processes`` (``--workers``): each worker
    has its own pool, so two workers sized for the whole machine ran twice the hashes and held
    twice the memory (200 logins on two workers: 522 MiB, issue #17). A hash is pure CPU: more
    threads than CPUs only add a hash's memory each without finishing the queue sooner
    (measured: the same median with one thread per worker as with two, 32 MiB less peak per
    worker)."""
    per_hash_mib = max(1, _PROFILES[profile].memory_cost // 1024)
    processes = max(1, processes)
    cpus = (os.cpu_count() or 1) // processes
    return max(1, min(cpus, memory_budget_mib // processes // per_hash_mib))


_pool = _Pool(workers=default_workers(128, "owasp_2023"), queue_limit=256, wait_seconds=30.0)


def configure(*, workers: int, queue_limit: int, wait_seconds: float) -> None:
    """Size the process-wide pool (the app factory calls this from the settings)."""
    global _pool
    if (workers, queue_limit, wait_seconds) == (
        _pool.workers,
        _pool.queue_limit,
        _pool.wait_seconds,
    ):
        return
    old, _pool = _pool, _Pool(workers, queue_limit, wait_seconds)
    old.executor.shutdown(wait=False)


def pool_stats() -> dict[str, int]:
    return {"workers": _pool.workers, "pending": _pool.pending, "peak_pending": _pool.peak_pending}


def use_profile(name: str) -> None:
    """Switch the parameters new hashes use (the app factory calls this from the settings)."""
    global _hasher, _DUMMY_HASH
    wanted = _PROFILES[name]
    if (_hasher.time_cost, _hasher.memory_cost, _hasher.parallelism) == (
        wanted.time_cost,
        wanted.memory_cost,
        wanted.parallelism,
    ):
        return
    _hasher = PasswordHasher.from_parameters(_PROFILES[name])
    _DUMMY_HASH = _hasher.hash("partrack-dummy-password")


def _hash(password: str) -> str:
    return _hasher.hash(password)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def hash_password(password: str) -> str:
    return _pool.submit(_hash, password).result()


def verify_password(password_hash: str | None, password: str) -> bool:
    """Blocking check, for code already on a worker thread (password change, CLI)."""
    return _pool.submit(_verify, password_hash or "", password).result()


def _guarded_verify(
    guard: Callable[[Callable[[], bool]], bool] | None, password_hash: str, password: str
) -> bool:
    def check() -> bool:
        return _verify(password_hash, password)

    return check() if guard is None else guard(check)


async def verify_password_async(
    password_hash: str | None,
    password: str,
    *,
    guard: Callable[[Callable[[], bool]], bool] | None = None,
) -> bool:
    """The login's check: waits for a hashing thread without holding one of the server's.

    ``guard`` runs the check on the hashing thread and may refuse it (raise) or act on its
    result: the login throttle counts an address's hashes there, so that what it counts is what
    runs, not what waits in the queue.
    """
    future = _pool.submit(_guarded_verify, guard, password_hash or "", password)
    try:
        return await asyncio.wait_for(asyncio.wrap_future(future), timeout=_pool.wait_seconds)
    except TimeoutError:
        future.cancel()
        raise HashingBusy() from None


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
