"""Signed report PDFs: PAdES signatures that pyHanko and poppler's pdfsig accept, and that break when tampered."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import sqlite3
import subprocess
from pathlib import Path

import keyring
import keyring.backend
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from auditdesk import services
from auditdesk.services import signing
from auditdesk.storage.uow import Store
from tests.integration.report.conftest import ENG
from workpapers.pdf_signing import sign_pdf, verify_pdf
from workpapers.report_pdf import render_report

PASSPHRASE = "harbor-finch-2026"


def _identity(store: Store) -> services.SigningIdentity:
    return services.create_signing_identity(
        store.uow("DW"), firm="Harbor & Finch LLP", signer="Dana Whitfield", passphrase=PASSPHRASE
    )


def _signed(store: Store) -> tuple[bytes, services.SigningIdentity]:
    identity = _identity(store)
    material = services.signing_material(store.reader(), ENG, "DW")
    pdf = render_report(services.report_data(store.reader(), ENG, by="DW"))
    return sign_pdf(pdf, material), identity


def test_signed_report_validates_with_the_firm_certificate_as_trust_root(rstore: Store) -> None:
    signed, identity = _signed(rstore)
    result = verify_pdf(signed, trust=identity.certificate_pem.encode())
    assert result.ok, result.problem
    assert (result.intact, result.valid, result.trusted, result.covers_whole_file) == (True, True, True, True)
    assert result.signer == "Dana Whitfield"
    assert result.signing_time.startswith(str(dt.date.today().year))
    assert result.content_digest == services.engagement_digest(rstore.reader(), ENG)
    # Without a trust root the signature is intact and valid, but nobody vouches for the signer.
    untrusted = verify_pdf(signed)
    assert (untrusted.intact, untrusted.valid, untrusted.trusted) == (True, True, False)
    # The certificate names the firm and the partner; the key is P-256.
    cert = x509.load_pem_x509_certificate(identity.certificate_pem.encode())
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Harbor & Finch LLP"
    key = cert.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    assert key.curve.name == "secp256r1"


def test_flipping_one_byte_fails_verification(rstore: Store) -> None:
    signed, identity = _signed(rstore)
    tampered = bytearray(signed)
    # A byte inside the signed page content, well before the signature.
    tampered[len(signed) // 3] ^= 0x01
    result = verify_pdf(bytes(tampered), trust=identity.certificate_pem.encode())
    assert not result.ok
    assert not result.intact
    assert not result.valid
    assert result.problem.endswith(".")
    assert "altered" in result.problem or "damaged" in result.problem


def test_an_incremental_update_that_edits_a_page_is_reported(rstore: Store) -> None:
    signed, identity = _signed(rstore)
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    page = writer.root["/Pages"]["/Kids"][2].get_object()
    extra = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 30 Tf 100 300 Td (Unmodified opinion) Tj ET"))
    contents = page["/Contents"]
    page["/Contents"] = generic.ArrayObject([*contents, extra] if isinstance(contents, list) else [contents, extra])
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    result = verify_pdf(out.getvalue(), trust=identity.certificate_pem.encode())
    assert result.intact
    assert result.trusted
    assert not result.covers_whole_file
    assert result.modified_after_signing
    assert result.modification == "other"
    assert not result.ok
    assert "changed after it was signed" in result.problem


@pytest.mark.skipif(shutil.which("pdfsig") is None, reason="poppler-utils (pdfsig) is not installed")
def test_pdfsig_reports_the_signature_valid(rstore: Store, tmp_path: Path) -> None:
    signed, _identity_ = _signed(rstore)
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False, timeout=60)
    assert "Signature Validation: Signature is Valid." in out.stdout, out.stdout + out.stderr
    assert "Total document signed" in out.stdout


def test_only_a_partner_on_the_engagement_signs(rstore: Store) -> None:
    _identity(rstore)
    with pytest.raises(signing.SigningError, match="Only a partner on the engagement signs its reports"):
        services.signing_material(rstore.reader(), ENG, "PR")
    assert services.can_sign(rstore.reader(), ENG, "DW") == ""


def test_passphrase_comes_from_env_then_keyring_then_prompt(
    rstore: Store, monkeypatch: pytest.MonkeyPatch, memory_keyring: keyring.backend.KeyringBackend
) -> None:
    identity = _identity(rstore)
    # Created: kept in the (test's in-memory) keyring, never in the store.
    assert memory_keyring.get_password(signing.KEYRING_SERVICE, identity.fingerprint) == PASSPHRASE
    asked: list[str] = []

    def prompt(question: str) -> str | None:
        asked.append(question)
        return PASSPHRASE

    services.signing_material(rstore.reader(), ENG, "DW", prompt=prompt)
    assert asked == []  # the keyring answered
    monkeypatch.setenv(signing.PASSPHRASE_ENV, "not-the-passphrase")
    with pytest.raises(signing.SigningError, match="passphrase is wrong"):
        services.signing_material(rstore.reader(), ENG, "DW", prompt=prompt)
    monkeypatch.delenv(signing.PASSPHRASE_ENV)
    memory_keyring.delete_password(signing.KEYRING_SERVICE, identity.fingerprint)
    services.signing_material(rstore.reader(), ENG, "DW", prompt=prompt)
    assert asked == ["Passphrase of the signing key"]
    signing.forget_passphrase(identity.fingerprint)
    with pytest.raises(signing.SigningError, match="passphrase is needed"):
        services.signing_material(rstore.reader(), ENG, "DW", prompt=None)


def test_without_a_secure_keyring_a_typed_passphrase_stays_in_memory(rstore: Store) -> None:
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        identity = _identity(rstore)
        assert signing.known_passphrase(identity.fingerprint) == (PASSPHRASE, "memory")
        signing.forget_passphrase(identity.fingerprint)
        material = services.signing_material(rstore.reader(), ENG, "DW", prompt=lambda _q: PASSPHRASE)
        assert material.signer_name == "Dana Whitfield"
        assert signing.known_passphrase(identity.fingerprint) == (PASSPHRASE, "memory")
    finally:
        signing.forget_passphrase(identity.fingerprint)
        keyring.set_keyring(previous)


def test_the_key_is_stored_encrypted_and_the_passphrase_nowhere(rstore: Store) -> None:
    _identity(rstore)
    path = Path(rstore.location.label)
    rstore.close()
    with sqlite3.connect(path) as db:
        (key_pem,) = db.execute("select encrypted_key_pem from signing_identity").fetchone()
    assert key_pem.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    for name in (path, path.with_name(path.name + "-wal")):
        if name.exists():
            assert PASSPHRASE.encode() not in name.read_bytes()


def _ca_and_p12(password: str) -> tuple[bytes, bytes]:
    """A firm CA and a PKCS#12 file holding a partner's key and CA-issued certificate."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Harbor & Finch Signing CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Dana Whitfield"),
                                 x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Harbor & Finch LLP")]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    p12 = pkcs12.serialize_key_and_certificates(
        b"partner", key, leaf, [ca], serialization.BestAvailableEncryption(password.encode())
    )
    return ca.public_bytes(serialization.Encoding.PEM), p12


def test_imported_pkcs12_signs_and_chains_to_the_firm_ca(rstore: Store) -> None:
    ca_pem, p12 = _ca_and_p12(PASSPHRASE)
    with pytest.raises(signing.SigningError, match="password is wrong"):
        services.import_signing_identity(rstore.uow("DW"), p12, password="wrong-password")
    identity = services.import_signing_identity(rstore.uow("DW"), p12, password=PASSPHRASE)
    assert not identity.self_signed
    material = services.signing_material(rstore.reader(), ENG, "DW")
    signed = sign_pdf(render_report(services.report_data(rstore.reader(), ENG)), material)
    result = verify_pdf(signed, trust=ca_pem)
    assert result.ok
    assert result.trusted
    assert result.signer == "Dana Whitfield"
