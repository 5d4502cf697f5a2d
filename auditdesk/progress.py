"""Progress reports from long operations (re-exported from the sampling floor)."""

from __future__ import annotations

from sampling.progress import Progress

__all__ = ["Progress"]
