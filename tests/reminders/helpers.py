"""Shared set-up for reminder tests: people of a unit with e-mail addresses, a real SMTP server."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.accounts.models import User
from app.clock import FixedClock
from tests.conftest import make_user

SMTP_USER = "partrack"
SMTP_PASSWORD = "mat-khau-smtp-thu-nghiem"
#: aiosmtpd warns (from its server thread) that AUTH without TLS is unsafe: true, and local here.
PLAIN_AUTH_WARNING = "ignore:Requiring AUTH while not requiring TLS:UserWarning"


def people(engine: Engine, clock: FixedClock) -> dict[str, User]:
    """vp's reporter, vp's head (viewer of the unit) and a coordinator, all with addresses."""
    made = {
        "reporter": make_user(engine, clock, username="bao.cao.vp", role="reporter", unit="vp"),
        "head": make_user(engine, clock, username="lanh.dao.vp", role="viewer", unit="vp"),
        "coordinator": make_user(
            engine, clock, username="dieu.phoi", role="coordinator", unit="vhxh"
        ),
    }
    with Session(engine, expire_on_commit=False) as session:
        for user in made.values():
            row = session.exec(select(User).where(User.id == user.id)).one()
            row.email = f"{row.username}@phudinh.example.vn"
            session.add(row)
            user.email = row.email
        session.commit()
    return made


def on(day: date) -> FixedClock:
    return FixedClock.on(day, hour=7)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Inbox:
    """What the local SMTP server received, parsed."""

    port: int
    envelopes: list[Any] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    @property
    def messages(self) -> list[EmailMessage]:
        return [
            message_from_bytes(e.content, policy=policy.default)  # type: ignore[misc]
            for e in self.envelopes
        ]

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode() == SMTP_USER and auth_data.password.decode() == SMTP_PASSWORD
        )
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)


@contextmanager
def smtp_server(port: int | None = None) -> Iterator[Inbox]:
    """A real SMTP server (aiosmtpd) in a thread on a local port, requiring a login."""
    inbox = Inbox(port=port or free_port())
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=inbox.port,
        authenticator=inbox.authenticate,
        auth_required=True,
        auth_require_tls=False,  # a local test server: plain SMTP, so no certificate to make
    )
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()
