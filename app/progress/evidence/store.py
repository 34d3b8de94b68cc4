"""Where evidence files live: a small protocol, and the disk store used by default.

The service only puts a stream (and gets back a key the store chose), opens a key and deletes
one, so another store (an S3-compatible bucket) can be plugged in by configuration without
touching the rules. Keys never contain anything the user typed.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import IO, Protocol

from app.config import Settings
from app.errors import NotFound


class EvidenceStore(Protocol):
    def put(self, stream: IO[bytes]) -> str:
        """Store the stream (read from where it is to its end) under a new key; return it."""
        ...

    def open(self, key: str) -> IO[bytes]:
        """The stored bytes, for reading (the caller closes it)."""
        ...

    def delete(self, key: str) -> None:
        """Remove the stored bytes; a key already gone is not an error."""
        ...


class DiskStore:
    """Files under one directory, two levels deep (``ab/abcdef…``), written to a temporary name
    in the same directory and renamed into place, so a reader never sees half a file."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if len(key) != 35 or key[2] != "/" or not all(c in "0123456789abcdef/" for c in key):
            raise NotFound("Không tìm thấy tệp minh chứng.", code="evidence_not_found")
        return self.root / key

    def put(self, stream: IO[bytes]) -> str:
        name = secrets.token_hex(16)
        key = f"{name[:2]}/{name}"
        folder = self.root / name[:2]
        folder.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=folder, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(stream, out, 1024 * 1024)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, folder / name)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return key

    def open(self, key: str) -> IO[bytes]:
        try:
            return self._path(key).open("rb")
        except FileNotFoundError:
            raise NotFound("Không tìm thấy tệp minh chứng.", code="evidence_not_found") from None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def store_from_settings(settings: Settings) -> EvidenceStore:
    """The store ``PARTRACK_EVIDENCE_STORE`` names (only ``disk`` for now)."""
    return DiskStore(settings.evidence_dir)
