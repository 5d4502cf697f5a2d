"""The demo engagement, built as a progress job for the worker."""

from __future__ import annotations

from collections.abc import Generator

from auditdesk import demo, services
from auditdesk.progress import Progress


def build_demo_job(*, store: services.Store, actor: str | None) -> Generator[Progress, None, str]:
    """Yield the demo builder's progress and return the new engagement's ref."""
    import workpapers.report_pdf  # noqa: F401 - loads the report writer, so the demo gets a draft report version

    last = Progress(0, 0, "")
    for last in demo.iter_build_demo(store, actor):
        yield last
    # The builder's last step carries the new engagement's reference as its label.
    return last.label
