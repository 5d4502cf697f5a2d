"""Everything the Excel workpapers show for one engagement, read in one transaction.

The workpaper writers never open the store: the command line and the window
read this bundle of frozen records and hand it over.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from auditdesk.domain import Control, Coverage, Engagement
from auditdesk.services.conclusions import CompensationRecord, EngagementConclusions, engagement_conclusions
from auditdesk.services.conclusions import list_compensations as _compensations
from auditdesk.services.controls import coverage as _coverage
from auditdesk.services.controls import list_controls
from auditdesk.services.engagements import get_engagement, get_firm
from auditdesk.services.populations import Population, PopulationExclusion, list_exclusions, list_populations
from auditdesk.services.samples import Sample, list_samples
from auditdesk.services.testing import ExceptionRecord, Result, Tickmark, list_exceptions, list_results, list_tickmarks
from auditdesk.services.walkthroughs import DesignStatus, design_status
from auditdesk.storage.uow import SqlUnitOfWork

__all__ = ["EngagementWorkpapers", "SampleResults", "engagement_workpapers"]


@dataclass(frozen=True, slots=True)
class SampleResults:
    sample: Sample
    results: tuple[Result, ...]


@dataclass(frozen=True, slots=True)
class EngagementWorkpapers:
    """One engagement's controls, mapping, design, samples, results, exceptions and conclusions."""

    engagement: Engagement
    firm: str
    controls: tuple[Control, ...]
    design: Mapping[str, DesignStatus]
    coverage: Coverage
    conclusions: EngagementConclusions
    exceptions: tuple[ExceptionRecord, ...]
    compensations: tuple[CompensationRecord, ...]
    populations: tuple[Population, ...]
    samples: tuple[SampleResults, ...]
    tickmarks: tuple[Tickmark, ...]
    #: population id -> the rows left out of its sampling frame, with reason, who and when
    exclusions: Mapping[int, tuple[PopulationExclusion, ...]] = field(default_factory=dict)

    @property
    def live_controls(self) -> tuple[Control, ...]:
        return tuple(c for c in self.controls if not c.retired)


def engagement_workpapers(uow: SqlUnitOfWork, engagement: str | int) -> EngagementWorkpapers:
    """Read what the workpapers show, all from one consistent view of the store."""
    with uow:
        eng = get_engagement(uow, engagement)
        firm = get_firm(uow)
        samples = list_samples(uow, eng.ref)
        populations = list_populations(uow, eng.ref)
        return EngagementWorkpapers(
            engagement=eng,
            firm=firm.name if firm is not None else "",
            controls=list_controls(uow, eng.ref),
            design=design_status(uow, eng.ref),
            coverage=_coverage(uow, eng.ref),
            conclusions=engagement_conclusions(uow, eng.ref),
            exceptions=list_exceptions(uow, eng.ref),
            compensations=_compensations(uow, eng.ref),
            populations=populations,
            samples=tuple(SampleResults(s, list_results(uow, eng.ref, s.id)) for s in samples),
            tickmarks=list_tickmarks(uow),
            exclusions={p.id: list_exclusions(uow, eng.ref, p.id) for p in populations if p.excluded},
        )
