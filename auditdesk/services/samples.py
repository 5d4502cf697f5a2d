"""Samples: plan, select with a receipt, re-perform, extend."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Generator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, update

import sampling
from auditdesk import trail
from auditdesk.conclusions import planned_extension_size, tolerated_deviations
from auditdesk.errors import NotFoundError, ValidationError
from auditdesk.progress import Progress
from auditdesk.services._common import control_row, engagement_row
from auditdesk.services.populations import SamplingFrame, load_frame, population_row
from auditdesk.services.testing import sample_row
from auditdesk.services.walkthroughs import ensure_sample_allowed
from auditdesk.storage.schema import ControlRow, PopulationRow, SampleItemRow, SampleRow, TestResultRow
from auditdesk.storage.uow import SqlUnitOfWork

Rate = float | int | str | Decimal

METHODS = ("random", "systematic", "stratified", "pps")


@dataclass(frozen=True, slots=True)
class SampleItem:
    seq: int
    key: str
    date: dt.date | None
    amount: str | None
    certainty: bool
    replaces_key: str | None = None  # this item was drawn to replace a not-applicable one


@dataclass(frozen=True, slots=True)
class Sample:
    id: int
    engagement_id: int
    control_ref: str
    population_id: int
    population_name: str
    method: str
    statistical: bool
    size: int
    confidence: str
    tolerable_rate: str
    expected_rate: str
    plan: dict[str, Any]
    receipt: dict[str, Any]
    strata: tuple[dict[str, Any], ...]
    selected_at: str
    selected_by: str
    items: tuple[SampleItem, ...]
    planned_extension: int | None = None
    risk: str = ""
    retired: bool = False

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(i.key for i in self.items)

    @property
    def test_all(self) -> bool:
        return bool(self.plan.get("test_all"))


@dataclass(frozen=True, slots=True)
class SamplePlan:
    """The size the auditor will select, and why."""

    size: int
    statistical: bool
    method: str  # binomial | hypergeometric | poisson | nonstatistical | mus
    rationale: str
    details: dict[str, Any]
    test_all: bool


@dataclass(frozen=True, slots=True)
class Reperformance:
    identical: bool
    reason: str
    recorded: tuple[str, ...]
    reperformed: tuple[str, ...]


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def plan_size(
    *,
    population_size: int,
    frequency: str,
    confidence: Rate | None = None,
    tolerable: Rate | None = None,
    expected: Rate | None = 0,
    method: str | None = None,
    size: int | None = None,
    risk: str = "lower",
    book_value: Rate | None = None,
) -> SamplePlan:
    """The sample size: given, statistical (attribute, or MUS with rates of the book value), or by frequency."""
    if size is not None:
        if size < 1:
            raise ValidationError("A sample needs at least one item.")
        if size > population_size:
            raise ValidationError(
                f"The population has {population_size} items; a sample of {size} is more than that. "
                "Test every item instead."
            )
        # AU-C 530: statistical only with a confidence, a tolerable rate and a probability
        # selection; a size chosen with only a confidence is non-statistical.
        statistical = confidence is not None and tolerable is not None
        text = f"Sample size {size} chosen by the auditor"
        if size == population_size:
            text = f"All {size} items of the population are tested: no sampling risk, no limit is computed"
        elif not statistical:
            text += " (non-statistical: the auditor evaluates the results"
            text += "; a statistical sample needs both a confidence and a tolerable rate)" if confidence else ")"
        return SamplePlan(size, statistical, "given", text + ".", {"size": size}, size == population_size)
    if confidence is not None and tolerable is not None:
        if method == "mus":
            if book_value is None:
                raise ValidationError("Monetary unit sampling needs the population's book value.")
            # Rates here, like the attribute flags: tolerable and expected misstatement
            # as fractions of the book value (0.05 is 5% of it).
            book = Decimal(str(book_value))
            tolerable_amount = Decimal(str(tolerable)) * book
            expected_amount = Decimal(str(expected or 0)) * book
            mus = sampling.mus_sample_size(confidence, book, tolerable_amount, expected_amount)
            n = min(mus.n, population_size)
            return SamplePlan(n, True, "mus", mus.rationale(), mus.to_dict(), mus.n >= population_size)
        plan = sampling.attribute_sample_size(
            confidence,
            tolerable,
            expected or 0,
            population_size if method == "hypergeometric" else None,
            method or "binomial",
        )
        n = min(plan.n, population_size)
        text = plan.rationale()
        if plan.n >= population_size:
            # Every item tested: no sampling risk, so no limit is computed afterwards.
            text = (
                f"All {population_size} items of the population are tested "
                f"(the statistical size, {plan.n}, is not smaller)."
            )
        return SamplePlan(n, True, plan.method, text, plan.to_dict(), plan.n >= population_size)
    if confidence is not None or tolerable is not None:
        raise ValidationError("A statistical sample needs both the confidence and the tolerable deviation rate.")
    ns = sampling.nonstatistical_sample_size(frequency, risk, population_size)
    text = ns.rationale()
    if ns.n >= population_size:
        text = f"All {population_size} items of the population are tested: no sampling risk."
    return SamplePlan(ns.n, False, "nonstatistical", text, ns.to_dict(), ns.n >= population_size)


def _items(uow: SqlUnitOfWork, sample_id: int) -> tuple[SampleItem, ...]:
    rows = uow.session.scalars(
        select(SampleItemRow).where(SampleItemRow.sample_id == sample_id).order_by(SampleItemRow.seq)
    )
    return tuple(SampleItem(r.seq, r.key, r.date, r.amount, r.certainty, r.replaces_key) for r in rows)


def _record(uow: SqlUnitOfWork, row: SampleRow) -> Sample:
    control = uow.session.get(ControlRow, row.control_id)
    population = uow.session.get(PopulationRow, row.population_id)
    assert control is not None
    assert population is not None
    return Sample(
        id=row.id,
        engagement_id=row.engagement_id,
        control_ref=control.ref,
        population_id=row.population_id,
        population_name=population.name,
        method=row.method,
        statistical=row.statistical,
        size=row.size,
        confidence=row.confidence,
        tolerable_rate=row.tolerable_rate,
        expected_rate=row.expected_rate,
        plan=json.loads(row.plan_json),
        receipt=json.loads(row.receipt_json),
        strata=tuple(json.loads(row.strata_json)),
        selected_at=row.selected_at,
        selected_by=row.selected_by,
        items=_items(uow, row.id),
        planned_extension=row.planned_extension,
        risk=row.risk,
        retired=row.retired,
    )


def _selection_generator(
    population: sampling.Population,
    method: str,
    size: int,
    seed: int | None,
    strata: str,
    period: tuple[dt.date | None, dt.date | None],
) -> Generator[Progress, None, sampling.Selection]:
    if method == "random":
        return sampling.iter_select_random(population, size, seed=seed)
    if method == "systematic":
        return sampling.iter_select_systematic(population, size, seed=seed)
    if method == "stratified":
        # Strata run over the whole audit period, so an empty month shows as such.
        return sampling.iter_select_stratified(
            population, size, strata=strata, seed=seed, period_start=period[0], period_end=period[1]
        )
    return sampling.iter_select_pps(population, size, seed=seed)


def _store_items(
    uow: SqlUnitOfWork,
    sample_id: int,
    population: sampling.Population,
    keys: tuple[str, ...],
    certainty: frozenset[str],
    start: int = 0,
) -> None:
    positions = population.positions_of(keys)
    rows = []
    for i, key in enumerate(keys):
        pos = positions[key]
        amount = population.amount_of(pos) if population.has_amounts else None
        rows.append(
            {
                "sample_id": sample_id,
                "seq": start + i,
                "key": key,
                "date": population.date_of(pos),
                "amount": None if amount is None else str(amount),
                "certainty": key in certainty,
            }
        )
    if rows:
        uow.session.execute(insert(SampleItemRow), rows)


def _period_of(eng: Any, population: sampling.Population) -> tuple[dt.date | None, dt.date | None]:
    """The engagement period, widened to the population's dates when they fall outside it."""
    start, end = eng.period_start, eng.period_end
    first, last = population.first_date, population.last_date
    if start is None or (first is not None and first < start):
        start = first
    if end is None or (last is not None and last > end):
        end = last
    return start, end


