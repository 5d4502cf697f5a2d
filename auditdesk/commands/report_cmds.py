"""Report commands: the PDF report, its signature, and the firm's signing identity."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import tempfile
from collections.abc import Generator
from pathlib import Path
from typing import Any, TypeVar

from auditdesk import services
from auditdesk.commands.registry import CommandFailed, Context, command
from auditdesk.errors import FileFormatError, ValidationError
from auditdesk.progress import Progress
from auditdesk.services import report, signing

T = TypeVar("T")


def _finish(generator: Generator[Progress, None, T]) -> T:
    """Run a progress generator to its end and return its result."""
    while True:
        try:
            next(generator)
        except StopIteration as stop:
            result: T = stop.value
            return result


def _prompt(question: str) -> str | None:
    """A passphrase typed at a terminal, kept in memory only; None when nobody is there to type."""
    if not sys.stdin.isatty():
        return None
    return getpass.getpass(f"{question}: ") or None


def _new_passphrase_prompt(question: str) -> str | None:
    first = _prompt(question)
    if first is None:
        return None
    if _prompt("Type it again") != first:
        raise ValidationError("The two passphrases typed differ; nothing was created.")
    return first


def _write_file(path: Path, content: bytes) -> None:
    """Write next to the target and rename, so a failed write never leaves half a PDF."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _output_path(text: str) -> Path:
    path = Path(text).expanduser()
    if not path.parent.is_dir():
        raise ValidationError(f"The folder {path.parent} does not exist; choose where to write the report.")
    if path.is_dir():
        raise ValidationError(f"{path} is a folder; give a file name such as report.pdf.")
    return path


def _report_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("engagement", metavar="ENG", help="engagement reference or id")
    parser.add_argument("-o", "--output", required=True, metavar="FILE", help="the PDF to write")
    parser.add_argument(
        "--type",
        dest="kind",
        choices=report.REPORT_KINDS,
        default="soc2",
        help="soc2 (the full report, default) or soc3 (general-use summary)",
    )
    parser.add_argument("--sign", action="store_true", help="sign the PDF with the firm's key (a partner only)")


@command("report", "write the SOC 2 (or SOC 3) report as PDF, optionally signed, and record the version")(_report_args)
def report_command(ctx: Context) -> None:
    # reportlab and pyHanko load only for the commands that use them.
    from workpapers import pdf_signing
    from workpapers.report_pdf import render_report

    a = ctx.args
    path = _output_path(a.output)
    sign = None
    if a.sign:
        material = signing.signing_material(ctx.store.reader(), a.engagement, ctx.actor, prompt=_prompt)

        def sign(pdf: bytes) -> tuple[bytes, str]:
            return pdf_signing.sign_pdf(pdf, material), material.signer_name

    generated = _finish(
        report.iter_generate_report(
            ctx.store, ctx.actor, a.engagement, render=render_report, kind=a.kind, sign=sign, file_name=path.name
        )
    )
    _write_file(path, generated.pdf)
    v = generated.version
    ctx.emit(
        {
            "path": str(path),
            "sha256": v.pdf_sha256,
            "signed": v.signed,
            "version": v.version,
            "kind": v.kind,
            "opinion": v.opinion,
            "draft": v.draft,
            "signer": v.signer,
        },
        f"Wrote {path} (version {v.version}, {'signed by ' + v.signer if v.signed else 'unsigned'}"
        f"{', draft' if v.draft else ''}); SHA-256 {v.pdf_sha256}",
    )


def _versions_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("engagement", metavar="ENG", help="engagement reference or id")


def _version_json(v: report.ReportVersion) -> dict[str, Any]:
    return {
        "version": v.version,
        "kind": v.kind,
        "opinion": v.opinion,
        "draft": v.draft,
        "signed": v.signed,
        "signer": v.signer,
        "sha256": v.pdf_sha256,
        "content_digest": v.content_digest,
        "trail_head": v.trail_head,
        "file_name": v.file_name,
        "created_at": v.created_at,
        "created_by": v.created_by,
    }


@command("reports", "list the report versions generated for an engagement")(_versions_args)
def reports(ctx: Context) -> None:
    versions = report.list_report_versions(ctx.store.reader(), ctx.args.engagement)

    def text() -> str:
        if not versions:
            return "No report has been generated for this engagement yet."
        return "\n".join(
            f"v{v.version:<3} {v.kind:<5} {v.opinion:<11} {'signed' if v.signed else 'unsigned':<8} "
            f"{'draft' if v.draft else 'final':<6} {v.created_at} {v.created_by:<4} {v.pdf_sha256[:16]}"
            for v in versions
        )

    ctx.emit([_version_json(v) for v in versions], text)


