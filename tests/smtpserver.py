"""A real SMTP server on 127.0.0.1 for the email tests (aiosmtpd), with optional STARTTLS and login."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER, PASSWORD = "frontdesk@zenith.example", "correct horse"
REFUSED = "nobody@zenith.example"


@dataclass
class Inbox:
    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == REFUSED:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted"


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER and auth_data.password.decode() == PASSWORD
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd sends the 535 itself


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def smtp_server(
    tls: ssl.SSLContext | None = None, login: bool = False, implicit_tls: ssl.SSLContext | None = None
) -> Iterator[tuple[int, Inbox]]:
    inbox = Inbox()
    kwargs: dict[str, object] = {}
    if tls is not None:
        kwargs.update(tls_context=tls, require_starttls=True)
    if implicit_tls is not None:  # security = "ssl": TLS from the first byte (port 465 style)
        kwargs.update(ssl_context=implicit_tls)
    if login:
        kwargs.update(authenticator=_authenticator, auth_required=True, auth_require_tls=tls is not None, auth_exclude_mechanism=["LOGIN"])
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, server_hostname="localhost", **kwargs)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()
