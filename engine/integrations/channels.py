"""Ways of reaching people, one interface: `send(address, subject, text, html)` that
raises on failure. SMTP for e-mail (plain text and HTML in one multipart message), an
HTTP SMS gateway (a JSON POST) for text messages. Configured per deployment."""
from __future__ import annotations

import json
import smtplib
import ssl
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol


class ChannelFailed(Exception):
    """The message could not be handed over; try again later."""


class Channel(Protocol):
    @property
    def name(self) -> str: ...

    def send(self, address: str, subject: str, text: str, html: str | None) -> None: ...


@dataclass(frozen=True)
class SmtpChannel:
    host: str
    port: int = 25
    sender: str = "workorders@localhost"
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10.0
    name: str = "email"

    def send(self, address: str, subject: str, text: str, html: str | None) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, address, subject
        message["Date"], message["Message-ID"] = formatdate(), make_msgid(domain="workorders")
        message.set_content(text)
        if html is not None:
            message.add_alternative(html, subtype="html")
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as err:
            raise ChannelFailed(f"{type(err).__name__}: {err}") from None


@dataclass(frozen=True)
class SmsGateway:
    """POSTs {"to": number, "text": ...} as JSON to the gateway, with a bearer token if
    configured; any 2xx is accepted."""

    url: str
    token: str | None = None
    timeout: float = 10.0
    name: str = "sms"

    def send(self, address: str, subject: str, text: str, html: str | None) -> None:
        body = json.dumps({"to": address, "text": f"{subject}\n{text}"},
                          ensure_ascii=False).encode()
        request = urllib.request.Request(self.url, data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                if not 200 <= response.status < 300:
                    raise ChannelFailed(f"HTTP {response.status}")
        except OSError as err:  # URLError, HTTPError (a 4xx/5xx), timeouts
            raise ChannelFailed(f"{type(err).__name__}: {err}") from None
