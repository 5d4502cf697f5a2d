"""Non-statistical sample sizes by control frequency and assessed risk.

The sizes are practitioner guidance, not a standard (AU-C 530 leaves
non-statistical sizes to the auditor's judgement), so they live in an editable
table, ``resources/sampling_guidance.json``.  Each frequency has a range; lower
risk takes the low end, higher risk the high end, moderate the midpoint rounded
up; the result is capped at the population size.  Event-driven controls are
sized by how often they operated (bands keyed by population size), or like a
daily control when that count is unknown.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from sampling._inputs import population_size_of
from sampling.errors import InvalidParameterError

__all__ = [
    "FREQUENCIES",
    "RISK_LEVELS",
    "NonStatisticalPlan",
    "load_guidance",
    "nonstatistical_sample_size",
    "normalise_frequency",
]

#: The frequency names the default table defines.
FREQUENCIES = (
    "annual",
    "semi-annual",
    "quarterly",
    "monthly",
    "weekly",
    "daily",
    "multiple-daily",
    "event-driven",
    "continuous",
)
#: Accepted risk levels (``low``, ``moderate`` and ``high`` are synonyms).
RISK_LEVELS = ("lower", "moderate", "higher")
_RISK_ALIASES = {"low": "lower", "medium": "moderate", "high": "higher"}

GUIDANCE_FILE = "sampling_guidance.json"


def load_guidance(path: str | Path | None = None) -> dict[str, Any]:
    """Read the guidance table: a firm's edited copy at ``path`` or the shipped one."""
    if path is None:
        text = resources.files("resources").joinpath(GUIDANCE_FILE).read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    try:
        table = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidParameterError(
            f"The sampling guidance table is not valid JSON ({error.msg} at line "
            f"{error.lineno}); fix the file or restore the shipped one."
        ) from None
    if not isinstance(table, dict):
        raise InvalidParameterError(
            "The sampling guidance table must be a JSON object with a 'frequencies' entry."
        )
    return table


def normalise_frequency(frequency: str, table: Mapping[str, Any] | None = None) -> str:
    """Canonical frequency name: case, spaces and underscores folded, aliases applied."""
    name = "-".join(str(frequency).strip().lower().replace("_", " ").split())
    aliases = (table or {}).get("aliases", {})
    if isinstance(aliases, Mapping) and name in aliases:
        return str(aliases[name])
    return name


@dataclass(frozen=True)
class NonStatisticalPlan:
    """A non-statistical sample size chosen from the guidance table."""

    frequency: str
    label: str
    risk: str
    low: int
    high: int
    n: int
    population_size: int | None
    #: True when the table's size was cut down to the population size.
    capped: bool
    note: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe view."""
        return {
            "frequency": self.frequency,
            "label": self.label,
            "risk": self.risk,
            "low": self.low,
            "high": self.high,
            "n": self.n,
            "population_size": self.population_size,
            "capped": self.capped,
            "note": self.note,
        }

    def rationale(self) -> str:
        """A plain-English explanation of the size."""
        span = str(self.low) if self.low == self.high else f"{self.low} to {self.high}"
        end = {"lower": "low end", "moderate": "midpoint", "higher": "high end"}[self.risk]
        lines = [
            f"Non-statistical sample size: {self.n} item{'s' if self.n != 1 else ''}.",
            f"Control frequency {self.label}: the firm's guidance range is {span}; "
            f"{self.risk} risk takes the {end}.",
        ]
        if self.capped:
            lines.append(
                f"The population holds only {self.population_size} item"
                f"{'s' if self.population_size != 1 else ''}, so all of them are tested."
            )
        if self.note:
            lines.append(self.note)
        lines.append(
            "Non-statistical sizes are practitioner guidance, not an AICPA standard; the "
            "results are evaluated by judgement (AU-C 530)."
        )
        return "\n".join(lines)


def _whole(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidParameterError(
            f"The sampling guidance table has an invalid {what} ({value!r}); use a whole "
            "number of at least 1."
        )
    return value


def _range_of(entry: Mapping[str, Any], where: str) -> tuple[int, int]:
    low = _whole(entry.get("min"), f"minimum for {where}")
    high = _whole(entry.get("max"), f"maximum for {where}")
    if low > high:
        raise InvalidParameterError(
            f"The sampling guidance table gives {where} a minimum ({low}) above its maximum "
            f"({high}); correct the range."
        )
    return low, high


def _band_for(entry: Mapping[str, Any], frequency: str, size: int) -> tuple[int, int]:
    bands = entry["by_population"]
    if not isinstance(bands, list):
        raise InvalidParameterError(
            f"The sampling guidance table's population bands for {frequency} must be a list."
        )
    for band in bands:
        limit = band.get("up_to") if isinstance(band, Mapping) else 0
        if limit is None or (isinstance(limit, int) and size <= limit):
            return _range_of(band, f"{frequency} (population up to {limit})")
    raise InvalidParameterError(
        f"The sampling guidance table has no population band for {frequency} covering "
        f"{size} items; end the bands with one whose up_to is null."
    )


def nonstatistical_sample_size(
    frequency: str,
    risk: str = "lower",
    population_size: int | None = None,
    table: Mapping[str, Any] | None = None,
) -> NonStatisticalPlan:
    """Non-statistical sample size for a control of the given frequency and risk."""
    guidance = load_guidance() if table is None else table
    frequencies = guidance.get("frequencies")
    if not isinstance(frequencies, Mapping):
        raise InvalidParameterError("The sampling guidance table must have a 'frequencies' object.")
    name = normalise_frequency(frequency, guidance)
    entry = frequencies.get(name)
    if not isinstance(entry, Mapping):
        known = ", ".join(sorted(frequencies))
        raise InvalidParameterError(
            f"The sampling guidance table has no frequency {frequency!r}; use one of {known}."
        )
    level = _RISK_ALIASES.get(str(risk).strip().lower(), str(risk).strip().lower())
    if level not in RISK_LEVELS:
        raise InvalidParameterError(
            f"The risk must be 'lower', 'moderate' or 'higher'; got {risk!r}."
        )
    size = None if population_size is None else population_size_of(population_size)
    if size is not None and "by_population" in entry:
        low, high = _band_for(entry, name, size)
    else:
        low, high = _range_of(entry, name)
    chosen = {"lower": low, "moderate": (low + high + 1) // 2, "higher": high}[level]
    capped = False
    if size is not None and chosen > size:
        chosen, capped = size, True
    return NonStatisticalPlan(
        frequency=name,
        label=str(entry.get("label", name)),
        risk=level,
        low=low,
        high=high,
        n=chosen,
        population_size=size,
        capped=capped,
        note=str(entry.get("note", "")),
    )
