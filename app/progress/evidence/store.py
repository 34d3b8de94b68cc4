"""Where evidence files live: a small protocol, and the disk store used by default.

The service only puts a stream (and gets back a key the store chose), opens a key and deletes
one, so another store — an S3-compatible bucket, ``store_s3.py`` — is plugged in by configuration
without touching the rules. Keys never contain anything the user typed.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import threading
import weakref
from pathlib import Path
from typing import IO, Protocol

from app.config import Settings
from app.errors import NotFound, ServiceUnavailable


class EvidenceStoreUnavailable(ServiceUnavailable):
    """The store cannot be reached or refuses us (a bucket down, wrong credentials): 503 with
    ``Retry-After``, never a bug's 500; nothing was kept and the officer may try again."""

    def __init__(self) -> None:
        super().__init__(
            "Kho lưu minh chứng tạm thời không truy cập được; hãy thử lại sau.",
            code="evidence_store_unavailable",
            retry_after_seconds=30,
        )


def evidence_not_found() -> NotFound:
    return NotFound("Không tìm thấy tệp minh chứng.", code="evidence_not_found")


def valid_key(key: str) -> bool:
    """A key as the stores make them (``ab/`` and 32 hex digits): a stored row that was altered
    can never name a path or an object outside the store."""
    return len(key) == 35 and key[2] == "/" and all(c in "0123456789abcdef/" for c in key)


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
        if not valid_key(key):
            raise evidence_not_found()
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
            raise evidence_not_found() from None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


_bucket_stores: dict[int, tuple[weakref.ref[Settings], EvidenceStore]] = {}
_bucket_lock = threading.Lock()


def store_from_settings(settings: Settings) -> EvidenceStore:
    """The store ``PARTRACK_EVIDENCE_STORE`` names. The bucket store (and its boto3 client, whose
    connection pool and credential lookup are worth keeping) is built once per settings object,
    not per request; the disk store costs nothing to build."""
    if settings.evidence_store != "s3":
        return DiskStore(settings.evidence_dir)
    with _bucket_lock:
        cached = _bucket_stores.get(id(settings))
        if cached is not None and cached[0]() is settings:
            return cached[1]
        from app.progress.evidence.store_s3 import s3_store_from_settings

        store = s3_store_from_settings(settings)
        for stale in [k for k, (ref, _) in _bucket_stores.items() if ref() is None]:
            del _bucket_stores[stale]
        _bucket_stores[id(settings)] = (weakref.ref(settings), store)
        return store
