"""AuditDesk sampling: exact sample sizes, evaluation and reproducible selection.

A pure library (numpy and scipy; no database, no Qt) implementing the methods of
the AICPA Audit Sampling guide and AU-C 530.  See the module docstrings for the
exact rules.
"""

from __future__ import annotations

from sampling.attribute import (
    AttributeEvaluation,
    AttributePlan,
    attribute_sample_size,
    evaluate_attribute,
    upper_deviation_limit,
)
from sampling.errors import (
    InvalidParameterError,
    PopulationDataError,
    PopulationMismatchError,
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
from sampling.nonstatistical import NonStatisticalPlan, load_guidance, nonstatistical_sample_size
from sampling.progress import Progress

__all__ = [
    "AttributeEvaluation",
    "AttributePlan",
    "InvalidParameterError",
    "MusEvaluation",
    "MusPlan",
    "NonStatisticalPlan",
    "PopulationDataError",
    "PopulationMismatchError",
    "Progress",
    "SamplingError",
    "attribute_sample_size",
    "evaluate_attribute",
    "load_guidance",
    "mus_evaluate",
    "mus_sample_size",
    "nonstatistical_sample_size",
    "reliability_factor",
    "stringer_bound",
    "upper_deviation_limit",
]
