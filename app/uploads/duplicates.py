"""Rows of one file that name the same key: both are refused, even in a partial import.

Found before any row is written, in a pass of its own over the file's keys. The pass keeps
8-byte hashes only (a million rows cost 16 MB, not a dict of strings); only when two hashes meet
does a second pass compare the real keys, so a file without duplicates is read once for them.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise

from app.uploads.errors_report import ROWS_PER_GROUP, RowError


def _digest(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


@dataclass(slots=True)
class DuplicateKey:
    """Rows naming one key: how many, and the first few (a key on 100,000 rows names five)."""

    count: int = 0
    rows: list[int] = field(default_factory=list)


def find_duplicates(
    keyed: Iterator[tuple[int, str | None]], again: Iterator[tuple[int, str | None]]
) -> dict[int, DuplicateKey]:
    """Row → the key it shares with other rows (one object per key, shared by its rows).

    The first pass keeps 8-byte hashes only (a million rows cost 16 MB, not a dict of strings);
    only when two hashes meet does a second pass compare the real keys.
    """
    rows, hashes = array("q"), array("q")
    for number, key in keyed:
        if key is not None:
            rows.append(number)
            hashes.append(_digest(key))
    order = sorted(range(len(hashes)), key=hashes.__getitem__)
    suspects: set[int] = set()
    for a, b in pairwise(order):
        if hashes[a] == hashes[b]:
            suspects.update((rows[a], rows[b]))
    del order, hashes, rows
    if not suspects:
        return {}
    by_key: dict[str, DuplicateKey] = {}
    out: dict[int, DuplicateKey] = {}
    for number, key in again:
        if number in suspects and key is not None:
            found = by_key.get(key)
            if found is None:
                found = by_key[key] = DuplicateKey()
            found.count += 1
            if len(found.rows) < ROWS_PER_GROUP:
                found.rows.append(number)
            out[number] = found
    return {n: d for n, d in out.items() if d.count > 1}


def duplicate_error(row: int, duplicate: DuplicateKey, key_label: str) -> RowError:
    shown = ", ".join(str(n) for n in duplicate.rows)
    more = (
        f" và {duplicate.count - len(duplicate.rows)} dòng khác"
        if duplicate.count > len(duplicate.rows)
        else ""
    )
    return RowError(
        row=row,
        field=key_label,
        code="duplicate_key",
        message=f"{duplicate.count} dòng cùng ghi cho một khóa ({key_label}): dòng {shown}{more}; "
        "hãy giữ lại một dòng.",
    )
