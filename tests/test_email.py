"""After the visit the physical therapist emails the handout to the patient."""

from __future__ import annotations

import csv
import io
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import trustme
from pypdf import PdfReader

from handouts.cli import main

from .smtpserver import PASSWORD, REFUSED, USER, free_port, smtp_server


@pytest.fixture
def handout(runner, tmp_path, fixed_date) -> Path:
    result = runner.invoke(main, ["make", "Zoë O'Brien", "-o", str(tmp_path / "out")])
    return Path(result.stdout.strip())


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


def clinic_with(library: Path, port: int, security: str = "none", extra: str = "") -> Path:
    clinic = library / "clinic.toml"
    text = clinic.read_text().replace(
        "\n[rpe_legend]",
        (
            f'\n[email]\nhost = "localhost"\nport = {port}\nsecurity = "{security}"\n'
            f'sender = "frontdesk@zenith.example"\nreply_to = "thomas@zenith.example"\n{extra}\n[rpe_legend]'
        ),
    )
    clinic.write_text(text)
    return clinic


def send(runner, handout: Path, clinic: Path, *args: str, env: dict[str, str] | None = None):
    return runner.invoke(main, ["email", str(handout), "--to", "zoe@example.com", "--clinic", str(clinic), *args], env=env or {})


def test_the_patient_receives_the_pdf_from_the_clinic(runner, handout, library):
    with smtp_server() as (port, inbox):
        result = send(runner, handout, clinic_with(library, port))
    assert result.exit_code == 0, result.output
    (message,) = inbox.messages
    assert inbox.recipients == [["zoe@example.com"]]
    assert message["From"] == "Zenith Performance Physical Therapy <frontdesk@zenith.example>"
    assert message["To"] == "zoe@example.com"
    assert message["Reply-To"] == "thomas@zenith.example"
    assert message["Subject"] == "Your home exercise plan from Zenith Performance Physical Therapy"
    body = message.get_body(("plain",)).get_content()
    assert "562-502-1767" in body and "ankle" not in body.lower()  # no diagnosis in the mail
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == handout.name
    assert attachment.get_content() == handout.read_bytes()
    log = list(csv.DictReader((handout.parent / "sent-log.csv").open()))
    assert [(r["recipient"], r["file"], r["result"]) for r in log] == [("zoe@example.com", handout.name, "sent")]


def test_starttls_with_a_self_signed_certificate_and_a_login(runner, handout, library, ca, tmp_path):
    import ssl

    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(tls)
    ca.cert_pem.write_to_path(str(tmp_path / "clinic-ca.pem"))
    (library / "clinic-ca.pem").write_bytes((tmp_path / "clinic-ca.pem").read_bytes())
    with smtp_server(tls=tls, login=True) as (port, inbox):
        clinic = clinic_with(library, port, "starttls", f'username = "{USER}"\ncafile = "clinic-ca.pem"\n')
        result = send(runner, handout, clinic, env={"HANDOUTS_SMTP_PASSWORD": PASSWORD})
        assert result.exit_code == 0, result.output
        (message,) = inbox.messages
        assert next(message.iter_attachments()).get_content() == handout.read_bytes()


