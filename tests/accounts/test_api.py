"""Users, tokens and logging in through the JSON API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.accounts.models import ApiToken, User
from app.clock import FixedClock
from tests.conftest import make_token, make_user

API = "/api/v1"


def bearer(client: TestClient, token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def new_user(**overrides: Any) -> dict[str, Any]:
    data = {
        "username": "tran.thi.b",
        "full_name": "Trần Thị B",
        "email": "ttb@phudinh.gov.vn",
        "role": "reporter",
        "unit": "ttpvhcc",
        "password": "mat-khau-tam-2025",
    }
    data.update(overrides)
    return data


def test_admin_creates_a_user_who_logs_in_for_a_token(api: TestClient, anon: TestClient) -> None:
    resp = api.post(f"{API}/users", json=new_user())
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["unit"] == "ttpvhcc" and body["must_change_password"] is True
    assert "password" not in body and "password_hash" not in body

    temporary = anon.post(
        f"{API}/auth/token", json={"username": "Tran.Thi.B", "password": "mat-khau-tam-2025"}
    )
    assert temporary.status_code == 403, temporary.text
    assert temporary.json()["detail"]["code"] == "password_change_required"
    assert "mật khẩu tạm" in temporary.json()["detail"]["message"]
    changed = api.post(
        f"{API}/users/tran.thi.b/password",
        json={"password": "mat-khau-dung-2025", "must_change_password": False},
    )
    assert changed.status_code == 200, changed.text
    login = anon.post(
        f"{API}/auth/token", json={"username": "Tran.Thi.B", "password": "mat-khau-dung-2025"}
    )
    assert login.status_code == 200, login.text
    token = login.json()["access_token"]
    me = anon.get(f"{API}/auth/me", headers=bearer(anon, token))
    assert me.json()["username"] == "tran.thi.b"
    assert me.json()["last_login_at"] is not None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password": "ngan"}, "password"),
        ({"role": "superuser"}, "role"),
        ({"unit": None}, "unit"),
        ({"username": "A B"}, "username"),
        ({"email": "khong-phai-email"}, "email"),
        ({"password": "tran.thi.b"}, "password"),
        ({"unit": "khong-co"}, None),
    ],
)
def test_create_user_refuses_bad_input(
    api: TestClient, db_session: Session, overrides: dict[str, Any], field: str | None
) -> None:
    resp = api.post(f"{API}/users", json=new_user(**overrides))
    if field is None:
        assert resp.status_code == 404, resp.text
    else:
        assert resp.status_code == 422, resp.text
        assert field in {e["field"] for e in resp.json()["detail"]["errors"]}
    assert db_session.exec(select(User).where(User.username == "tran.thi.b")).first() is None


def test_duplicate_username_is_409(api: TestClient) -> None:
    assert api.post(f"{API}/users", json=new_user()).status_code == 201
    resp = api.post(f"{API}/users", json=new_user(full_name="Người khác"))
    assert resp.status_code == 409
    assert resp.json()["detail"]["errors"][0]["field"] == "username"


def test_update_user_with_a_stale_version_is_409(api: TestClient) -> None:
    created = api.post(f"{API}/users", json=new_user()).json()
    ok = api.patch(
        f"{API}/users/tran.thi.b", json={"role": "viewer", "version": created["version"]}
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["role"] == "viewer"
    stale = api.patch(f"{API}/users/tran.thi.b", json={"full_name": "X", "version": 1})
    assert stale.status_code == 409
    assert api.get(f"{API}/users/tran.thi.b").json()["full_name"] == "Trần Thị B"


def test_an_admin_cannot_lock_themself_out(api: TestClient) -> None:
    resp = api.patch(f"{API}/users/admin", json={"active": False})
    assert resp.status_code == 403
    assert api.get(f"{API}/users/admin").json()["active"] is True


def test_tokens_are_shown_once_stored_hashed_and_revocable(
    api: TestClient, anon: TestClient, db_session: Session, clean_db: Engine, clock: FixedClock
) -> None:
    make_user(clean_db, clock, username="he.thong", role="reporter", unit="ttpvhcc")
    issued = api.post(f"{API}/tokens", json={"username": "he.thong", "name": "Một cửa"}).json()
    raw = issued["token"]
    assert raw.startswith("ptk_") and raw.startswith(issued["prefix"])
    stored = db_session.exec(select(ApiToken).where(ApiToken.id == issued["id"])).one()
    assert raw not in {stored.token_hash, stored.prefix}

    assert anon.get(f"{API}/units", headers=bearer(anon, raw)).status_code == 200
    listed = api.get(f"{API}/tokens", params={"username": "he.thong"}).json()["items"]
    assert [t["id"] for t in listed] == [issued["id"]]
    assert listed[0]["last_used_at"] is not None and "token" not in listed[0]

    assert api.delete(f"{API}/tokens/{issued['id']}").status_code == 200
    refused = anon.get(f"{API}/units", headers=bearer(anon, raw))
    assert refused.status_code == 401
    assert refused.json()["detail"]["code"] == "token_revoked"


def test_an_expired_token_is_401(
    anon: TestClient, clean_db: Engine, clock: FixedClock, seeded: Session
) -> None:
    make_user(clean_db, clock, username="ngan.han", role="viewer")
    login = anon.post(
        f"{API}/auth/token",
        json={"username": "ngan.han", "password": "mat-khau-thu-nghiem", "expires_minutes": 5},
    ).json()
    headers = bearer(anon, login["access_token"])
    assert anon.get(f"{API}/units", headers=headers).status_code == 200
    clock.advance(timedelta(minutes=6))
    resp = anon.get(f"{API}/units", headers=headers)
    assert resp.status_code == 401
    assert resp.json()["detail"]["code"] == "token_expired"


def test_a_deactivated_users_tokens_stop_working(
    api: TestClient, anon: TestClient, clean_db: Engine, clock: FixedClock
) -> None:
    token = make_token(clean_db, clock, username="nghi.viec", role="viewer")
    assert anon.get(f"{API}/units", headers=bearer(anon, token)).status_code == 200
    assert api.patch(f"{API}/users/nghi.viec", json={"active": False}).status_code == 200
    resp = anon.get(f"{API}/units", headers=bearer(anon, token))
    assert resp.status_code == 401
    assert resp.json()["detail"]["code"] == "user_inactive"


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "ptk_xyz", "Bearer ptk_unknown"])
def test_malformed_or_unknown_credentials_are_401(anon: TestClient, header: str) -> None:
    resp = anon.get(f"{API}/units", headers={"Authorization": header})
    assert resp.status_code == 401
    assert resp.json()["detail"]["message"]


def test_wrong_password_is_401_then_throttled_with_429(
    app_factory: Any, clean_db: Engine, clock: FixedClock
) -> None:
    make_user(clean_db, clock, username="bi.khoa", role="viewer", password="mat-khau-dung-1")
    app: FastAPI = app_factory(login_max_failures=3, login_lockout_minutes=10)
    with TestClient(app) as anon:
        url = f"{API}/auth/token"
        for _ in range(3):
            resp = anon.post(url, json={"username": "bi.khoa", "password": "sai-mat-khau"})
            assert resp.status_code == 401
            assert resp.json()["detail"]["code"] == "bad_credentials"
        blocked = anon.post(url, json={"username": "bi.khoa", "password": "mat-khau-dung-1"})
        assert blocked.status_code == 429
        assert int(blocked.headers["Retry-After"]) == 600
        assert "10 phút" in blocked.json()["detail"]["message"]
        clock.advance(timedelta(minutes=11))
        assert (
            anon.post(url, json={"username": "bi.khoa", "password": "mat-khau-dung-1"}).status_code
            == 200
        )


def test_an_unknown_username_fails_like_a_wrong_password(anon: TestClient, seeded: Session) -> None:
    resp = anon.post(f"{API}/auth/token", json={"username": "khong.co", "password": "x" * 12})
    assert resp.status_code == 401
    assert resp.json()["detail"]["code"] == "bad_credentials"


def test_change_own_password(anon: TestClient, clean_db: Engine, clock: FixedClock) -> None:
    token = make_token(clean_db, clock, username="doi.mk", role="viewer")
    headers = bearer(anon, token)
    wrong = anon.post(
        f"{API}/auth/password",
        headers=headers,
        json={"current_password": "sai", "new_password": "mat-khau-moi-2025"},
    )
    assert wrong.status_code == 422
    assert wrong.json()["detail"]["errors"][0]["field"] == "current_password"
    ok = anon.post(
        f"{API}/auth/password",
        headers=headers,
        json={"current_password": "mat-khau-thu-nghiem", "new_password": "mat-khau-moi-2025"},
    )
    assert ok.status_code == 200, ok.text
    login = anon.post(
        f"{API}/auth/token", json={"username": "doi.mk", "password": "mat-khau-moi-2025"}
    )
    assert login.status_code == 200


def test_a_reporter_reads_only_its_own_units_data(
    api: TestClient, anon: TestClient, clean_db: Engine, clock: FixedClock
) -> None:
    for unit, value in (("ttpvhcc", 81), ("vp", 60)):
        body = {"indicator": "online_dossier", "unit": unit, "period": "2025-10", "value": value}
        assert api.put(f"{API}/readings", json=body).status_code == 201
    token = make_token(clean_db, clock, username="bc.ttpv", role="reporter", unit="ttpvhcc")
    headers = bearer(anon, token)
    mine = anon.get(f"{API}/readings", headers=headers).json()
    assert [r["unit"] for r in mine["items"]] == ["ttpvhcc"]
    other = anon.get(f"{API}/readings", headers=headers, params={"unit": "vp"})
    assert other.status_code == 403
    assert anon.get(f"{API}/progress", headers=headers, params={"unit": "vp"}).status_code == 403
    viewer = make_token(clean_db, clock, username="lanh.dao", role="viewer")
    every = anon.get(f"{API}/readings", headers=bearer(anon, viewer)).json()
    assert sorted(r["unit"] for r in every["items"]) == ["ttpvhcc", "vp"]
