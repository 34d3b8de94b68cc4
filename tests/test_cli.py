"""The ``partrack`` command: accounts and tokens from the shell, with the same rules and audit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.cli import app as cli
from app.config import get_settings


@pytest.fixture
def run(database_url: str, seeded: Session, monkeypatch: pytest.MonkeyPatch) -> Iterator:
    monkeypatch.setenv("PARTRACK_DATABASE_URL", database_url)
    monkeypatch.setenv("PARTRACK_PASSWORD_HASH_PROFILE", "cheapest")
    monkeypatch.delenv("PARTRACK_ADMIN_PASSWORD", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()

    def invoke(*args: str, stdin: str | None = None):
        return runner.invoke(cli, list(args), input=stdin)

    yield invoke
    get_settings.cache_clear()


def test_user_create_reads_the_password_from_stdin(run, seeded: Session) -> None:
    result = run(
        "user",
        "create",
        "--username",
        "nguyen.van.a",
        "--full-name",
        "Nguyễn Văn A",
        "--role",
        "reporter",
        "--unit",
        "vp",
        "--password-stdin",
        stdin="mat-khau-tam-2025\n",
    )
    assert result.exit_code == 0, result.output
    user = seeded.exec(select(User).where(User.username == "nguyen.van.a")).one()
    assert user.role == "reporter" and user.must_change_password
    event = seeded.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc())).first()
    assert (event.entity, event.action, event.via, event.actor_username) == (
        "user",
        "create",
        "cli",
        "system",
    )


def test_user_create_refuses_bad_input_with_the_reason(run, seeded: Session) -> None:
    result = run(
        "user",
        "create",
        "--username",
        "x.y.z",
        "--full-name",
        "X",
        "--role",
        "reporter",
        "--password-stdin",
        stdin="ngan\n",
    )
    assert result.exit_code == 1
    assert "ít nhất 10 ký tự" in result.output
    assert seeded.exec(select(User)).first() is None


def test_ensure_admin_creates_one_admin_once(run, seeded: Session) -> None:
    first = run("user", "ensure-admin")
    assert first.exit_code == 0, first.output
    assert "mật khẩu tạm" in first.output
    admin = seeded.exec(select(User).where(User.username == "admin")).one()
    assert admin.role == "admin" and admin.must_change_password
    second = run("user", "ensure-admin")
    assert second.exit_code == 0 and second.output == ""


def test_ensure_admin_takes_the_password_from_the_environment(
    run, seeded: Session, monkeypatch: pytest.MonkeyPatch, anon: TestClient
) -> None:
    monkeypatch.setenv("PARTRACK_ADMIN_PASSWORD", "mat-khau-quan-tri-2025")
    get_settings.cache_clear()
    assert run("user", "ensure-admin").exit_code == 0
    resp = anon.post(
        "/api/v1/auth/token", json={"username": "admin", "password": "mat-khau-quan-tri-2025"}
    )
    assert resp.status_code == 200


def test_token_create_prints_a_working_token_and_revoke_stops_it(
    run, seeded: Session, anon: TestClient
) -> None:
    run(
        "user",
        "create",
        "--username",
        "he.thong",
        "--full-name",
        "Hệ thống một cửa",
        "--role",
        "reporter",
        "--unit",
        "ttpvhcc",
        "--password-stdin",
        stdin="mat-khau-he-thong-1\n",
    )
    created = run("token", "create", "--username", "he.thong", "--name", "Đồng bộ hồ sơ")
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    assert anon.get("/api/v1/units", headers=headers).status_code == 200
    listed = seeded.exec(
        select(AuditEvent).where(AuditEvent.entity == "token").order_by(col(AuditEvent.id))
    ).all()
    token_id = listed[-1].entity_key
    assert run("token", "revoke", token_id).exit_code == 0
    assert anon.get("/api/v1/units", headers=headers).status_code == 401


def test_token_for_an_unknown_user_fails(run) -> None:
    result = run("token", "create", "--username", "khong.co", "--name", "x")
    assert result.exit_code == 1
    assert "Không có tài khoản" in result.output
