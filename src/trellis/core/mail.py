"""Outgoing mail: SMTP when configured; otherwise a labelled developer outbox.

The outbox keeps the last messages in memory only (never in the database or the logs, as
they carry sign-in codes) and, in development, also prints them on the server console.
"""

from __future__ import annotations

import sys
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Protocol

import structlog

from trellis.core.config import Settings
from trellis.core.db import utcnow
from trellis.core.errors import TrellisError

log = structlog.get_logger("trellis.mail")


class MailDeliveryFailed(TrellisError):
    status_code = 502
    code = "mail_delivery_failed"


@dataclass(frozen=True)
class OutgoingMail:
    to: str
    subject: str
    body: str
    sent_at: datetime = field(default_factory=utcnow)


class Mailer(Protocol):
    async def send(self, mail: OutgoingMail) -> None: ...


class SmtpMailer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(self, mail: OutgoingMail) -> None:
        import aiosmtplib

        settings = self.settings
        message = EmailMessage()
        message["From"] = settings.smtp_from
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message.set_content(mail.body)
        try:
            await aiosmtplib.send(
                message,
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_username,
                password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
                start_tls=settings.smtp_security == "starttls",
                use_tls=settings.smtp_security == "tls",
                timeout=15,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            # The reason, never the message: it holds a code or an invitation link.
            log.error("mail_delivery_failed", to_domain=mail.to.split("@")[-1], error=type(exc).__name__)
            raise MailDeliveryFailed(
                "The mail server did not accept the message; try again later.", reason=type(exc).__name__
            ) from None
        log.info("mail_sent", to_domain=mail.to.split("@")[-1], subject=mail.subject)


class DevOutbox:
    """Embedded development stand-in for SMTP: memory and console, plainly labelled."""

    capacity = 100

    def __init__(self, *, echo_to_console: bool) -> None:
        self.echo_to_console = echo_to_console
        self._messages: deque[OutgoingMail] = deque(maxlen=self.capacity)
        self._lock = threading.Lock()

    async def send(self, mail: OutgoingMail) -> None:
        with self._lock:
            self._messages.append(mail)
        if self.echo_to_console:
            # Straight to the terminal, not the log stream: logs are shipped elsewhere, this is for you.
            print(
                f"\n[trellis dev outbox - no SMTP configured]\nTo: {mail.to}\nSubject: {mail.subject}\n\n{mail.body}\n",
                file=sys.stderr,
                flush=True,
            )

    def messages(self, *, to: str | None = None) -> list[OutgoingMail]:
        with self._lock:
            items = list(self._messages)
        if to is not None:
            items = [m for m in items if m.to == to.lower()]
        return list(reversed(items))


def build_mailer(settings: Settings) -> Mailer:
    if settings.smtp_host:
        return SmtpMailer(settings)
    return DevOutbox(echo_to_console=settings.env == "development")
