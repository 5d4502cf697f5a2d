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

__version__ = LIBRARY_VERSION

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
