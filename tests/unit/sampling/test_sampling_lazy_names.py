"""The package loads its public names on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest

import sampling


def test_every_public_name_resolves() -> None:
    for name in sampling.__all__:
        assert getattr(sampling, name) is not None
    assert sampling.__version__ == sampling.LIBRARY_VERSION


def test_unknown_name_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = sampling.nope  # type: ignore[attr-defined]


def test_progress_alone_does_not_load_scipy() -> None:
    code = "import sys, sampling.progress, sampling.population; print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_power_of_two_bounds_never_reject() -> None:
    # 2^64 is a multiple of every power of two, so no word is ever rejected:
    # the check must answer at once (covered here, not by chance in property tests).
    from sampling import stream

    assert stream._no_rejection(b"\xff" * 64, 0, 1 << 10, stream._TWO_64) is True
