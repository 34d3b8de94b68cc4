"""Each worker runs at most ``request_threads`` plain routes at once, fewer than its database
pool lends connections, so under overload a request waits for a thread and never times out
waiting for a connection (app/runtime.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import anyio.to_thread

from app.runtime import lifespan


def test_the_worker_s_thread_limit_comes_from_the_settings(app_factory: Any) -> None:
    app = app_factory(request_threads=7)

    async def inside() -> tuple[int, int]:
        before = anyio.to_thread.current_default_thread_limiter().total_tokens
        async with lifespan(app):
            return before, anyio.to_thread.current_default_thread_limiter().total_tokens

    before, during = asyncio.run(inside())
    assert (before, during) == (40, 7)
    assert app_factory().state.settings.request_threads == 12