def _planned_extension(plan: SamplePlan, frequency: str, population: int, given: int | None) -> int | None:
    if plan.test_all:
        if given is not None:
            raise ValidationError("Every item of the population is tested; there is nothing to extend to.")
        return None
    if given is not None:
        if given <= plan.size:
            raise ValidationError(
                f"The planned extension ({given} items) must be larger than the sample ({plan.size} items)."
            )
        return min(given, population)
    if plan.statistical or tolerated_deviations(frequency, population) == 0:
        return None
    step = planned_extension_size(plan.size)
    return None if step is None else min(step, population) if min(step, population) > plan.size else None


def iter_select_sample(
    uow: SqlUnitOfWork,
    engagement: str | int,
    control: str | int,
    *,
    population_id: int,
    method: str,
    size: int | None = None,
    confidence: Rate | None = None,
    tolerable: Rate | None = None,
    expected: Rate | None = 0,
    size_method: str | None = None,
    strata: str = "month",
    seed: int | None = None,
    risk: str = "lower",
    planned_extension: int | None = None,
) -> Generator[Progress, None, Sample]:
    """Draw a sample for a control's test and store it with its receipt (one transaction).

    ``planned_extension`` is the size a sequential plan extends to after an
    isolated deviation; it is decided now, before any result is seen (AU-C 530).
    Non-statistical samples of controls whose firm rules tolerate one isolated
    deviation get the firm's planned step by default.
    """
    if method not in METHODS:
        raise ValidationError(f"'{method}' is not a selection method; choose one of: {', '.join(METHODS)}.")
    with uow:
        eng = engagement_row(uow, engagement)
        trail.ensure_writable(uow, eng.id, "sample.select")
        ctrl = control_row(uow, eng.id, control)
        # Design first: no sample for a Type 1, nor for a control concluded not designed or not implemented.
        ensure_sample_allowed(uow, eng, ctrl)
        pop_row = population_row(uow, eng.id, population_id)
        if method == "pps" and not pop_row.amount_column:
            raise ValidationError(f"Population '{pop_row.name}' has no amounts; PPS selection needs an amount column.")
        yield Progress(0, 3, "Loading the population")
        frame = load_frame(uow, pop_row.id)
        if frame.file.digest != pop_row.digest:
            raise ValidationError(
                f"Population '{pop_row.name}' no longer matches the digest recorded at import; "
                "the store may have been altered. Run 'auditdesk verify' before sampling."
            )
        # AU-C 530: selection draws from the frame, the file less the rows excluded with a reason.
        population = frame.population
        plan = plan_size(
            population_size=len(population),
            frequency=ctrl.frequency,
            confidence=confidence,
            tolerable=tolerable,
            expected=expected,
            method="mus" if method == "pps" and size is None and confidence is not None else size_method,
            size=size,
            risk=risk,
            book_value=population.total_amount() if method == "pps" else None,
        )
        extension = _planned_extension(plan, ctrl.frequency, len(population), planned_extension)
        yield Progress(1, 3, "Selecting items")
        selection = yield from _selection_generator(
            population, method, plan.size, seed, strata, _period_of(eng, population)
        )
        yield Progress(2, 3, "Storing the sample")
        receipt = _receipt_json(selection.receipt, frame)
        row = SampleRow(
            engagement_id=eng.id,
            control_id=ctrl.id,
            population_id=pop_row.id,
            method=method,
            statistical=plan.statistical,
            size=len(selection.keys),
            confidence="" if confidence is None else str(Decimal(str(confidence))),
            tolerable_rate="" if tolerable is None else str(Decimal(str(tolerable))),
            expected_rate="" if confidence is None else str(Decimal(str(expected or 0))),
            plan_json=json.dumps(
                {**plan.details, "method": plan.method, "rationale": plan.rationale, "test_all": plan.test_all},
                default=str,
            ),
            planned_extension=extension,
            risk=risk if plan.method == "nonstatistical" else "",
            receipt_json=json.dumps(receipt, default=str),
            strata_json=json.dumps([st.to_dict() for st in selection.strata]),
            selected_at=_now(),
            selected_by=uow.actor,
        )
        uow.session.add(row)
        uow.session.flush()
        _store_items(uow, row.id, population, selection.keys, frozenset(selection.certainty_keys))
        record = _record(uow, row)
        trail.record(
            uow,
            "sample.select",
            "sample",
            row.id,
            engagement_id=eng.id,
            after={
                "control": ctrl.ref,
                "population": pop_row.id,
                "population_digest": pop_row.digest,
                "method": method,
                "size": record.size,
                "receipt": receipt,
                "keys": list(record.keys),
            },
        )
        uow.commit()
    yield Progress(3, 3, "Sample stored")
    return record


