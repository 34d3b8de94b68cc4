"""Each worker runs at most ``request_threads`` plain routes at once, fewer than its database
pool lends connections, so under overload a request waits for a thread and never times out
waiting for a connection (app/runtime.py)."""

from __future__ import annotations

from typing import Any

import anyio.to_thread

from app.runtime import lifespan
from tests.integration.test_upload_limits import in_own_loop


@in_own_loop
async def test_the_worker_s_thread_limit_comes_from_the_settings(app_factory: Any) -> None:
    app = app_factory(request_threads=7)
    async with lifespan(app):
        assert anyio.to_thread.current_default_thread_limiter().total_tokens == 7
    assert app_factory().state.settings.request_threads == 12  # below the pool's 15
