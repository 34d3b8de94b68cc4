"""Behind the TLS proxy every cookie is ``Secure``, the login form's CSRF cookie included (found
trying docs/deployment.md's nginx: the session cookie was, the login form's was not)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def test_the_login_form_s_cookie_is_secure_over_https_only(app_factory: Any) -> None:
    app = app_factory()
    with TestClient(app, base_url="https://partrack.example.vn") as over_tls:
        cookie = over_tls.get("/login").headers["set-cookie"]
    assert cookie.startswith("partrack_login_csrf=") and "Secure" in cookie
    with TestClient(app) as plain:
        assert "Secure" not in plain.get("/login").headers["set-cookie"]
    with TestClient(app_factory(cookie_secure=True)) as forced:
        assert "Secure" in forced.get("/login").headers["set-cookie"]
