"""The firm's signing identity: an EC P-256 key and its X.509 certificate.

The private key is kept in the store as encrypted PKCS#8; its passphrase is
never written in clear. It comes from ``AUDITDESK_SIGNING_PASSPHRASE`` when set
(scripts, CI), else from the OS keyring, else the caller's prompt; where no
secure keyring exists (a headless Linux without Secret Service) a typed
passphrase is kept in this process's memory only.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from auditdesk import trail
from auditdesk.errors import AuditDeskError, NotFoundError, ValidationError
from auditdesk.services._common import engagement_record, engagement_row, require_text
from auditdesk.storage.schema import PersonRow, SigningIdentityRow
from auditdesk.storage.uow import SqlUnitOfWork

PASSPHRASE_ENV = "AUDITDESK_SIGNING_PASSPHRASE"
KEYRING_SERVICE = "AuditDesk signing"
MIN_PASSPHRASE = 8
CERTIFICATE_YEARS = 3

#: Asks the user for a passphrase (the sentence says what for); None when nobody can answer.
Prompt = Callable[[str], "str | None"]

# Typed passphrases where no secure keyring exists: this process only, by fingerprint.
_session_passphrases: dict[str, str] = {}


class SigningError(AuditDeskError):
    """The report cannot be signed (no identity, wrong passphrase, not a partner)."""


@dataclass(frozen=True, slots=True)
class SigningIdentity:
    subject: str
    fingerprint: str  # SHA-256 of the certificate (hex)
    not_after: str
    certificate_pem: str
    self_signed: bool
    created_at: str
    created_by: str


@dataclass(frozen=True, slots=True)
class SigningMaterial:
    """An unlocked key for one signing: kept in memory, never stored."""

    key_der: bytes = field(repr=False)  # PKCS#8, unencrypted
    certificate_der: bytes
    chain_der: tuple[bytes, ...]
    signer_name: str  # the certificate's common name
    firm: str
    location: str


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


# ---- the passphrase -----------------------------------------------------------------------


def _secure_keyring() -> Any | None:
    """The OS keyring, or None where only an insecure or failing backend exists."""
    import keyring

    try:
        backend = keyring.get_keyring()
    except Exception:  # noqa: BLE001 - a broken keyring configuration means: no keyring
        return None
    if type(backend).__module__.startswith(("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")):
        return None
    return backend


def _keyring_get(fingerprint: str) -> str | None:
    backend = _secure_keyring()
    if backend is None:
        return None
    try:
        value = backend.get_password(KEYRING_SERVICE, fingerprint)
    except Exception:  # noqa: BLE001 - a locked or failing keyring: ask instead
        return None
    return None if value is None else str(value)


def remember_passphrase(fingerprint: str, passphrase: str) -> str:
    """Keep the passphrase in the OS keyring, or in memory where none is secure; says where."""
    backend = _secure_keyring()
    if backend is not None:
        try:
            backend.set_password(KEYRING_SERVICE, fingerprint, passphrase)
        except Exception:  # noqa: BLE001 - fall back to memory
            pass
        else:
            return "keyring"
    _session_passphrases[fingerprint] = passphrase
    return "memory"


def forget_passphrase(fingerprint: str) -> None:
    _session_passphrases.pop(fingerprint, None)
    backend = _secure_keyring()
    if backend is not None:
        with contextlib.suppress(Exception):
            backend.delete_password(KEYRING_SERVICE, fingerprint)


def known_passphrase(fingerprint: str) -> tuple[str, str] | None:
    """The passphrase and where it came from (env, memory, keyring), without asking anyone."""
    env = os.environ.get(PASSPHRASE_ENV)
    if env:
        return env, "env"
    if fingerprint in _session_passphrases:
        return _session_passphrases[fingerprint], "memory"
    stored = _keyring_get(fingerprint)
    if stored:
        return stored, "keyring"
    return None


def new_passphrase(prompt: Prompt | None) -> str:
    """The passphrase for a new key: the environment's, else one the user types."""
    passphrase = os.environ.get(PASSPHRASE_ENV) or (prompt("Passphrase for the new signing key") if prompt else None)
    if not passphrase:
        raise SigningError(
            f"A signing key needs a passphrase: set {PASSPHRASE_ENV} or run the command at a terminal to type one."
        )
    if len(passphrase) < MIN_PASSPHRASE:
        raise SigningError(f"The signing passphrase must be at least {MIN_PASSPHRASE} characters long.")
    return passphrase