def self_signed(path_cert: Path, path_key: Path) -> None:
    """A bare self-signed certificate for localhost, as a small clinic's own server might have."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    path_key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def test_starttls_with_a_bare_self_signed_certificate(runner, handout, library, tmp_path):
    import ssl

    self_signed(library / "server.pem", tmp_path / "server.key")
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(library / "server.pem", tmp_path / "server.key")
    with smtp_server(tls=tls, login=True) as (port, inbox):
        clinic = clinic_with(library, port, "starttls", f'username = "{USER}"\ncafile = "server.pem"\n')
        result = send(runner, handout, clinic, env={"HANDOUTS_SMTP_PASSWORD": PASSWORD})
    assert result.exit_code == 0, result.output
    assert next(inbox.messages[0].iter_attachments()).get_content() == handout.read_bytes()


def test_implicit_tls_on_the_ssl_port(runner, handout, library, ca):
    import ssl

    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(tls)
    ca.cert_pem.write_to_path(str(library / "ca.pem"))
    with smtp_server(implicit_tls=tls) as (port, inbox):
        result = send(runner, handout, clinic_with(library, port, "ssl", 'cafile = "ca.pem"\n'))
    assert result.exit_code == 0, result.output
    assert next(inbox.messages[0].iter_attachments()).get_content() == handout.read_bytes()


def test_untrusted_certificate_is_a_clear_tls_failure(runner, handout, library, ca):
    import ssl

    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(tls)
    with smtp_server(tls=tls) as (port, inbox):
        result = send(runner, handout, clinic_with(library, port, "starttls"))
    assert result.exit_code == 1
    assert f"secure connection to localhost:{port} failed (CERTIFICATE_VERIFY_FAILED); nothing was sent" in result.stderr
    assert inbox.messages == []


def test_refused_login_says_so(runner, handout, library, ca, tmp_path):
    import ssl

    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(tls)
    ca.cert_pem.write_to_path(str(library / "ca.pem"))
    with smtp_server(tls=tls, login=True) as (port, inbox):
        clinic = clinic_with(library, port, "starttls", f'username = "{USER}"\ncafile = "ca.pem"\n')
        result = send(runner, handout, clinic, env={"HANDOUTS_SMTP_PASSWORD": "wrong"})
    assert result.exit_code == 1
    assert f"mail server localhost:{port} refused the login for {USER} (535" in result.stderr
    assert "HANDOUTS_SMTP_PASSWORD" in result.stderr
    assert inbox.messages == []
    assert "failed: " in (handout.parent / "sent-log.csv").read_text()


def test_missing_password_is_caught_before_connecting(runner, handout, library):
    clinic = clinic_with(library, free_port(), "none", f'username = "{USER}"\n')
    result = send(runner, handout, clinic)
    assert result.exit_code == 1
    assert "HANDOUTS_SMTP_PASSWORD is not set" in result.stderr


def test_refused_recipient_sends_nothing(runner, handout, library):
    with smtp_server() as (port, inbox):
        result = runner.invoke(main, ["email", str(handout), "--to", REFUSED, "--clinic", str(clinic_with(library, port))])
    assert result.exit_code == 1
    assert f"refused the recipient: {REFUSED} (550 5.1.1 mailbox unavailable); nothing was sent" in result.stderr
    assert inbox.messages == []


def test_unreachable_server(runner, handout, library):
    port = free_port()  # nothing listens there
    result = send(runner, handout, clinic_with(library, port))
    assert result.exit_code == 1
    assert f"cannot reach mail server localhost:{port}" in result.stderr


@pytest.mark.parametrize("address", ["zoe@", "zoe example.com", "zoe@localhost", "<zoe@example.com>"])
def test_malformed_address_is_a_usage_error(runner, handout, library, address):
    result = runner.invoke(main, ["email", str(handout), "--to", address, "--clinic", str(clinic_with(library, 1))])
    assert result.exit_code == 2
    assert f'"{address}" is not an email address' in result.stderr


def test_unencrypted_mail_to_a_remote_server_is_refused(runner, handout, library):
    clinic = library / "clinic.toml"
    clinic_with(library, 25, "none")
    clinic.write_text(clinic.read_text().replace('host = "localhost"', 'host = "mail.zenith.example"'))
    result = send(runner, handout, clinic)
    assert result.exit_code == 1
    assert 'security = "none" would send patient mail unencrypted to mail.zenith.example' in result.stderr


def test_a_password_in_the_clinic_file_is_refused(runner, handout, library):
    clinic = clinic_with(library, 25, "none", 'password = "hunter2"\n')
    result = send(runner, handout, clinic)
    assert result.exit_code == 1
    assert '"password" does not belong in a file; set the HANDOUTS_SMTP_PASSWORD environment variable' in result.stderr


def test_eml_draft_for_the_pt_mail_program(runner, handout, library, tmp_path):
    draft = tmp_path / "zoe.eml"
    result = send(runner, handout, clinic_with(library, 1), "--eml", str(draft))
    assert result.exit_code == 0, result.output
    message = message_from_bytes(draft.read_bytes(), policy=policy.default)
    assert message["To"] == "zoe@example.com"
    assert message["From"] == "Zenith Performance Physical Therapy <frontdesk@zenith.example>"
    assert next(message.iter_attachments()).get_content() == handout.read_bytes()


def test_password_protected_pdf_and_the_password_only_on_screen(runner, handout, library):
    with smtp_server() as (port, inbox):
        result = send(runner, handout, clinic_with(library, port), "--pdf-password")
    assert result.exit_code == 0, result.output
    password = result.stdout.strip().removeprefix("PDF password: ")
    assert len(password) == 14
    (message,) = inbox.messages
    raw = message.as_bytes()
    assert password.encode() not in raw
    pdf = next(message.iter_attachments()).get_content()
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.is_encrypted
    assert reader.decrypt("wrong") == 0
    assert reader.decrypt(password) != 0
    assert reader.pages[0].extract_text() and "Zoë O'Brien" in reader.pages[0].extract_text()
    assert reader.trailer["/Encrypt"]["/V"] == 5  # AES-256


def test_make_with_email_writes_and_sends(runner, library, tmp_path):
    with smtp_server() as (port, inbox):
        clinic = clinic_with(library, port)
        result = runner.invoke(main, ["make", "Ana Lima", "-o", str(tmp_path / "o"), "--clinic", str(clinic), "--email", "ana@example.com"])
    assert result.exit_code == 0, result.output
    written = Path(result.stdout.strip())
    assert next(inbox.messages[0].iter_attachments()).get_content() == written.read_bytes()


def test_make_with_a_bad_address_writes_nothing(runner, tmp_path):
    result = runner.invoke(main, ["make", "Ana Lima", "-o", str(tmp_path / "o"), "--email", "ana@"])
    assert result.exit_code == 2
    assert not (tmp_path / "o").exists()


def test_batch_emails_every_row_reports_failures_and_a_rerun_skips_the_sent(runner, library, tmp_path):
    roster = tmp_path / "workshop.csv"
    roster.write_text(
        f"name,email\nAna Lima,ana@example.com\nBo Chen,\nCy Diaz,{REFUSED}\nDee Eck,dee@example.com\nEd Fox,ed@\n", encoding="utf-8"
    )
    out = tmp_path / "o"
    with smtp_server() as (port, inbox):
        clinic = clinic_with(library, port)
        args = ["batch", str(roster), "-o", str(out), "--clinic", str(clinic), "--email"]
        first = runner.invoke(main, args)
        assert first.exit_code == 1
        assert f"{roster}:4: email to {REFUSED} failed: " in first.stderr
        assert f'{roster}:6: email to ed@ failed: "ed@" is not an email address' in first.stderr
        assert first.stderr.strip().splitlines()[-1] == "5 written, 2 emailed, 1 not emailed (no address), 2 failed"
        assert f"{roster}:3: not emailed: no address in the email column" in first.stderr
        assert sorted(r[0] for r in inbox.recipients) == ["ana@example.com", "dee@example.com"]
        for message in inbox.messages:
            (attachment,) = list(message.iter_attachments())
            assert attachment.get_content() == (out / attachment.get_filename()).read_bytes()
        second = runner.invoke(main, args)
        assert (
            second.stderr.strip().splitlines()[-1]
            == "0 written, 5 skipped (unchanged), 0 emailed, 2 already emailed, 1 not emailed (no address), 2 failed"
        )
        assert len(inbox.messages) == 2


def test_batch_email_without_mail_settings_stops_before_making_anything(runner, tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text("name,email\nAna Lima,ana@example.com\n", encoding="utf-8")
    result = runner.invoke(main, ["batch", str(roster), "-o", str(tmp_path / "o"), "--email"])
    assert result.exit_code == 1
    assert "no [email] table" in result.stderr
    assert not (tmp_path / "o").exists()


def test_an_existing_draft_is_not_overwritten(runner, handout, library, tmp_path):
    draft = tmp_path / "zoe.eml"
    draft.write_text("the PT's edited draft")
    result = send(runner, handout, clinic_with(library, 1), "--eml", str(draft))
    assert result.exit_code == 0, result.output
    assert draft.read_text() == "the PT's edited draft"
    assert f"written to {tmp_path / 'zoe-2.eml'}" in result.stderr
    assert b"To: zoe@example.com" in (tmp_path / "zoe-2.eml").read_bytes()


def test_a_draft_opens_as_a_message_to_send_and_always_has_a_sender(runner, handout, tmp_path):
    draft = tmp_path / "zoe.eml"
    result = runner.invoke(main, ["email", str(handout), "--to", "zoe@example.com", "--eml", str(draft)])
    assert result.exit_code == 0, result.output
    message = message_from_bytes(draft.read_bytes(), policy=policy.default)
    assert message["X-Unsent"] == "1"
    assert message["From"] == "Zenith Performance Physical Therapy <no-sender-set@invalid>"
    assert message["To"] == "zoe@example.com"
    assert "562-502-1767" in message.get_body(("plain",)).get_content()


def test_a_server_without_login_is_named_as_such_not_as_missing_starttls(runner, handout, library):
    with smtp_server() as (port, inbox):  # plain SMTP on loopback, no AUTH offered
        clinic = clinic_with(library, port, "none", f'username = "{USER}"\n')
        result = send(runner, handout, clinic, env={"HANDOUTS_SMTP_PASSWORD": PASSWORD})
    assert result.exit_code == 1
    assert f"mail server localhost:{port} offers no login" in result.stderr
    assert "STARTTLS" not in result.stderr
    assert inbox.messages == []


def test_the_same_file_is_not_sent_to_the_same_address_twice_without_resend(runner, handout, library):
    with smtp_server() as (port, inbox):
        clinic = clinic_with(library, port)
        assert send(runner, handout, clinic).exit_code == 0
        again = send(runner, handout, clinic)
        assert again.exit_code == 1
        assert f"{handout.name} was already sent to zoe@example.com" in again.stderr and "--resend" in again.stderr
        assert len(inbox.messages) == 1
        assert send(runner, handout, clinic, "--resend").exit_code == 0
        assert len(inbox.messages) == 2
