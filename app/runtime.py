"""Process-wide settings of the Python runtime that the server wants, and the lean supervisor
process of ``partrack serve --workers N`` (``python -m app.runtime``; see ``supervise``).

CPython 3.11 runs a young-generation garbage collection every 700 net allocations of container
objects, and a full one whenever the survivors grow by a quarter. An import allocates a few
objects per cell of every row, and the app keeps some 160,000 long-lived objects (models,
schemas, SQLAlchemy metadata) that every full collection walks again. Measured with
``bench/bulk.py`` on 100,000 readings (SQLite, in process): 24,000 rows/s with the defaults,
38,000–40,000 with the thresholds below. Reference cycles are still collected, only in larger
batches; the memory goal of the million-dossier import holds (README, Speed).
"""

from __future__ import annotations

import ctypes
import faulthandler
import gc
import json
import os
import signal
import sys
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from fastapi import FastAPI

#: Young generation after 50,000 allocations; middle after 20 young ones; old after 100 middle.
THRESHOLDS = (50_000, 20, 100)


def tune_gc(enabled: bool = True) -> None:
    """Apply ``THRESHOLDS`` (never lowering one the process already raised)."""
    if not enabled:
        return
    current = gc.get_threshold()
    gc.set_threshold(*(max(a, b) for a, b in zip(current, THRESHOLDS, strict=True)))


# --- the supervisor of ``partrack serve --workers N`` ------------------------------------------

#: The uvicorn options ``partrack serve`` hands to the supervisor it becomes (JSON).
SERVE_OPTIONS_ENV = "PARTRACK_SERVE_OPTIONS"


def become_supervisor(options: dict[str, Any]) -> NoReturn:
    """Replace this process (``partrack serve``, which has loaded typer, pydantic and the
    settings: 40 MiB) by a bare interpreter that runs ``supervise``: about 26 MiB, uvicorn and
    the logging filter only. The process id stays the same, so a service manager or a script
    that started ``partrack serve`` still holds the supervisor."""
    os.environ[SERVE_OPTIONS_ENV] = json.dumps(options)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", "app.runtime"])


def _default_signals() -> None:
    """In a new worker, until uvicorn installs its own handlers (as its event loop starts, before
    it imports the app): the supervisor's handlers, inherited with the fork, only queue a signal
    for the supervisor's loop, so a SIGTERM in that moment would be lost and the supervisor
    would wait for that worker forever. The defaults end it instead."""
    for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"):
        signal.signal(getattr(signal, name), signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    # ``kill -USR1 <worker>`` writes every thread's stack to the server's log, even while the
    # event loop is stuck: how a worker that stops answering is diagnosed in production.
    faulthandler.register(signal.SIGUSR1, all_threads=True)


#: glibc's ``mallopt`` parameters (malloc.h): fixed thresholds also stop glibc from raising them.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: A block this large or larger gets its own mapping, returned to the system when freed.
MMAP_THRESHOLD = 128 * 1024


def _glibc() -> Any:
    """The C library when it is glibc (``mallopt``, ``malloc_trim``), else None (musl, macOS).

    The process's own symbols: ``find_library`` would run ``ldconfig`` in a subprocess."""
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def settle_memory() -> None:
    """After the app is built: free what building it left, and keep large blocks returnable.

    - Building the app leaves garbage in reference cycles (115,000 objects when routes were
      still copied; ``app.routes`` builds each once now); with ``tune_gc``'s thresholds a full
      collection may not come for hours, so it is collected now, and what stays (the app, for
      the worker's whole life) is frozen, so later full collections do not walk it again.
    - glibc raises its mmap threshold to the largest block freed (an argon2 hash's 7 MiB), after
      which such blocks come from the heap and stay there when freed; a fixed threshold keeps
      them in their own mappings, given back when the hash ends. ``malloc_trim`` returns the
      free pages at the top of the heap after the collection.
    Measured with ``bench/logins.py --workers 2``: docs/deployment.md, How many workers.
    """
    gc.collect()
    gc.freeze()
    libc = _glibc()
    if libc is not None:
        libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        libc.mallopt(_M_TRIM_THRESHOLD, MMAP_THRESHOLD)
        libc.malloc_trim(0)


def worker_app() -> FastAPI:
    """A worker's app (``create_app``), its memory settled (``settle_memory``)."""
    from app.main import create_app

    app = create_app()
    settle_memory()
    return app


def supervise() -> None:
    """uvicorn's supervisor, with its workers forked from it rather than spawned.

    uvicorn starts workers with multiprocessing's ``spawn``: each is a fresh interpreter, and
    ``spawn`` also starts multiprocessing's resource tracker, a third process of 13 MiB that has
    nothing to track here. ``fork`` is safe in this supervisor: it runs no thread of its own
    (its loop checks the workers every half second from the main thread) and holds no database
    connection, no app, nothing but uvicorn; each worker then imports the app itself, as with
    ``spawn``. Measured with ``bench/logins.py --workers 2``: see docs/deployment.md.
    """
    import multiprocessing
    import multiprocessing.util

    import uvicorn
    import uvicorn._subprocess

    from app.sipas.access_log import uvicorn_log_config

    options = json.loads(os.environ.pop(SERVE_OPTIONS_ENV))
    # uvicorn keeps its start method in this module variable (uvicorn 0.3x–0.5x).
    uvicorn._subprocess.spawn = multiprocessing.get_context("fork")  # type: ignore[assignment]
    multiprocessing.util.register_after_fork(signal, lambda _module: _default_signals())
    uvicorn.run(
        "app.runtime:worker_app",
        factory=True,
        log_config=uvicorn_log_config(),  # survey lines without codes or addresses
        **options,
    )


if __name__ == "__main__":
    supervise()
