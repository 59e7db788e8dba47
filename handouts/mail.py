"""Emailing a handout: the message, delivery through the clinic's server, or an .eml draft.

Everything that can be checked is checked before the server is contacted (address,
settings, password), and the message goes out in one SMTP transaction, so a failure
never leaves half a message sent.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import ipaddress
import os
import secrets
import smtplib
import socket
import ssl
import threading
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING

from handouts.errors import DataError, UsageError

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer
from handouts.models import Clinic, EmailSettings
from handouts.output import write_atomic

PASSWORD_ENV = "HANDOUTS_SMTP_PASSWORD"
SENT_LOG = "sent-log.csv"
PASSWORD_LOG = "pdf-passwords.csv"  # beside the sent log, mode 0600
TIMEOUT_S = 20
# No 0/O or 1/I/L: the password is read out over the phone.
PASSWORD_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def check_address(address: str) -> str:
    """A usable recipient, or a UsageError naming what is wrong with it."""
    address = address.strip()
    try:
        parsed = Address(addr_spec=address)
    except (ValueError, IndexError, HeaderParseError):
        raise UsageError(f'"{address}" is not an email address (expected something like name@example.com)', field="email") from None
    if not parsed.username or "." not in parsed.domain or any(c.isspace() for c in address):
        raise UsageError(f'"{address}" is not an email address (expected something like name@example.com)', field="email")
    return address


def settings_of(clinic: Clinic) -> EmailSettings:
    if clinic.email is None:
        raise DataError(
            f"{clinic.source}: no [email] table; add host, port, security and sender "
            "(see README, Email) or use --eml to write a draft instead"
        )
    return clinic.email


def build_message(clinic: Clinic, to: str, pdf: bytes, filename: str, lang: str = "en") -> EmailMessage:
    """The clinic as sender, a subject that names no diagnosis, the PDF attached, in the sheet's language.

    Subject and body: the clinic's own ([email] for English, [LANG] email_subject and
    email_body for another language), else the wording table's.
    """
    from handouts.wording import DEFAULT, fill
    from handouts.wording import load as load_wording

    words = load_wording(lang)
    settings = clinic.email
    if lang == DEFAULT:
        own_subject, own_body = (settings.subject, settings.body) if settings else ("", "")
    else:
        local = dict(clinic.texts).get(lang)
        own_subject, own_body = (local.email_subject, local.email_body) if local else ("", "")
    sender = settings.sender if settings else ""
    values = {"clinic": clinic.name, "phone": clinic.phone, "clinician": clinic.signed}
    message = EmailMessage()
    # always a From: a draft from a clinic without [email] gets a reserved address the
    # PT's mail program replaces with the account it is sent from
    message["From"] = formataddr((clinic.name, sender or "no-sender-set@invalid"))
    message["To"] = to
    if settings and settings.reply_to:
        message["Reply-To"] = settings.reply_to
    message["Subject"] = fill(own_subject or words.table["email_subject"], values, "the email subject")
    message["Date"] = _date_header()
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    body = fill(own_body or words.table["email_body"], values, "the email body")
    message.set_content(body.strip() + "\n")
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=filename)
    return message


def _date_header() -> str:
    from email.utils import format_datetime

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    when = dt.datetime.fromtimestamp(int(epoch), dt.UTC) if epoch.isdigit() else dt.datetime.now(dt.UTC)
    return format_datetime(when)


def new_password() -> str:
    """12 characters in three groups: about 59 bits, and easy to read out by phone."""
    chars = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(12))
    return "-".join(chars[i : i + 4] for i in range(0, 12, 4))


def encrypt_pdf(pdf: bytes, password: str) -> bytes:
    """AES-256 protect a PDF; the patient needs `password` to open it."""
    try:
        from pypdf import PdfReader, PdfWriter
    except ImportError:
        raise DataError("password-protected PDFs need the encrypt extra: pip install '.[encrypt]'") from None
    import io

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password=password, owner_password=secrets.token_urlsafe(24), algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def write_eml(message: EmailMessage, path: Path) -> Path:
    """A draft: X-Unsent makes Outlook and Apple Mail open it as a message to send, not a received one.

    Like a handout, an existing draft is never overwritten: a fresh name is chosen.
    """
    message["X-Unsent"] = "1"
    return write_atomic(path, message.as_bytes())


def ready(clinic: Clinic) -> tuple[EmailSettings, str]:
    """Settings and password, checked before any handout is made or any server contacted."""
    settings = settings_of(clinic)
    if settings.security == "none" and not is_loopback(settings.host):
        raise DataError(
            f'security = "none" would send patient mail unencrypted to {settings.host}; '
            "it is allowed only for a server on this machine (localhost)"
        )
    password = os.environ.get(PASSWORD_ENV, "")
    if settings.username and not password:
        raise DataError(f"{PASSWORD_ENV} is not set; export the mail password for {settings.username} first")
    return settings, password


class MaybeSent(DataError):
    """The message reached the server but its answer never came: it may have gone out.

    Logged as "unknown", so a rerun does not send it a second time unless asked to.
    """


class _Watched:
    """Notes when the message itself has gone over the wire (after the server's 354)."""

    content_sent = False
    _after_354 = False

    def getreply(self) -> tuple[int, bytes]:
        code, text = super().getreply()  # type: ignore[misc]
        self._after_354 = code == 354
        return code, text

    def send(self, s: ReadableBuffer | str) -> None:
        super().send(s)  # type: ignore[misc]
        if self._after_354:
            self.content_sent = True


class _SMTP(_Watched, smtplib.SMTP):
    pass


class _SMTPSSL(_Watched, smtplib.SMTP_SSL):
    pass


class Attempt:
    """One message's exchange, for the caller to ask after an interruption: did the message go over?"""

    server: _SMTP | _SMTPSSL | None = None

    @property
    def content_sent(self) -> bool:
        return bool(self.server and self.server.content_sent)


def send(message: EmailMessage, clinic: Clinic, attempt: Attempt | None = None) -> None:
    """One SMTP transaction; every way it can fail becomes one clear DataError.

    The whole exchange has a deadline (`timeout` in [email], default 60 s), so a server
    that trickles bytes cannot hold a batch for minutes. When the message was handed
    over and only the server's answer is missing, MaybeSent says so instead of "not sent".
    """
    settings, password = ready(clinic)
    where = f"{settings.host}:{settings.port}"
    context = ssl.create_default_context(cafile=str(settings.cafile) if settings.cafile else None)
    stage = "connect"  # so "not supported" names what the server lacks, not a guess
    per_step = min(TIMEOUT_S, settings.deadline)
    # made unconnected, and watched before connecting, so the deadline can cut a greeting that trickles in
    server: _SMTP | _SMTPSSL = _SMTPSSL(timeout=per_step, context=context) if settings.security == "ssl" else _SMTP(timeout=per_step)
    expired = threading.Event()

    def give_up() -> None:  # the deadline: cut the connection, whatever it was waiting for
        expired.set()
        sock = getattr(server, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    watchdog = threading.Timer(settings.deadline, give_up)
    watchdog.daemon = True
    watchdog.start()
    if attempt is not None:
        attempt.server = server
    try:
        try:
            server._host = settings.host  # type: ignore[union-attr]  # as the constructor would: TLS checks the certificate against it
            code, greeting = server.connect(settings.host, settings.port)
            if code != 220:
                raise smtplib.SMTPConnectError(code, greeting)
            if settings.security == "starttls":
                stage = "starttls"
                server.starttls(context=context)
            if settings.username:
                stage = "login"
                server.ehlo_or_helo_if_needed()
                if not server.has_extn("auth"):
                    raise DataError(
                        f"mail server {where} offers no login, but the clinic file sets username = "
                        f'"{settings.username}"; remove the username or check the server and port'
                    )
                try:
                    server.login(settings.username, password)
                except UnicodeEncodeError:
                    raise DataError(
                        f"the mail password in {PASSWORD_ENV} has letters the server's login cannot "
                        "take (only plain ASCII works); ask your provider for another password"
                    ) from None
            stage = "send"
            server.send_message(message)
            with contextlib.suppress(smtplib.SMTPException, OSError):
                server.quit()  # the message is in; a lost goodbye changes nothing
        except BaseException:
            # no QUIT to wait for: a failed exchange, or Ctrl-C and SIGTERM, end now (the caller records
            # whether the message had gone over)
            server.close()
            raise
    except smtplib.SMTPAuthenticationError as e:
        raise DataError(
            f"mail server {where} refused the login for {settings.username} ({e.smtp_code} {_text(e.smtp_error)}); check {PASSWORD_ENV}"
        ) from None
    except smtplib.SMTPRecipientsRefused as e:
        refused = ", ".join(f"{addr} ({code} {_text(msg)})" for addr, (code, msg) in e.recipients.items())
        raise DataError(f"mail server {where} refused the recipient: {refused}; nothing was sent") from None
    except smtplib.SMTPSenderRefused as e:
        raise DataError(f"mail server {where} refused the sender {e.sender} ({e.smtp_code} {_text(e.smtp_error)})") from None
    except smtplib.SMTPDataError as e:  # an explicit answer: the server says it did not take it
        raise DataError(f"mail server {where} did not accept the message ({e.smtp_code} {_text(e.smtp_error)}); nothing was sent") from None
    except smtplib.SMTPNotSupportedError as e:
        if stage == "starttls":
            raise DataError(f'mail server {where} does not offer STARTTLS; set security = "ssl" or ask your provider') from None
        if stage == "send":
            raise DataError(
                f"mail server {where} cannot take this message ({e}): it does not accept addresses "
                "with accents (no SMTPUTF8); nothing was sent"
            ) from None
        raise DataError(f"mail server {where} does not support {stage} ({e}); nothing was sent") from None
    except (smtplib.SMTPException, ssl.SSLError, OSError) as e:
        if server.content_sent:
            raise MaybeSent(
                f"mail server {where} took the message but its answer was lost ({_reason(e, expired)}); "
                "it may have been delivered, so it is logged as unknown and not sent again "
                "(use --resend after checking with the patient)"
            ) from None
        if isinstance(e, ssl.SSLError):
            raise DataError(f"secure connection to {where} failed ({e.reason or e}); nothing was sent") from None
        if isinstance(e, smtplib.SMTPException) and not expired.is_set():
            raise DataError(f"mail server {where} failed: {e}; nothing was sent") from None
        raise DataError(f"cannot reach mail server {where} ({_reason(e, expired)}); nothing was sent") from None
    finally:
        watchdog.cancel()


def _reason(e: BaseException, expired: threading.Event) -> str:
    if expired.is_set():
        return "the whole exchange went past its time limit"
    if isinstance(e, TimeoutError):
        return f"no answer within {TIMEOUT_S} s"
    return getattr(e, "strerror", None) or str(e) or type(e).__name__


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def is_loopback(host: str) -> bool:
    """This computer only: localhost or a loopback address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# The sent log: a rerun of a batch skips patients already emailed.


def log_result(directory: Path, recipient: str, pdf: Path, result: str) -> None:
    """One line per message, flushed to disk before the next message is tried."""
    _append(
        directory / SENT_LOG,
        ["time", "recipient", "file", "result"],
        [dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), recipient, pdf.name, result],
        0o600,  # patients' addresses and the names in file names: this user's only
    )


def log_password(directory: Path, recipient: str, pdf: Path, password: str) -> None:
    """Each PDF password, kept (readable by this user only) the moment its message is handed over,
    so a batch stopped half-way never loses the password of a patient already sent."""
    _append(
        directory / PASSWORD_LOG,
        ["time", "recipient", "file", "password"],
        [dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), recipient, pdf.name, password],
        0o600,
    )


def _append(path: Path, header: list[str], row: list[str], mode: int) -> None:
    import io

    from handouts.output import why

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, mode)
        os.fchmod(fd, mode)  # a log made by an older version (0644) is tightened too
        with os.fdopen(fd, "a", newline="", encoding="utf-8") as f:
            if f.tell() == 0:
                writer.writerow(header)
            writer.writerow(row)
            f.write(buffer.getvalue())
            f.flush()
            os.fsync(f.fileno())
    except OSError as e:
        raise DataError(f"{path}: cannot write ({why(e)})") from None


def forget_sent(directory: Path, files: set[str]) -> int:
    """`history --forget`: the sent log's lines about these files (addresses, names) go too; returns how many."""
    path = directory / SENT_LOG
    try:
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
    except OSError:
        return 0
    kept = [row for row in rows[1:] if len(row) < 3 or row[2] not in files]
    if len(kept) == len(rows) - 1:
        return 0
    import io

    buffer = io.StringIO()
    csv.writer(buffer).writerows([rows[0], *kept])
    from handouts.output import write_atomic

    write_atomic(path, buffer.getvalue().encode("utf-8"), force=True)
    path.chmod(0o600)
    return len(rows) - 1 - len(kept)


def already_sent(directory: Path) -> set[tuple[str, str]]:
    path = directory / SENT_LOG
    if not path.exists():
        return set()
    with path.open(newline="", encoding="utf-8") as f:
        return {
            (row["recipient"], row["file"])
            for row in csv.DictReader(f)
            if row.get("result") == "sent" or str(row.get("result", "")).startswith("unknown")
        }


@dataclass(frozen=True)
class Delivery:
    """What happened to one handout: the PDF password if one was set, the draft if one was written."""

    password: str | None = None
    eml: Path | None = None


def deliver(
    clinic: Clinic, pdf_path: Path, to: str, eml: Path | None = None, protect: bool = False, lang: str = "en", resend: bool = True
) -> Delivery:
    """Email one handout, or write it as a draft.

    The sent log in the PDF's directory records the outcome of a sending either way;
    without `resend`, a file the log shows already sent to this address is refused.
    """
    to = check_address(to)
    if not resend and eml is None and (to, pdf_path.name) in already_sent(pdf_path.parent):
        raise DataError(f"{pdf_path.name} was already sent to {to} (see {pdf_path.parent / SENT_LOG}); add --resend to send it again")
    try:
        pdf = pdf_path.read_bytes()
    except OSError as e:
        raise DataError(f"{pdf_path}: cannot read the handout ({e.strerror})") from None
    if not pdf.startswith(b"%PDF"):
        raise DataError(f"{pdf_path}: not a PDF (expected a handout made by `handouts make`)")
    password = None
    if protect or (clinic.email is not None and clinic.email.encrypt):
        password = new_password()
        pdf = encrypt_pdf(pdf, password)
    message = build_message(clinic, to, pdf, pdf_path.name, lang)
    if eml is not None:
        return Delivery(password, write_eml(message, eml))
    if password:  # kept before the message leaves, so no outcome can lose it
        log_password(pdf_path.parent, to, pdf_path, password)
    attempt = Attempt()
    try:
        send(message, clinic, attempt)
    except MaybeSent as e:
        log_result(pdf_path.parent, to, pdf_path, f"unknown: {e}")
        raise
    except DataError as e:
        log_result(pdf_path.parent, to, pdf_path, f"failed: {e}")
        raise
    except BaseException:  # Ctrl-C or SIGTERM mid-exchange: what the server may have is never sent twice
        if attempt.content_sent:
            log_result(pdf_path.parent, to, pdf_path, "unknown: stopped while the server had the message")
        else:
            log_result(pdf_path.parent, to, pdf_path, "failed: stopped before the message was sent")
        raise
    try:
        log_result(pdf_path.parent, to, pdf_path, "sent")
    except DataError as e:
        raise DataError(f"the email to {to} was sent, but {e}; do not resend it") from None
    return Delivery(password)