def _receipt_json(receipt: sampling.SelectionReceipt, frame: SamplingFrame) -> dict[str, Any]:
    """The receipt as stored: with the frame's exclusions when rows were left out of it.

    The library's receipt names the frame's digest and size; ``frame`` adds the
    file's digest and the excluded lines, so re-performance rebuilds the same frame.
    """
    data = receipt.to_dict()
    if frame.exclusions:
        data["frame"] = frame.receipt_record()
    return data


def _frame_change(recorded: Any, frame: SamplingFrame) -> str | None:
    """Why the stored exclusions are not those the receipt records, in one sentence; None when they are."""
    lines = list(recorded.get("excluded_lines", [])) if isinstance(recorded, dict) else []
    digest = recorded.get("exclusions_sha256", "") if isinstance(recorded, dict) else ""
    now = list(frame.excluded_lines)
    if lines == now and (not lines or digest == frame.exclusions_sha256):
        return None
    gone = [n for n in lines if n not in now]
    added = [n for n in now if n not in lines]
    if gone:
        detail = f"line {', '.join(map(str, gone[:5]))} is no longer excluded"
    elif added:
        detail = f"line {', '.join(map(str, added[:5]))} is now excluded"
    else:
        detail = "an exclusion's key or reason was changed"
    return (
        f"The rows left out of the sampling frame are not those the receipt records ({len(lines)} excluded "
        f"at selection, {len(now)} now: {detail}); the exclusions were changed after selection."
    )


