"""The argon2 pool is sized for the whole server: its workers share the CPUs and the budget.

Each ``partrack serve`` worker has its own pool; sized for the whole machine each, two workers
ran twice the hashes side by side and held twice their memory (issue #17: 522 MiB for 200
logins on two workers).
"""

from __future__ import annotations

import os
import sys
import threading

import pytest

from app.accounts import passwords
from app.accounts.passwords import OWASP_2023, default_workers

PER_HASH_MIB = OWASP_2023.memory_cost // 1024


@pytest.mark.parametrize("processes", [1, 2, 3, 8])
def test_the_workers_together_run_no_more_hashes_than_the_cpus_and_the_budget_allow(
    processes: int,
) -> None:
    cpus = os.cpu_count() or 1
    each = default_workers(128, "owasp_2023", processes)
    assert each >= 1, "every worker can still log someone in"
    if processes <= cpus:
        assert each * processes <= cpus
    if processes <= 128 // PER_HASH_MIB:
        assert each * processes * PER_HASH_MIB <= 128


def test_a_small_budget_still_leaves_one_hash_per_worker() -> None:
    assert default_workers(1, "owasp_2023", 4) == 1


def test_one_process_uses_one_hash_per_cpu_within_the_budget() -> None:
    cpus = os.cpu_count() or 1
    assert default_workers(10_000, "owasp_2023") == cpus
    assert default_workers(2 * PER_HASH_MIB, "owasp_2023") == min(cpus, 2)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_hashing_threads_run_at_a_lower_priority_than_the_server() -> None:
    """A hash waits for the cores behind the clicks of people already signed in, not the
    other way round; the server's own threads keep their priority."""

    def own_priority() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    server = own_priority()
    hashing = passwords._pool.submit(own_priority).result()
    assert hashing == min(19, server + passwords.HASH_NICENESS)
    assert own_priority() == server, "the calling thread keeps its priority"
    assert os.getpriority(os.PRIO_PROCESS, 0) == server, "so does the process"
    # and the threads still hash: a login through the pool verifies
    digest = passwords.hash_password("mật khẩu thử")
    assert passwords.verify_password(digest, "mật khẩu thử")