# ---- the identity -------------------------------------------------------------------------


def _fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def _identity(row: SigningIdentityRow) -> SigningIdentity:
    cert = x509.load_pem_x509_certificate(row.certificate_pem.encode())
    return SigningIdentity(
        subject=row.subject,
        fingerprint=row.fingerprint,
        not_after=row.not_after,
        certificate_pem=row.certificate_pem,
        self_signed=cert.issuer == cert.subject,
        created_at=row.created_at,
        created_by=row.created_by,
    )


def _store_identity(
    uow: SqlUnitOfWork,
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey,
    cert: x509.Certificate,
    chain: list[x509.Certificate],
    passphrase: str,
    action: str,
) -> SigningIdentity:
    fingerprint = _fingerprint(cert)
    if uow.session.scalar(select(SigningIdentityRow.id).where(SigningIdentityRow.fingerprint == fingerprint)):
        raise ValidationError("This certificate is already the store's signing identity or was used before.")
    for old in uow.session.scalars(select(SigningIdentityRow).where(SigningIdentityRow.active.is_(True))):
        old.active = False
    row = SigningIdentityRow(
        subject=cert.subject.rfc4514_string(),
        fingerprint=fingerprint,
        not_after=cert.not_valid_after_utc.isoformat(timespec="seconds"),
        certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
        chain_pem="".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in chain),
        encrypted_key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(passphrase.encode()),
        ).decode(),
        active=True,
        created_at=_now(),
        created_by=uow.actor,
    )
    uow.session.add(row)
    uow.session.flush()
    identity = _identity(row)
    trail.record(
        uow,
        action,
        "signing_identity",
        fingerprint,
        after={"subject": identity.subject, "fingerprint": fingerprint, "not_after": identity.not_after},
    )
    return identity


def create_signing_identity(
    uow: SqlUnitOfWork, *, firm: str, signer: str, passphrase: str, years: int = CERTIFICATE_YEARS
) -> SigningIdentity:
    """Make a new EC P-256 key and a self-signed certificate naming the firm and the signing partner."""
    firm = require_text(firm, "firm name")
    signer = require_text(signer, "signer's name")
    if len(passphrase) < MIN_PASSPHRASE:
        raise SigningError(f"The signing passphrase must be at least {MIN_PASSPHRASE} characters long.")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, signer), x509.NameAttribute(NameOID.ORGANIZATION_NAME, firm)]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    with uow:
        identity = _store_identity(uow, key, cert, [], passphrase, "signing.create")
        uow.commit()
    remember_passphrase(identity.fingerprint, passphrase)
    return identity


def import_signing_identity(
    uow: SqlUnitOfWork, p12: bytes, *, password: str, passphrase: str | None = None
) -> SigningIdentity:
    """Take the firm's key and certificate from a PKCS#12 file issued by its CA.

    ``password`` opens the file; the key is kept encrypted under ``passphrase``
    (the same as the file's password when not given).
    """
    passphrase = passphrase or password
    if len(passphrase) < MIN_PASSPHRASE:
        raise SigningError(f"The signing passphrase must be at least {MIN_PASSPHRASE} characters long.")
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(p12, password.encode() if password else None)
    except ValueError:
        raise SigningError(
            "The PKCS#12 file could not be opened: the password is wrong or the file is damaged."
        ) from None
    if key is None or cert is None:
        raise SigningError("The PKCS#12 file holds no private key with its certificate.")
    if not isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
        raise SigningError("The PKCS#12 file's key is neither an EC nor an RSA key; PDF signing needs one of them.")
    with uow:
        identity = _store_identity(uow, key, cert, list(extra or []), passphrase, "signing.import")
        uow.commit()
    remember_passphrase(identity.fingerprint, passphrase)
    return identity