def select_sample(uow: SqlUnitOfWork, engagement: str | int, control: str | int, **kwargs: Any) -> Sample:
    """Select without progress reporting (scripts, tests)."""
    return sampling.progress.run(iter_select_sample(uow, engagement, control, **kwargs))


def list_samples(uow: SqlUnitOfWork, engagement: str | int, control: str | None = None) -> tuple[Sample, ...]:
    with uow:
        eng = engagement_row(uow, engagement)
        query = select(SampleRow).where(SampleRow.engagement_id == eng.id).order_by(SampleRow.id)
        if control is not None:
            query = query.where(SampleRow.control_id == control_row(uow, eng.id, control).id)
        return tuple(_record(uow, r) for r in uow.session.scalars(query).all())


def get_sample(uow: SqlUnitOfWork, engagement: str | int, sample_id: int) -> Sample:
    with uow:
        eng = engagement_row(uow, engagement)
        return _record(uow, sample_row(uow, eng.id, sample_id))


def reperform_sample(uow: SqlUnitOfWork, engagement: str | int, sample_id: int) -> Reperformance:
    """Re-run the selection from its receipt on the stored population and compare.

    The outcome is recorded in the audit trail: re-performance is review evidence.
    """
    with uow:
        eng = engagement_row(uow, engagement)
        row = sample_row(uow, eng.id, sample_id)
        recorded = _items(uow, row.id)
        recorded_keys = tuple(i.key for i in recorded)
        frame = load_frame(uow, row.population_id)
        stored = json.loads(row.receipt_json)
        receipt = sampling.SelectionReceipt.from_dict(stored)
        change = _frame_change(stored.get("frame"), frame)
        try:
            if change is not None:
                raise sampling.SamplingError(change)
            again = sampling.reperform(frame.population, receipt)
        except sampling.SamplingError as exc:
            result = Reperformance(False, str(exc), recorded_keys, ())
        else:
            keys = tuple(again.keys)
            if keys == recorded_keys:
                result = Reperformance(
                    True,
                    "The selection was re-performed from its receipt: same items, same order.",
                    recorded_keys,
                    keys,
                )
            else:
                missing = [k for k in recorded_keys if k not in keys][:5]
                result = Reperformance(
                    False,
                    "The re-performed selection differs from the stored sample "
                    f"(e.g. {', '.join(missing) or 'the order'}); the stored items were changed after selection.",
                    recorded_keys,
                    keys,
                )
        if not uow.read_only:
            trail.record(
                uow,
                "sample.reperform",
                "sample",
                row.id,
                engagement_id=eng.id,
                after={"identical": result.identical, "reason": result.reason},
            )
            uow.commit()
    return result


