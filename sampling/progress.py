"""Progress reporting for long runs.

Protocol: every ``iter_*`` function of the library is a generator that yields
:class:`Progress` values and *returns* its result, so the result arrives as
``StopIteration.value`` (or as the value of ``yield from``).  A GUI pumps the
generator on a worker thread, updates its bar on each yield and cancels by simply
not asking for the next value (then calling ``close()``); nothing is left half
done because the library keeps no state outside the generator.  The plain
functions (``select_random``, ``population_digest`` ...) are thin wrappers that
call :func:`run` on the generator.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["Progress", "ProgressGenerator", "run"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Progress:
    """One progress step: ``done`` units of ``total`` finished, ``label`` says of what."""

    done: int
    total: int
    label: str

    @property
    def fraction(self) -> float:
        """Share finished, 0.0 to 1.0 (1.0 when there is nothing to do)."""
        if self.total <= 0:
            return 1.0
        return min(1.0, self.done / self.total)


#: A generator that yields progress and returns a result of type T.
ProgressGenerator = Generator[Progress, None, T]


def run(generator: ProgressGenerator[T]) -> T:
    """Exhaust a progress generator and return its result."""
    while True:
        try:
            next(generator)
        except StopIteration as stop:
            result: T = stop.value
            return result
