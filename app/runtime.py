"""Process-wide settings of the Python runtime that the server wants.

CPython 3.11 runs a young-generation garbage collection every 700 net allocations of container
objects, and a full one whenever the survivors grow by a quarter. An import allocates a few
objects per cell of every row, and the app keeps some 160,000 long-lived objects (models,
schemas, SQLAlchemy metadata) that every full collection walks again. Measured with
``bench/bulk.py`` on 100,000 readings (SQLite, in process): 24,000 rows/s with the defaults,
38,000–40,000 with the thresholds below. Reference cycles are still collected, only in larger
batches; the memory goal of the million-dossier import holds (README, Speed).
"""

from __future__ import annotations

import gc

#: Young generation after 50,000 allocations; middle after 20 young ones; old after 100 middle.
THRESHOLDS = (50_000, 20, 100)


def tune_gc(enabled: bool = True) -> None:
    """Apply ``THRESHOLDS`` (never lowering one the process already raised)."""
    if not enabled:
        return
    current = gc.get_threshold()
    gc.set_threshold(*(max(a, b) for a, b in zip(current, THRESHOLDS, strict=True)))