def _has_deviation(uow: SqlUnitOfWork, sample_id: int) -> bool:
    return (
        uow.session.scalar(
            select(TestResultRow.id)
            .where(TestResultRow.sample_id == sample_id, TestResultRow.outcome == "deviation")
            .limit(1)
        )
        is not None
    )


def extend_sample(
    uow: SqlUnitOfWork,
    engagement: str | int,
    sample_id: int,
    *,
    new_size: int | None = None,
    population_id: int | None = None,
) -> Sample:
    """Grow a sample to more items, or onto a longer period's population, keeping every prior item.

    After a deviation the sample grows only by its planned step (AU-C 530: a
    sequential plan's sizes are decided before the results are seen); the
    deviation stays documented and still needs the auditor's evaluation.
    """
    with uow:
        eng = engagement_row(uow, engagement)
        trail.ensure_writable(uow, eng.id, "sample.extend")
        row = sample_row(uow, eng.id, sample_id)
        before = _record(uow, row)
        target_pop = population_row(uow, eng.id, population_id or row.population_id)
        same_population = target_pop.id == row.population_id
        planned = row.planned_extension
        after_deviation = _has_deviation(uow, row.id)
        if after_deviation and same_population:
            if planned is None or planned <= row.size:
                raise ValidationError(
                    f"Sample {row.id} already shows a deviation and has no planned extension; a sample is "
                    "extended after a deviation only by a step planned before the results were seen. "
                    "Evaluate the deviation instead."
                )
            if new_size is not None and new_size != planned:
                raise ValidationError(
                    f"The extension planned for sample {row.id} is to {planned} items; after a deviation it "
                    "cannot be changed."
                )
            new_size = planned
        if new_size is not None and new_size <= row.size:
            raise ValidationError(f"Sample {row.id} already has {row.size} items; give a larger size.")
        frame = load_frame(uow, target_pop.id)
        population = frame.population
        stored = json.loads(row.receipt_json)
        change = _frame_change(stored.get("frame"), frame) if same_population else None
        if change is not None:
            raise ValidationError(change)
        receipt = sampling.SelectionReceipt.from_dict(stored)
        # Replacements are part of the selection: the extension adds to the items drawn so far.
        extra = len(before.keys) - row.size
        extended = sampling.extend_selection(population, receipt, None if new_size is None else new_size + extra)
        prior = set(before.keys)
        new_keys = tuple(k for k in extended.keys if k not in prior)
        _store_items(uow, row.id, population, new_keys, frozenset(), start=len(before.keys))
        row.population_id = target_pop.id
        plan = json.loads(row.plan_json or "{}")
        if planned is not None and row.size + len(new_keys) >= planned:
            plan["extended_from"] = row.size
            row.planned_extension = None if row.size + len(new_keys) > planned else planned
        row.size = row.size + len(new_keys)
        plan["test_all"] = False
        row.plan_json = json.dumps(plan, default=str)
        row.receipt_json = json.dumps(_receipt_json(extended.receipt, frame), default=str)
        uow.session.flush()
        after = _record(uow, row)
        trail.record(
            uow,
            "sample.extend",
            "sample",
            row.id,
            engagement_id=eng.id,
            before={"size": before.size, "population": before.population_id, "receipt": before.receipt},
            after={
                "size": after.size,
                "population": after.population_id,
                "receipt": after.receipt,
                "added": list(new_keys),
                "after_deviation": after_deviation,
            },
        )
        uow.commit()
    return after


