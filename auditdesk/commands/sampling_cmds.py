"""Sampling subcommands: sample-size and evaluate (AU-C 530 attribute sampling)."""

from __future__ import annotations

import argparse

import sampling
from auditdesk.commands.registry import Context, command
from auditdesk.commands.typed import whole_number


def _count(text: str | None, what: str) -> int | None:
    """A size or count as typed: digits, or an exactly whole decimal such as 1e6."""
    return None if text is None else whole_number(text, what, scientific=True)


def _size_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--confidence", required=True, help="e.g. 0.95")
    parser.add_argument("--tolerable", required=True, help="tolerable deviation rate, e.g. 0.05")
    parser.add_argument("--expected", default="0", help="expected deviation rate, e.g. 0.01")
    parser.add_argument(
        "--population", default=None, help="population size N, e.g. 25000 or 1e6 (above 10^9: the binomial limit)"
    )
    parser.add_argument("--method", default=None, choices=["binomial", "hypergeometric", "poisson"])


@command("sample-size", "attribute sample size for a test of controls")(_size_args)
def sample_size(ctx: Context) -> None:
    a = ctx.args
    population = _count(a.population, "The population size")
    method = a.method or ("hypergeometric" if population else "binomial")
    plan = sampling.attribute_sample_size(a.confidence, a.tolerable, a.expected, population, method)
    ctx.emit(
        {
            "n": plan.n,
            "expected_deviations": plan.expected_deviations,
            "method": plan.method,
            "exceeds_population": plan.exceeds_population,
        },
        lambda: f"{plan.n}\n{plan.rationale()}",
    )


def _evaluate_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--n", required=True, help="items tested")
    parser.add_argument("--deviations", required=True, help="deviations found")
    parser.add_argument("--confidence", required=True, help="e.g. 0.95")
    parser.add_argument("--population", default=None, help="population size N (above 10^9: the binomial limit)")
    parser.add_argument("--tolerable", default=None, help="tolerable rate, to conclude against")


@command("evaluate", "upper deviation limit of an attribute sample")(_evaluate_args)
def evaluate(ctx: Context) -> None:
    a = ctx.args
    ev = sampling.evaluate_attribute(
        whole_number(a.n, "The sample size", scientific=True),
        whole_number(a.deviations, "The number of deviations", scientific=True),
        a.confidence,
        tolerable_rate=a.tolerable,
        population_size=_count(a.population, "The population size"),
    )
    ctx.emit(
        {
            "upper_limit": ev.upper_limit,
            "upper_limit_table_pct": ev.upper_limit_table_pct,
            "sample_rate": ev.sample_rate,
            "exceeds_tolerable": ev.exceeds_tolerable,
        },
        lambda: f"Upper deviation limit {ev.upper_limit_table_pct:.1f}%\n{ev.describe()}",
    )
