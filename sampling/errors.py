"""Typed errors raised by the sampling library.

Every message is one sentence that tells the user what was wrong and what to do,
so the GUI and the command line can show it unchanged.
"""

from __future__ import annotations

__all__ = [
    "InvalidParameterError",
    "PopulationDataError",
    "PopulationMismatchError",
    "ReperformanceError",
    "SamplingError",
]


class SamplingError(Exception):
    """Base class of every error the sampling library raises on purpose."""


class InvalidParameterError(SamplingError, ValueError):
    """A rate, confidence, size or option is outside what the method accepts."""


class PopulationMismatchError(SamplingError):
    """The population offered does not match the one a receipt was drawn from."""


class PopulationDataError(SamplingError, ValueError):
    """The population's data (keys, dates or amounts) cannot be used as given."""


class ReperformanceError(SamplingError):
    """Re-running a receipt on its own population gave different items than recorded."""
