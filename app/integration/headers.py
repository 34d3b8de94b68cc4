"""Which column of a file is which of our fields: the contract a mapping profile fulfils.

The import runner matches headers by itself for partrack's own files; another system's export
comes with a profile that names its columns, the ones to leave out, and how its values become
ours. Both sides type against this protocol so neither needs the other's code.
"""

from __future__ import annotations

from typing import Protocol


class RowProfile(Protocol):
    """A source system's way of writing rows, as the runner applies it."""

    def header_map(self, headers: list[str]) -> tuple[dict[str, str], list[str]]:
        """File header → our field name, and the headers deliberately left out."""
        ...

    def transform(self, values: dict[str, object]) -> dict[str, object]:
        """A row keyed by our field names → values our row parsers accept; raises ``Invalid``."""
        ...
