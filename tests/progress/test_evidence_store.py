"""The evidence stores against one contract, the disk and a real S3 server (moto's, on this
machine's loopback: nothing reaches AWS), and the bucket store behind the API and the page."""

from __future__ import annotations

import io
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from moto.server import ThreadedMotoServer
from pydantic import SecretStr, ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.clock import FixedClock
from app.config import Settings
from app.errors import NotFound
from app.progress.evidence.models import EvidenceItem
from app.progress.evidence.store import (
    DiskStore,
    EvidenceStore,
    store_from_settings,
)
from app.progress.evidence.store_s3 import S3Store
from tests.accounts.test_pages import hidden, login
from tests.conftest import make_token, make_user
from tests.progress.evidence_helpers import PDF, TASK

BUCKET = "minh-chung-phuong"
FAKE_KEYS = {
    "evidence_s3_access_key_id": "khoa-thu",
    "evidence_s3_secret_access_key": SecretStr("bi-mat-thu"),
    "evidence_s3_region": "us-east-1",
}
URL = f"/api/v1/units/ttpvhcc/periods/2025-10/tasks/{TASK}/evidence"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server on a free loopback port, with the test bucket made."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="khoa-thu",
            aws_secret_access_key="bi-mat-thu",
        ).create_bucket(Bucket=BUCKET)
        yield endpoint
    finally:
        server.stop()


def s3_settings(settings: Settings, endpoint: str, **more: object) -> dict[str, object]:
    return {
        "evidence_store": "s3",
        "evidence_s3_bucket": BUCKET,
        "evidence_s3_endpoint_url": endpoint,
        **FAKE_KEYS,
        **more,
    }


@pytest.fixture(params=["disk", "s3"])
def store(request: pytest.FixtureRequest, settings: Settings, tmp_path: Path) -> EvidenceStore:
    if request.param == "disk":
        return store_from_settings(settings.model_copy(update={"evidence_dir": tmp_path}))
    endpoint = request.getfixturevalue("s3_endpoint")
    return store_from_settings(settings.model_copy(update=s3_settings(settings, endpoint)))


def test_a_store_keeps_opens_and_deletes_files(store: EvidenceStore) -> None:
    big = PDF + bytes(range(256)) * 4096  # a megabyte: read back in several blocks
    with tempfile.SpooledTemporaryFile(max_size=1024) as spool:  # what the service hands over
        spool.write(big)
        spool.seek(0)
        first = store.put(spool)
    second = store.put(io.BytesIO(PDF))
    assert first != second and len(first) == 35 and first[2] == "/"
    with store.open(first) as stream:
        assert stream.read(5) == b"%PDF-"
        assert stream.read() == big[5:]
    with store.open(second) as stream:
        assert stream.read() == PDF
    store.delete(first)
    with pytest.raises(NotFound) as gone:
        store.open(first)
    assert gone.value.code == "evidence_not_found"
    store.delete(first)  # twice: not an error
    with pytest.raises(NotFound):
        store.open("../../etc/passwd")  # a key the store never made names nothing
    with store.open(second) as stream:
        assert stream.read() == PDF  # the other file is untouched


def test_the_bucket_holds_objects_under_the_prefix_with_the_disk_layout(
    settings: Settings, s3_endpoint: str
) -> None:
    overrides = s3_settings(settings, s3_endpoint, evidence_s3_prefix="phuong-phu-dinh/mc/")
    store = store_from_settings(settings.model_copy(update=overrides))
    assert isinstance(store, S3Store)
    key = store.put(io.BytesIO(PDF))
    body = store.client.get_object(Bucket=BUCKET, Key=f"phuong-phu-dinh/mc/{key}")["Body"]
    assert body.read() == PDF
    store.delete(key)


def test_the_bucket_store_is_built_once_per_settings(settings: Settings, s3_endpoint: str) -> None:
    configured = settings.model_copy(update=s3_settings(settings, s3_endpoint))
    assert store_from_settings(configured) is store_from_settings(configured)
    other = configured.model_copy()
    assert store_from_settings(other) is not store_from_settings(configured)
    assert isinstance(store_from_settings(settings), DiskStore)


def test_an_s3_store_needs_a_bucket_and_both_halves_of_a_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PARTRACK_EVIDENCE_STORE", "s3")
    monkeypatch.setenv("PARTRACK_EVIDENCE_S3_BUCKET", BUCKET)
    monkeypatch.setenv("PARTRACK_EVIDENCE_S3_SECRET_ACCESS_KEY", "bi-mat-thu")
    monkeypatch.setenv("PARTRACK_EVIDENCE_S3_ACCESS_KEY_ID", "khoa-thu")
    from_env = Settings(_env_file=None)  # type: ignore[call-arg]
    assert from_env.evidence_store == "s3" and from_env.evidence_s3_prefix == "evidence/"
    assert "bi-mat-thu" not in repr(from_env)  # the secret never shows in logs
    for name in ("BUCKET", "SECRET_ACCESS_KEY", "ACCESS_KEY_ID"):
        monkeypatch.delenv(f"PARTRACK_EVIDENCE_S3_{name}")
    with pytest.raises(ValidationError, match="PARTRACK_EVIDENCE_S3_BUCKET"):
        Settings(evidence_store="s3", _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="set together"):
        Settings(  # type: ignore[call-arg]
            evidence_store="s3",
            evidence_s3_bucket=BUCKET,
            evidence_s3_access_key_id="khoa-thu",
            _env_file=None,
        )
    with pytest.raises(ValidationError):
        Settings(evidence_store="ftp", _env_file=None)  # type: ignore[call-arg]