def signing_identity(uow: SqlUnitOfWork) -> SigningIdentity | None:
    """The store's active signing identity, or None before one is created or imported."""
    with uow:
        row = uow.session.scalars(
            select(SigningIdentityRow).where(SigningIdentityRow.active.is_(True)).order_by(SigningIdentityRow.id.desc())
        ).first()
        return None if row is None else _identity(row)


def can_sign(uow: SqlUnitOfWork, engagement: str | int, actor: str) -> str:
    """Empty when ``actor`` may sign the engagement's reports, else the sentence why not."""
    with uow:
        eng = engagement_record(engagement_row(uow, engagement))
    partners = [m.initials for m in eng.team if m.role.value == "partner"]
    if actor in partners:
        return ""
    who = ", ".join(partners) or "nobody yet: assign a partner to the team"
    return f"Only a partner on the engagement signs its reports ({who}); you are acting as {actor or 'nobody'}."


def signing_material(
    uow: SqlUnitOfWork, engagement: str | int, actor: str, *, prompt: Prompt | None = None
) -> SigningMaterial:
    """Unlock the firm's key for ``actor``, a partner on the engagement, to sign one of its reports."""
    with uow:
        refusal = can_sign(uow, engagement, actor)
        if refusal:
            raise SigningError(refusal)
        row = uow.session.scalars(
            select(SigningIdentityRow).where(SigningIdentityRow.active.is_(True)).order_by(SigningIdentityRow.id.desc())
        ).first()
        if row is None:
            raise NotFoundError(
                "This store has no signing identity yet; create one with 'auditdesk signing-identity create' "
                "or import the firm's PKCS#12 file."
            )
        from auditdesk.services.engagements import get_firm

        firm = get_firm(uow)
        partner = uow.session.scalar(select(PersonRow.name).where(PersonRow.initials == actor))
        encrypted = row.encrypted_key_pem.encode()
        cert = x509.load_pem_x509_certificate(row.certificate_pem.encode())
        chain = x509.load_pem_x509_certificates(row.chain_pem.encode()) if row.chain_pem.strip() else []
        fingerprint = row.fingerprint
    known = known_passphrase(fingerprint)
    if known is None:
        typed = prompt("Passphrase of the signing key") if prompt else None
        if not typed:
            raise SigningError(
                f"The signing key's passphrase is needed: set {PASSPHRASE_ENV}, or sign from the app or a terminal."
            )
        known = (typed, "prompt")
    passphrase, source = known
    try:
        key = serialization.load_pem_private_key(encrypted, passphrase.encode())
    except (ValueError, TypeError):
        if source in ("keyring", "memory"):
            forget_passphrase(fingerprint)
        raise SigningError("The signing passphrase is wrong; the report was not signed.") from None
    if source == "prompt":
        remember_passphrase(fingerprint, passphrase)
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    signer = str(names[0].value) if names else (partner or actor)
    return SigningMaterial(
        key_der=key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        certificate_der=cert.public_bytes(serialization.Encoding.DER),
        chain_der=tuple(c.public_bytes(serialization.Encoding.DER) for c in chain),
        signer_name=signer,
        firm=firm.name if firm else "",
        location=firm.city if firm else "",
    )


__all__ = [
    "KEYRING_SERVICE",
    "PASSPHRASE_ENV",
    "Prompt",
    "SigningError",
    "SigningIdentity",
    "SigningMaterial",
    "can_sign",
    "create_signing_identity",
    "forget_passphrase",
    "import_signing_identity",
    "known_passphrase",
    "new_passphrase",
    "remember_passphrase",
    "signing_identity",
    "signing_material",
]
