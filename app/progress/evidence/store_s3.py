"""Evidence files in an S3-compatible bucket (AWS S3, MinIO, Ceph, a provider's object storage).

Chosen with ``PARTRACK_EVIDENCE_STORE=s3``; boto3 comes with the ``s3`` extra and is imported
only here, so a server on the disk store does not need it. Keys have the disk store's layout
(``ab/ab…``, 32 random hex digits) and the object's name is the configured prefix plus the key,
so a disk store's directory copied under the prefix is a working bucket store.

A bucket that cannot be reached, refuses our credentials or does not exist answers
``EvidenceStoreUnavailable`` (503 with ``Retry-After``, a Vietnamese message) instead of a bug's
500; the cause is logged for the operator. A missing object is ``NotFound`` as on disk.
"""

from __future__ import annotations

import io
import logging
import secrets
from typing import IO, Any

import boto3
from boto3.exceptions import Boto3Error
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from app.config import Settings
from app.progress.evidence.store import EvidenceStoreUnavailable, evidence_not_found, valid_key

log = logging.getLogger(__name__)

_BUCKET_ERRORS = (BotoCoreError, ClientError, Boto3Error)
_MISSING = {"NoSuchKey", "404", "NotFound"}
# Files are at most tens of megabytes: one part up to 64 MB, no upload threads of its own (the
# request already runs in a worker thread, and the spool is read front to back).
_TRANSFER = TransferConfig(multipart_threshold=64 * 1024 * 1024, use_threads=False)
_READ_BUFFER = 64 * 1024


class _Body(io.RawIOBase):
    """botocore's ``StreamingBody`` as a raw stream, so ``io.BufferedReader`` can give the caller
    an ordinary binary file (``read``, ``close``, ``with``) without holding the object in memory."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._body.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


class S3Store:
    """One bucket and prefix through one boto3 client (thread-safe; built once per settings)."""

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    def _name(self, key: str) -> str:
        if not valid_key(key):
            raise evidence_not_found()
        return self.prefix + key

    def _unavailable(self, action: str, key: str, exc: Exception) -> EvidenceStoreUnavailable:
        log.error(
            "evidence bucket %s refused or unreachable on %s of %s: %r",
            self.bucket,
            action,
            self.prefix + key,
            exc,
        )
        return EvidenceStoreUnavailable()

    def put(self, stream: IO[bytes]) -> str:
        name = secrets.token_hex(16)
        key = f"{name[:2]}/{name}"
        try:
            self.client.upload_fileobj(stream, self.bucket, self.prefix + key, Config=_TRANSFER)
        except _BUCKET_ERRORS as exc:
            raise self._unavailable("put", key, exc) from None
        return key

    def open(self, key: str) -> IO[bytes]:
        """The object as a buffered stream read from the bucket as the caller reads (bounded
        memory, first bytes at once); a connection lost halfway cuts the download short, which
        the client sees against ``Content-Length``."""
        name = self._name(key)
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=name)
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code", "")) in _MISSING:
                raise evidence_not_found() from None
            raise self._unavailable("open", key, exc) from None
        except _BUCKET_ERRORS as exc:
            raise self._unavailable("open", key, exc) from None
        return io.BufferedReader(_Body(answer["Body"]), buffer_size=_READ_BUFFER)

    def delete(self, key: str) -> None:
        name = self._name(key)
        try:
            self.client.delete_object(Bucket=self.bucket, Key=name)  # S3: gone already is 204
        except _BUCKET_ERRORS as exc:
            raise self._unavailable("delete", key, exc) from None


def client_from_settings(settings: Settings) -> Any:
    """A boto3 S3 client for the settings: bounded timeouts and one retry, so a dead bucket
    answers the officer within seconds instead of holding a worker thread."""
    style = settings.evidence_s3_addressing_style
    if style == "auto" and settings.evidence_s3_endpoint_url:
        style = "path"
    secret = settings.evidence_s3_secret_access_key.get_secret_value()
    session = boto3.session.Session()
    return session.client(
        "s3",
        endpoint_url=settings.evidence_s3_endpoint_url or None,
        region_name=settings.evidence_s3_region or None,
        aws_access_key_id=settings.evidence_s3_access_key_id or None,
        aws_secret_access_key=secret or None,
        config=Config(
            connect_timeout=5,
            read_timeout=30,
            retries={"max_attempts": 2, "mode": "standard"},
            s3={"addressing_style": style},
            signature_version="s3v4",
        ),
    )


def s3_store_from_settings(settings: Settings) -> S3Store:
    return S3Store(
        client_from_settings(settings),
        bucket=settings.evidence_s3_bucket.strip(),
        prefix=settings.evidence_s3_prefix,
    )