def reporter_headers(engine: Engine, clock: FixedClock) -> dict[str, str]:
    token = make_token(engine, clock, username="bc.ttpv", role="reporter", unit="ttpvhcc")
    return {"Authorization": f"Bearer {token}"}


def test_a_pdf_goes_to_the_bucket_and_comes_back_byte_for_byte(
    app_factory, settings: Settings, s3_endpoint: str, seeded: Session, clean_db: Engine, clock
) -> None:
    app: FastAPI = app_factory(**s3_settings(settings, s3_endpoint))
    own = reporter_headers(clean_db, clock)
    report = PDF + "Báo cáo kết quả giải ngân quý IV".encode() * 5000
    with TestClient(app, headers=own) as api:
        resp = api.post(
            URL,
            files={"file": ("Báo cáo giải ngân.pdf", report, "application/pdf")},
            data={"note": "Báo cáo số 45/BC-UBND"},
        )
        assert resp.status_code == 201, resp.text
        item = resp.json()
        storage_key = clean_db_key(clean_db, item["key"])
        objects = store_from_settings(app.state.settings).client.get_object(  # type: ignore[attr-defined]
            Bucket=BUCKET, Key=f"evidence/{storage_key}"
        )
        assert objects["Body"].read() == report  # it is in the bucket, not on disk
        assert not (settings.evidence_dir / storage_key).exists()

        download = api.get(item["download_url"])
        assert download.status_code == 200 and download.content == report
        assert download.headers["content-length"] == str(len(report))

        assert api.delete(f"/api/v1/evidence/{item['key']}").status_code == 204
        assert api.get(item["download_url"]).status_code == 404
        with pytest.raises(NotFound):
            store_from_settings(app.state.settings).open(storage_key)


def clean_db_key(engine: Engine, public_key: str) -> str:
    with Session(engine) as session:
        row = session.exec(select(EvidenceItem).where(EvidenceItem.public_key == public_key)).one()
        return row.storage_key


def test_an_unreachable_bucket_is_a_clear_503_not_a_500(
    app_factory, settings: Settings, s3_endpoint: str, seeded: Session, clean_db: Engine, clock
) -> None:
    own = reporter_headers(clean_db, clock)
    with TestClient(app_factory(**s3_settings(settings, s3_endpoint)), headers=own) as api:
        kept = api.post(URL, files={"file": ("Kế hoạch.pdf", PDF, "application/pdf")}).json()

    nothing_there = f"http://127.0.0.1:{free_port()}"
    down = app_factory(**s3_settings(settings, nothing_there))
    with TestClient(down, headers=own) as api:
        resp = api.post(URL, files={"file": ("Quyết định 12.pdf", PDF, "application/pdf")})
        assert resp.status_code == 503, resp.text
        assert resp.headers["retry-after"] == "30"
        detail = resp.json()["detail"]
        assert detail["code"] == "evidence_store_unavailable"
        assert detail["message"] == (
            "Kho lưu minh chứng tạm thời không truy cập được; hãy thử lại sau."
        )
        assert [i["key"] for i in api.get(URL).json()] == [kept["key"]]  # no row for it

        download = api.get(kept["download_url"])
        assert download.status_code == 503
        assert download.json()["detail"]["code"] == "evidence_store_unavailable"

        # Removing still removes the item: its bytes stay behind in the bucket, logged.
        assert api.delete(f"/api/v1/evidence/{kept['key']}").status_code == 204
        assert api.get(URL).json() == []


def test_the_page_shows_the_store_message_in_the_evidence_part(
    app_factory, settings: Settings, seeded: Session, clean_db: Engine, clock
) -> None:
    down = app_factory(**s3_settings(settings, f"http://127.0.0.1:{free_port()}"))
    make_user(clean_db, clock, username="bc.ttpv", role="reporter", unit="ttpvhcc")
    page = "/units/ttpvhcc/periods/2025-10"
    with TestClient(down) as browser:
        assert login(browser, "bc.ttpv").status_code == 303
        csrf = hidden(browser.get(page).text, "csrf_token")
        resp = browser.post(
            f"{page}/tasks/{TASK}/evidence",
            data={"csrf_token": csrf},
            files={"file": ("Kế hoạch giải ngân.pdf", PDF, "application/pdf")},
            headers={"HX-Request": "true", "HX-Request-Type": "partial"},
        )
    assert resp.status_code == 503
    assert 'id="ev-task-II-1-6-1"' in resp.text
    assert "Kho lưu minh chứng tạm thời không truy cập được; hãy thử lại sau." in resp.text
