"""Telling every worker on PostgreSQL at once that credentials changed (``LISTEN``/``NOTIFY``).

A write that evicts cached credentials in its own process (``credential_cache``) also sends
``NOTIFY partrack_credentials`` naming the users, in its own transaction: PostgreSQL delivers it
when, and only if, the transaction commits. Each worker listens on one connection of its own,
on a daemon thread, and evicts what it is told. That shortens the window of a revocation,
logout or deactivation on the other workers from ``TTL_SECONDS`` to the time a notification
takes (milliseconds). While the listening connection is down (a restart of the server) the
window is ``TTL_SECONDS`` again, and everything is evicted when it is back. SQLite has no such
channel: there the window stays ``TTL_SECONDS``.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.engine import Engine

from app.accounts.credential_cache import CHANNEL, evict_everywhere

_log = logging.getLogger(__name__)
_listeners: dict[str, Listener] = {}
_lock = threading.Lock()


def parse(text: str) -> set[int] | None:
    """The users a notification names (``credential_cache.notify``); ``None`` for everyone."""
    if text == "*":
        return None
    try:
        return {int(part) for part in text.split(",") if part}
    except ValueError:
        return None  # not ours to read: evict everything rather than miss something


class Listener:
    """One per process and database: a thread that evicts what other processes changed."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self.listening = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="partrack-credential-events", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        import psycopg  # a PostgreSQL engine's listener only: SQLite processes never load it

        backoff = 0.5
        while True:
            try:
                with psycopg.connect(self.conninfo, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    evict_everywhere(None)  # whatever changed while nobody listened
                    self.listening.set()
                    backoff = 0.5
                    for note in conn.notifies():
                        evict_everywhere(parse(note.payload))
            except psycopg.Error as error:
                _log.debug("credential events: %s; retrying in %.1f s", error, backoff)
            self.listening.clear()
            evict_everywhere(None)
            threading.Event().wait(backoff)
            backoff = min(backoff * 2, 30.0)


def listen(engine: Engine) -> Listener | None:
    """Start (once per database and process) the listener of a PostgreSQL engine."""
    if engine.dialect.name != "postgresql":
        return None
    url = engine.url.set(drivername="postgresql")
    conninfo = url.render_as_string(hide_password=False)
    with _lock:
        found = _listeners.get(conninfo)
        if found is None:
            found = _listeners[conninfo] = Listener(conninfo)
            found.start()
    return found
