"""Sending reminder e-mails over SMTP, configured only through settings.

Off when ``PARTRACK_SMTP_HOST`` is empty, so a ward without a mail server still gets the in-app
bell. The password comes from ``PARTRACK_SMTP_PASSWORD`` and is never logged or stored.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid

from pydantic import SecretStr

from app.config import Settings


class MailError(Exception):
    """The server refused or could not be reached; the message says why, without secrets."""


@dataclass(frozen=True)
class Mailer:
    host: str
    port: int
    sender: str
    username: str = ""
    password: SecretStr | None = None
    starttls: bool = True
    timeout: float = 15.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Mailer | None:
        """``None`` when no SMTP host is configured: e-mail is off."""
        if not settings.smtp_host:
            return None
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from or f"partrack@{settings.smtp_host}",
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
        )

    def build(
        self, *, to: list[tuple[str, str]], cc: list[tuple[str, str]], subject: str, body: str
    ) -> EmailMessage:
        message = EmailMessage()
        message["From"] = Address("partrack – UBND phường Phú Định", addr_spec=self.sender)
        message["To"] = [Address(name, addr_spec=addr) for name, addr in to]
        if cc:
            message["Cc"] = [Address(name, addr_spec=addr) for name, addr in cc]
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain=self.sender.partition("@")[2] or None)
        message.set_content(body, charset="utf-8")
        return message

    def send(self, message: EmailMessage) -> None:
        """One SMTP conversation per message; raises ``MailError`` on any failure."""
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.ehlo()
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
                if self.username:
                    secret = self.password.get_secret_value() if self.password else ""
                    smtp.login(self.username, secret)
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"{type(exc).__name__}: {exc}"[:500]) from exc
