"""The period lock stays a low-level module: readings, progress and the imports ask it before
they write, so it may import only models and the core, never a service (the reporting service
builds on the readings, and asking it from there would close a cycle)."""

from __future__ import annotations

import subprocess
import sys


def test_the_lock_loads_no_service() -> None:
    """Imported alone, in a fresh interpreter, the lock brings no service module with it."""
    code = (
        "import sys, app.submissions.lock\n"
        "print('\\n'.join(m for m in sys.modules if m.startswith('app.')))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert "app.submissions.lock" in loaded
    services = [
        m for m in loaded if m.rsplit(".", 1)[-1] in {"service", "services", "api", "pages"}
    ]
    assert not services, f"the period lock pulls in {services}"
    assert "app.reporting.service" not in loaded and "app.reporting.transitions" not in loaded