def replace_item(uow: SqlUnitOfWork, engagement: str | int, sample_id: int, item_key: str) -> Sample:
    """Replace a not-applicable item by the next item the same receipt draws (AU-C 530).

    The replacement is part of the re-performable selection: the receipt grows
    by one draw, and re-performance reproduces it. Evidence that cannot be found
    is a deviation, not a reason to replace.
    """
    with uow:
        eng = engagement_row(uow, engagement)
        trail.ensure_writable(uow, eng.id, "sample.replace")
        row = sample_row(uow, eng.id, sample_id)
        before = _record(uow, row)
        item = next((i for i in before.items if i.key == item_key), None)
        if item is None:
            raise NotFoundError(f"Item '{item_key}' is not in sample {row.id}.")
        outcomes = set(
            uow.session.scalars(
                select(TestResultRow.outcome).where(
                    TestResultRow.sample_id == row.id, TestResultRow.item_key == item_key
                )
            )
        )
        if "na" not in outcomes:
            raise ValidationError(
                f"Item '{item_key}' is not marked not applicable; only a not-applicable item is replaced."
            )
        if any(i.replaces_key == item_key for i in before.items):
            raise ValidationError(f"Item '{item_key}' has already been replaced.")
        if row.method == "pps":
            raise ValidationError(
                "A PPS selection cannot draw a single replacement without changing its interval; evaluate the "
                "not-applicable item as such or draw a new selection."
            )
        frame = load_frame(uow, row.population_id)
        population = frame.population
        if len(before.keys) >= len(population):
            raise ValidationError("Every item of the population is already in the sample; none is left to draw.")
        stored = json.loads(row.receipt_json)
        change = _frame_change(stored.get("frame"), frame)
        if change is not None:
            raise ValidationError(change)
        receipt = sampling.SelectionReceipt.from_dict(stored)
        extended = sampling.extend_selection(population, receipt, len(before.keys) + 1)
        prior = set(before.keys)
        new_keys = tuple(k for k in extended.keys if k not in prior)
        _store_items(uow, row.id, population, new_keys, frozenset(), start=len(before.keys))
        uow.session.execute(
            update(SampleItemRow)
            .where(SampleItemRow.sample_id == row.id, SampleItemRow.key.in_(new_keys))
            .values(replaces_key=item_key)
        )
        row.receipt_json = json.dumps(_receipt_json(extended.receipt, frame), default=str)
        plan = json.loads(row.plan_json or "{}")
        plan["replacements"] = int(plan.get("replacements", 0)) + 1
        row.plan_json = json.dumps(plan, default=str)
        uow.session.flush()
        after = _record(uow, row)
        trail.record(
            uow,
            "sample.replace",
            "sample",
            row.id,
            engagement_id=eng.id,
            before={"receipt": before.receipt},
            after={"replaced": item_key, "by": list(new_keys), "receipt": after.receipt},
        )
        uow.commit()
    return after


def record_misstatement(
    uow: SqlUnitOfWork, engagement: str | int, sample_id: int, item_key: str, audited_amount: Rate | None
) -> SampleItem:
    """Record the audited amount of a PPS item (None withdraws it); the Stringer bound uses the taints.

    A PPS selection used for a test of controls is evaluated as attributes until
    misstatement amounts are recorded; then the upper misstatement limit is set
    against the tolerable misstatement (AICPA Audit Sampling guide, MUS).
    """
    with uow:
        eng = engagement_row(uow, engagement)
        trail.ensure_writable(uow, eng.id, "sample.misstatement")
        row = sample_row(uow, eng.id, sample_id)
        if row.method != "pps":
            raise ValidationError("Misstatement amounts are recorded for PPS (monetary unit) samples only.")
        item = uow.session.get(SampleItemRow, (row.id, _seq_of(uow, row.id, item_key)))
        assert item is not None
        value: str | None = None
        if audited_amount is not None:
            try:
                amount = Decimal(str(audited_amount))
            except (ArithmeticError, ValueError):
                raise ValidationError(f"'{audited_amount}' is not an amount; write it like 1250.00.") from None
            if not amount.is_finite() or amount < 0:
                raise ValidationError("The audited amount is a finite amount of zero or more.")
            value = str(amount)
        before = {"audited_amount": item.audited_amount}
        item.audited_amount = value
        plan = json.loads(row.plan_json or "{}")
        if not plan.get("audited"):
            plan["audited"] = True  # the conclusions read this sample's items for taints
            row.plan_json = json.dumps(plan, default=str)
        trail.record(
            uow,
            "sample.misstatement",
            "sample",
            row.id,
            engagement_id=eng.id,
            before=before,
            after={"item": item_key, "book": item.amount, "audited_amount": value},
        )
        uow.session.flush()
        result = SampleItem(item.seq, item.key, item.date, item.amount, item.certainty, item.replaces_key)
        uow.commit()
    return result


def _seq_of(uow: SqlUnitOfWork, sample_id: int, item_key: str) -> int:
    seq = uow.session.scalar(
        select(SampleItemRow.seq).where(SampleItemRow.sample_id == sample_id, SampleItemRow.key == item_key)
    )
    if seq is None:
        raise NotFoundError(f"Item '{item_key}' is not in sample {sample_id}.")
    return int(seq)
