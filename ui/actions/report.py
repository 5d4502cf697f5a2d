"""Report actions: generate, sign and verify report versions; Qt-free jobs for the worker."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

from auditdesk import services
from auditdesk.errors import FileFormatError
from auditdesk.progress import Progress
from auditdesk.services import report, signing
from ui.context import AppContext
from workpapers import pdf_signing
from workpapers.report_pdf import render_report


def list_versions(*, ctx: AppContext) -> tuple[report.ReportVersion, ...]:
    return report.list_report_versions(ctx.store.reader(), ctx.engagement_ref)


def version_pdf(*, ctx: AppContext, version: int) -> bytes:
    return report.report_pdf(ctx.store.reader(), ctx.engagement_ref, version)


def sign_refusal(*, ctx: AppContext) -> str:
    """Empty when the acting person may sign this engagement's reports, else why not."""
    refusal = signing.can_sign(ctx.store.reader(), ctx.engagement_ref, ctx.actor)
    if refusal:
        return refusal
    if signing.signing_identity(ctx.store.reader()) is None:
        return "This store has no signing identity yet; create one with 'auditdesk signing-identity create'."
    return ""


def passphrase_needed(*, ctx: AppContext) -> bool:
    """Whether signing must ask for the key's passphrase (no environment value, keyring or session copy)."""
    identity = signing.signing_identity(ctx.store.reader())
    return identity is not None and signing.known_passphrase(identity.fingerprint) is None


def generate_job(
    *, store: services.Store, actor: str, engagement: str, kind: str, sign: bool = False, passphrase: str | None = None
) -> Generator[Progress, None, report.GeneratedReport]:
    """Generate (and optionally sign) a new report version; Cancel before the end records nothing."""
    signer = None
    if sign:
        material = signing.signing_material(store.reader(), engagement, actor, prompt=lambda _q: passphrase)

        def signer(pdf: bytes) -> tuple[bytes, str]:
            return pdf_signing.sign_pdf(pdf, material), material.signer_name

    return (
        yield from report.iter_generate_report(
            store, actor, engagement, render=render_report, kind=kind, sign=signer, file_name=f"{engagement}.pdf"
        )
    )


def sign_version_job(
    *, store: services.Store, actor: str, engagement: str, version: int, passphrase: str | None = None
) -> Generator[Progress, None, report.GeneratedReport]:
    """Sign an existing version as a new version; refused when the engagement changed since it was made."""
    yield Progress(0, 3, "Checking the version")
    provenance = report.current_provenance(store.reader(), engagement, version)
    pdf = report.report_pdf(store.reader(), engagement, version)
    material = signing.signing_material(store.reader(), engagement, actor, prompt=lambda _q: passphrase)
    yield Progress(1, 3, "Signing the report")
    signed = pdf_signing.sign_pdf(pdf, material)
    yield Progress(2, 3, "Recording the signed version")
    recorded = report.record_report_version(
        store.uow(actor), engagement, signed, provenance, signed=True, signer=material.signer_name,
        file_name=f"{engagement}-signed.pdf",
    )
    yield Progress(3, 3, f"Version {recorded.version} recorded")
    return report.GeneratedReport(recorded, signed)


def verify_version(*, ctx: AppContext, version: int) -> pdf_signing.PdfVerification:
    """Check a version's PDF, trusting the store's signing certificate."""
    pdf = version_pdf(ctx=ctx, version=version)
    identity = signing.signing_identity(ctx.store.reader())
    trust = identity.certificate_pem.encode() if identity is not None else None
    return pdf_signing.verify_pdf(pdf, trust=trust)


def save_version(*, ctx: AppContext, version: int, path: Path) -> Path:
    """Write a version's PDF to a file chosen by the user."""
    content = version_pdf(ctx=ctx, version=version)
    try:
        path.write_bytes(content)
    except OSError as exc:
        raise FileFormatError(f"{path} cannot be written ({exc.strerror or exc}).") from None
    return path
