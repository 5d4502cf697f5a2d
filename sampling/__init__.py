"""AuditDesk sampling: exact sample sizes, evaluation and reproducible selection.

A pure library (numpy and scipy; no database, no Qt) implementing the methods of
the AICPA Audit Sampling guide and AU-C 530.  Each module's docstring states its
exact rules:

* :mod:`sampling.attribute` - attribute sample sizes and upper deviation limits;
* :mod:`sampling.mus` - monetary unit sample sizes, reliability factors, Stringer bound;
* :mod:`sampling.nonstatistical` - sizes by control frequency from the editable table;
* :mod:`sampling.population` - populations, their canonical digest and data checks;
* :mod:`sampling.occurrences` - generated populations for periodic controls;
* :mod:`sampling.stream` - the portable random stream behind every selection;
* :mod:`sampling.strata` - strata across the period and proportional allocation;
* :mod:`sampling.selection` - selections, receipts, re-performance and extension;
* :mod:`sampling.progress` - the progress protocol of the ``iter_*`` generators.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sampling.attribute import (
        AttributeEvaluation,
        AttributePlan,
        attribute_sample_size,
        evaluate_attribute,
        round_up_tenth_pct,
        upper_deviation_limit,
    )
    from sampling.errors import (
        InvalidParameterError,
        PopulationDataError,
        PopulationMismatchError,
        ReperformanceError,
        SamplingError,
    )
    from sampling.mus import (
        MusEvaluation,
        MusPlan,
        mus_evaluate,
        mus_sample_size,
        reliability_factor,
        stringer_bound,
    )
    from sampling.nonstatistical import (
        FREQUENCIES,
        NonStatisticalPlan,
        load_guidance,
        nonstatistical_sample_size,
        normalise_frequency,
    )
    from sampling.occurrences import generate_occurrences, occurrence_dates
    from sampling.population import (
        DIGEST_ALGORITHM,
        DataIssue,
        Population,
        PopulationItem,
        iter_population_digest,
        population_digest,
        validate_population,
    )
    from sampling.progress import Progress, ProgressGenerator, run
    from sampling.selection import (
        ALGORITHMS,
        LIBRARY_VERSION,
        Selection,
        SelectionReceipt,
        extend_selection,
        iter_extend_selection,
        iter_reperform,
        iter_select_pps,
        iter_select_random,
        iter_select_stratified,
        iter_select_systematic,
        new_seed,
        reperform,
        select_pps,
        select_random,
        select_stratified,
        select_systematic,
    )
    from sampling.strata import StratumReport
    from sampling.stream import STREAM_ALGORITHM, RandomStream

# Names load on first use: scipy's import takes a second, and callers that need
# only populations, selection or progress (the CLI's start, an import) skip it.
_SOURCES = {
    "ALGORITHMS": "sampling.selection",
    "AttributeEvaluation": "sampling.attribute",
    "AttributePlan": "sampling.attribute",
    "DIGEST_ALGORITHM": "sampling.population",
    "DataIssue": "sampling.population",
    "FREQUENCIES": "sampling.nonstatistical",
    "InvalidParameterError": "sampling.errors",
    "LIBRARY_VERSION": "sampling.selection",
    "MusEvaluation": "sampling.mus",
    "MusPlan": "sampling.mus",
    "NonStatisticalPlan": "sampling.nonstatistical",
    "Population": "sampling.population",
    "PopulationDataError": "sampling.errors",
    "PopulationItem": "sampling.population",
    "PopulationMismatchError": "sampling.errors",
    "Progress": "sampling.progress",
    "ProgressGenerator": "sampling.progress",
    "RandomStream": "sampling.stream",
    "ReperformanceError": "sampling.errors",
    "STREAM_ALGORITHM": "sampling.stream",
    "SamplingError": "sampling.errors",
    "Selection": "sampling.selection",
    "SelectionReceipt": "sampling.selection",
    "StratumReport": "sampling.strata",
    "attribute_sample_size": "sampling.attribute",
    "evaluate_attribute": "sampling.attribute",
    "extend_selection": "sampling.selection",
    "generate_occurrences": "sampling.occurrences",
    "iter_extend_selection": "sampling.selection",
    "iter_population_digest": "sampling.population",
    "iter_reperform": "sampling.selection",
    "iter_select_pps": "sampling.selection",
    "iter_select_random": "sampling.selection",
    "iter_select_stratified": "sampling.selection",
    "iter_select_systematic": "sampling.selection",
    "load_guidance": "sampling.nonstatistical",
    "mus_evaluate": "sampling.mus",
    "mus_sample_size": "sampling.mus",
    "new_seed": "sampling.selection",
    "nonstatistical_sample_size": "sampling.nonstatistical",
    "normalise_frequency": "sampling.nonstatistical",
    "occurrence_dates": "sampling.occurrences",
    "population_digest": "sampling.population",
    "reliability_factor": "sampling.mus",
    "reperform": "sampling.selection",
    "round_up_tenth_pct": "sampling.attribute",
    "run": "sampling.progress",
    "select_pps": "sampling.selection",
    "select_random": "sampling.selection",
    "select_stratified": "sampling.selection",
    "select_systematic": "sampling.selection",
    "stringer_bound": "sampling.mus",
    "upper_deviation_limit": "sampling.attribute",
    "validate_population": "sampling.population",
}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        name = "LIBRARY_VERSION"
    module = _SOURCES.get(name)
    if module is None:
        raise AttributeError(f"module 'sampling' has no attribute {name!r}")
    return getattr(import_module(module), name)


__all__ = [
    "ALGORITHMS",
    "DIGEST_ALGORITHM",
    "FREQUENCIES",
    "LIBRARY_VERSION",
    "STREAM_ALGORITHM",
    "AttributeEvaluation",
    "AttributePlan",
    "DataIssue",
    "InvalidParameterError",
    "MusEvaluation",
    "MusPlan",
    "NonStatisticalPlan",
    "Population",
    "PopulationDataError",
    "PopulationItem",
    "PopulationMismatchError",
    "Progress",
    "ProgressGenerator",
    "RandomStream",
    "ReperformanceError",
    "SamplingError",
    "Selection",
    "SelectionReceipt",
    "StratumReport",
    "attribute_sample_size",
    "evaluate_attribute",
    "extend_selection",
    "generate_occurrences",
    "iter_extend_selection",
    "iter_population_digest",
    "iter_reperform",
    "iter_select_pps",
    "iter_select_random",
    "iter_select_stratified",
    "iter_select_systematic",
    "load_guidance",
    "mus_evaluate",
    "mus_sample_size",
    "new_seed",
    "nonstatistical_sample_size",
    "normalise_frequency",
    "occurrence_dates",
    "population_digest",
    "reliability_factor",
    "reperform",
    "round_up_tenth_pct",
    "run",
    "select_pps",
    "select_random",
    "select_stratified",
    "select_systematic",
    "stringer_bound",
    "upper_deviation_limit",
    "validate_population",
]
