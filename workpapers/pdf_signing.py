"""Signing a report PDF (PAdES B-B, pyHanko) and verifying a signed one.

The key arrives unlocked in a :class:`auditdesk.services.signing.SigningMaterial`
and stays in memory. The visible signature goes where the report's layout put
its signature block (the ``AuditDeskSignatureBox`` document property).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from dataclasses import dataclass

from asn1crypto import keys as asn1_keys  # type: ignore[import-untyped]
from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigFieldSpec, SigSeedSubFilter, append_signature_field
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from auditdesk.errors import FileFormatError
from auditdesk.services.signing import SigningMaterial
from workpapers.report_pdf import INFO_SIGNATURE_BOX, document_info

FIELD_NAME = "AuditorSignature"
# pyHanko logs every untrusted path at ERROR level; verification reports it in its own words.
logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)


def _signature_box(pdf: bytes, pages: int) -> tuple[int, tuple[float, float, float, float]]:
    """The page and box of the report's signature block; the last page's foot when it has none."""
    value = document_info(pdf).get(INFO_SIGNATURE_BOX, "")
    parts = value.split()
    if len(parts) == 5:
        try:
            page = int(parts[0])
            x1, y1, x2, y2 = (float(p) for p in parts[1:])
        except ValueError:
            pass
        else:
            if 0 <= page < pages:
                return page, (x1, y1, x2, y2)
    return pages - 1, (72.0, 90.0, 302.0, 148.0)


def sign_pdf(pdf: bytes, material: SigningMaterial, *, reason: str = "Service auditor's report") -> bytes:
    """The PDF with a visible PAdES B-B signature by ``material``'s certificate, as an incremental update."""
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        pages = int(writer.root["/Pages"]["/Count"])
    except (PdfError, KeyError, ValueError) as exc:
        raise FileFormatError(f"The report could not be read as a PDF to sign it ({exc}).") from None
    page, box = _signature_box(pdf, pages)
    x1, y1, x2, y2 = (round(v) for v in box)
    append_signature_field(writer, SigFieldSpec(FIELD_NAME, on_page=page, box=(x1, y1, x2, y2)))
    cert = asn1_x509.Certificate.load(material.certificate_der)
    chain = [asn1_x509.Certificate.load(c) for c in material.chain_der]
    signer = signers.SimpleSigner(
        signing_cert=cert,
        signing_key=asn1_keys.PrivateKeyInfo.load(material.key_der),
        cert_registry=SimpleCertificateStore.from_certs([cert, *chain]),  # type: ignore[no-untyped-call]
    )
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=material.location or None,
        name=material.signer_name,
    )
    firm = f"\n{material.firm}" if material.firm else ""
    style = TextStampStyle(stamp_text=f"Digitally signed by %(signer)s{firm}\n%(ts)s", border_width=1)
    try:
        out = signers.PdfSigner(meta, signer=signer, stamp_style=style).sign_pdf(writer)
    except PyHankoSigningError as exc:
        raise FileFormatError(f"The report could not be signed ({exc}).") from None
    signed: bytes = out.getvalue()
    return signed


@dataclass(frozen=True, slots=True)
class PdfVerification:
    """What a check of a signed PDF found; ``problem`` is one sentence, empty when all is well."""

    signed: bool
    intact: bool
    valid: bool  # intact and cryptographically valid (and trusted, when a trust root was given)
    trusted: bool  # the signer's certificate chains to the given trust root
    signer: str
    signing_time: str
    covers_whole_file: bool
    modified_after_signing: bool  # a later incremental update changed the document beyond signatures
    modification: str  # none | signatures | form filling | other
    content_digest: str
    trail_head: str
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem

    def document(self) -> dict[str, object]:
        return {
            "intact": self.intact,
            "valid": self.valid,
            "trusted": self.trusted,
            "signer": self.signer,
            "signing_time": self.signing_time,
            "covers_whole_file": self.covers_whole_file,
            "modified_after_signing": self.modified_after_signing,
            "modification": self.modification,
            "content_digest": self.content_digest,
            "trail_head": self.trail_head,
            "problem": self.problem,
        }


def load_certificate(data: bytes) -> asn1_x509.Certificate:
    """A certificate from PEM or DER bytes."""
    try:
        if asn1_pem.detect(data):
            _type, _headers, data = asn1_pem.unarmor(data)
        cert = asn1_x509.Certificate.load(data)
        cert.native  # noqa: B018 - parses the whole structure now, not at first use
    except (ValueError, TypeError) as exc:
        raise FileFormatError(f"The trust certificate could not be read as PEM or DER ({exc}).") from None
    return cert


def _failed(problem: str, *, signed: bool = False) -> PdfVerification:
    return PdfVerification(signed, False, False, False, "", "", False, False, "", "", "", problem)


def verify_pdf(pdf: bytes, *, trust: bytes | None = None) -> PdfVerification:
    """Check the PDF's (last) signature; with ``trust`` (a certificate) also its chain of trust."""
    root = load_certificate(trust) if trust is not None else None
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_regular_signatures
    except Exception:  # noqa: BLE001 - any damage to the file's structure is a failed check
        return _failed("The file is damaged: it can no longer be read as the PDF that was signed.")
    if not signatures:
        return _failed("The file carries no digital signature.")
    embedded = signatures[-1]
    # No trust root given: nothing is trusted (never the operating system's list behind the user's back).
    context = ValidationContext(trust_roots=[root] if root is not None else [])
    try:
        status = validate_pdf_signature(embedded, context)
    except Exception:  # noqa: BLE001 - a signature pyHanko cannot even evaluate is broken
        return _failed("The signature cannot be evaluated: the file was altered or damaged.", signed=True)
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    level = status.modification_level
    modification = {
        None: "unknown",
        ModificationLevel.NONE: "none",
        ModificationLevel.LTA_UPDATES: "signatures",
        ModificationLevel.FORM_FILLING: "form filling",
        ModificationLevel.ANNOTATIONS: "annotations",
        ModificationLevel.OTHER: "other",
    }.get(level, "other")
    modified = level not in (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES)
    covers = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    trusted = bool(status.trusted) if root is not None else False
    valid = bool(status.intact and status.valid and (trusted or root is None))
    names = status.signing_cert.subject.native
    signer = str(names.get("common_name") or status.signing_cert.subject.human_friendly)
    when = status.signer_reported_dt
    info = document_info(pdf) if status.intact else {}
    problem = ""
    if not status.intact:
        problem = "The signed content was altered: the document no longer matches its signature."
    elif not status.valid:
        problem = "The signature itself is not valid for the signer's certificate."
    elif root is not None and not trusted:
        problem = "The signer's certificate does not chain to the trusted certificate given."
    elif modified:
        problem = "The document was changed after it was signed: a later update modified its content."
    return PdfVerification(
        signed=True,
        intact=bool(status.intact),
        valid=valid,
        trusted=trusted,
        signer=signer,
        signing_time=when.astimezone(dt.UTC).isoformat(timespec="seconds") if when else "",
        covers_whole_file=covers,
        modified_after_signing=modified,
        modification=modification,
        content_digest=info.get("AuditDeskContentDigest", ""),
        trail_head=info.get("AuditDeskTrailHead", ""),
        problem=problem,
    )


__all__ = ["FIELD_NAME", "PdfVerification", "load_certificate", "sign_pdf", "verify_pdf"]