def _verify_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="the signed PDF")
    parser.add_argument("--trust", metavar="CERT", help="certificate (PEM or DER) to trust as the root")


def _read(path_text: str, what: str) -> bytes:
    path = Path(path_text).expanduser()
    try:
        return path.read_bytes()
    except OSError as exc:
        raise FileFormatError(f"The {what} {path} cannot be read ({exc.strerror or exc}).") from None


@command("verify-pdf", "check a signed report PDF: intact, valid, who signed, whether it was changed since")(
    _verify_args
)
def verify_pdf(ctx: Context) -> None:
    from workpapers import pdf_signing

    a = ctx.args
    pdf = _read(a.file, "file")
    trust = _read(a.trust, "certificate") if a.trust else None
    result = pdf_signing.verify_pdf(pdf, trust=trust)
    document = {"path": a.file, **result.document()}

    def text() -> str:
        lines = [
            f"Signed by:        {result.signer or '-'}",
            f"Signing time:     {result.signing_time or '-'}",
            f"Intact:           {'yes' if result.intact else 'no'}",
            f"Valid:            {'yes' if result.valid else 'no'}",
            f"Trusted:          {'yes' if result.trusted else 'no' if a.trust else 'not checked (no --trust)'}",
            f"Covers the file:  {'yes' if result.covers_whole_file else 'no'}",
            f"Changed since:    {'yes (' + result.modification + ')' if result.modified_after_signing else 'no'}",
        ]
        if result.content_digest:
            lines.append(f"Content digest:   {result.content_digest}")
        if result.trail_head:
            lines.append(f"Trail head:       {result.trail_head}")
        return "\n".join(lines)

    if not result.ok:
        raise CommandFailed(result.problem, document)
    ctx.emit(document, text)


def _identity_args(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="identity_action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="create a self-signed firm certificate with an EC P-256 key")
    create.add_argument("--firm", default="", help="the firm's name (default: the firm recorded in the store)")
    create.add_argument("--signer", default="", help="the signing partner's name (default: the acting person)")
    imported = actions.add_parser("import", help="import the firm's key and certificate from a PKCS#12 file")
    imported.add_argument("file", metavar="FILE.p12")
    show = actions.add_parser("show", help="show the signing certificate")
    show.add_argument("-o", "--cert-out", metavar="CERT", help="also write the certificate (PEM) to this file")


def _identity_json(identity: signing.SigningIdentity) -> dict[str, Any]:
    return {
        "subject": identity.subject,
        "fingerprint": identity.fingerprint,
        "not_after": identity.not_after,
        "self_signed": identity.self_signed,
    }


@command("signing-identity", "the firm's PDF signing key and certificate: create, import or show")(_identity_args)
def signing_identity(ctx: Context) -> None:
    a = ctx.args
    if a.identity_action == "create":
        firm = a.firm.strip() or _store_firm(ctx)
        signer = a.signer.strip() or _person_name(ctx)
        passphrase = signing.new_passphrase(_new_passphrase_prompt)
        identity = signing.create_signing_identity(
            ctx.store.uow(ctx.actor), firm=firm, signer=signer, passphrase=passphrase
        )
    elif a.identity_action == "import":
        p12 = _read(a.file, "PKCS#12 file")
        password = os.environ.get(signing.PASSPHRASE_ENV) or _prompt(f"Password of {a.file}")
        if not password:
            raise ValidationError(
                f"The PKCS#12 file's password is needed: set {signing.PASSPHRASE_ENV} or run at a terminal."
            )
        identity = signing.import_signing_identity(ctx.store.uow(ctx.actor), p12, password=password)
    else:
        found = signing.signing_identity(ctx.store.reader())
        if found is None:
            raise CommandFailed(
                "This store has no signing identity yet; 'auditdesk signing-identity create' makes one.",
                {"subject": None, "fingerprint": None, "not_after": None},
            )
        identity = found
        if a.cert_out:
            _write_file(_output_path(a.cert_out), identity.certificate_pem.encode())
    ctx.emit(
        _identity_json(identity),
        f"Subject:     {identity.subject}\nFingerprint: {identity.fingerprint}\nValid until: {identity.not_after}"
        + ("\n(self-signed)" if identity.self_signed else ""),
    )


def _store_firm(ctx: Context) -> str:
    firm = services.get_firm(ctx.store.reader())
    if firm is None or not firm.name.strip():
        raise ValidationError("The store has no firm name yet; give it with --firm.")
    return firm.name


def _person_name(ctx: Context) -> str:
    actor = ctx.actor
    for person in services.list_people(ctx.store.reader()):
        if person.initials == actor:
            return person.name
    raise ValidationError(f"{actor} is not on the firm's staff list; give the signing partner's name with --signer.")
