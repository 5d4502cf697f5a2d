"""The portable random stream, checked against an independent reading of its spec."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sampling.stream as stream_module
from sampling import InvalidParameterError, RandomStream

TWO_64 = 1 << 64


def spec_words(seed: int, count: int) -> list[int]:
    """Words 0..count-1 exactly as the module docstring describes them."""
    words: list[int] = []
    block = 0
    while len(words) < count:
        data = hashlib.shake_256(
            b"auditdesk-sampling-stream-v1\x00" + seed.to_bytes(8, "big") + block.to_bytes(8, "big")
        ).digest(512)
        words.extend(int.from_bytes(data[i : i + 8], "little") for i in range(0, 512, 8))
        block += 1
    return words[:count]


def spec_distinct(seed: int, population: int, count: int) -> tuple[list[int], int]:
    """Word-by-word SRS of the docstring; returns the sample and the words used."""
    if count > population / 2:
        left_out, used = spec_distinct(seed, population, population - count)
        return [i for i in range(population) if i not in set(left_out)], used
    words = spec_words(seed, 4 * count + 4096)
    limit = TWO_64 - TWO_64 % population
    kept: list[int] = []
    used = 0
    for word in words:
        if len(kept) == count:
            break
        used += 1
        if word < limit and word % population not in kept:
            kept.append(word % population)
    return kept, used


def test_known_answer_for_seed_zero() -> None:
    # Literal values: a change here breaks every stored receipt.
    assert RandomStream(0).words(0, 2).tolist() == [3801936578023748121, 14088049655058104445]
    assert RandomStream(12345).distinct(100, 5) == [55, 42, 63, 2, 56]
    stream = RandomStream(0)
    assert stream.words(0, 130).tolist() == spec_words(0, 130)
    assert stream.words(63, 3).tolist() == spec_words(0, 66)[63:]
    # A fixed value guards the spec itself against accidental change.
    assert spec_words(0, 1)[0] == int.from_bytes(
        hashlib.shake_256(b"auditdesk-sampling-stream-v1\x00" + bytes(16)).digest(8), "little"
    )


def test_below_uses_rejection_without_modulo_bias() -> None:
    seed = 99
    bound = 2**63 + 1  # rejects about half of all words
    words = spec_words(seed, 200)
    stream = RandomStream(seed)
    position = 0
    for _ in range(20):
        limit = TWO_64 - TWO_64 % bound
        while words[position] >= limit:
            position += 1
        assert stream.below(bound) == words[position] % bound
        position += 1
        assert stream.position == position
    assert RandomStream(1).below(1) == 0
    assert 0 <= RandomStream(1).below(TWO_64) < TWO_64


def test_below_crosses_blocks() -> None:
    stream = RandomStream(5)
    values = [stream.below(10) for _ in range(200)]
    assert values == [w % 10 for w in spec_words(5, 200)]


@pytest.mark.parametrize(
    ("population", "count"),
    [
        (10, 3),
        (1000, 60),
        (1000, 200),
        (300, 140),
        (2**20, 1000),
        (100, 40),
        (7, 3),
        (7, 5),
        (5, 5),
        (9, 0),
    ],
)
def test_distinct_matches_the_spec(population: int, count: int) -> None:
    stream = RandomStream(2024)
    expected, used = spec_distinct(2024, population, count)
    assert stream.distinct(population, count) == expected
    assert stream.position == used


def test_both_paths_agree_with_rejections_and_repeats() -> None:
    for population, count in [
        (2**63 + 1, 20),
        (2**63 + 1, 200),
        (1000, 100),
        (1024, 300),
        (50, 20),
    ]:
        word_path = RandomStream(7)
        batch_path = RandomStream(7)
        assert word_path._distinct_words(population, count) == batch_path._distinct_batches(
            population, count
        )
        assert word_path.position == batch_path.position


def test_consecutive_draws_continue_the_stream() -> None:
    stream = RandomStream(3)
    first = stream.distinct(1000, 5)
    second = stream.distinct(1000, 5)
    words = spec_words(3, stream.position)
    assert [w % 1000 for w in words] == first + second


def test_batches_grow_when_the_first_falls_short(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream_module.math, "log", lambda x: 0.0)  # underestimate the words needed
    stream = RandomStream(11)
    expected, used = spec_distinct(11, 10_000, 500)
    assert stream._distinct_batches(10_000, 500) == expected
    assert stream.position == used


@pytest.mark.parametrize("seed", [-1, TWO_64, 1.5, True, "7"])
def test_bad_seeds(seed: object) -> None:
    with pytest.raises(InvalidParameterError, match="seed must be a whole number"):
        RandomStream(seed)  # type: ignore[arg-type]


@pytest.mark.parametrize("bound", [0, TWO_64 + 1])
def test_bad_bounds(bound: int) -> None:
    with pytest.raises(InvalidParameterError, match="Cannot draw below"):
        RandomStream(1).below(bound)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, TWO_64 - 1),
    population=st.integers(1, 3000),
    data=st.data(),
)
def test_distinct_properties(seed: int, population: int, data: st.DataObject) -> None:
    count = data.draw(st.integers(0, population))
    sample = RandomStream(seed).distinct(population, count)
    assert len(sample) == count
    assert len(set(sample)) == count
    assert all(0 <= i < population for i in sample)
    assert RandomStream(seed).distinct(population, count) == sample


def test_below_rejection_across_a_block_boundary() -> None:
    bound = 2**63 + 1
    limit = TWO_64 - TWO_64 % bound
    seed = next(s for s in range(100) if spec_words(s, 64)[63] >= limit)
    words = spec_words(seed, 200)
    stream = RandomStream(seed)
    stream.position = 63
    expected = next(i for i in range(63, 200) if words[i] < limit)
    assert stream.below(bound) == words[expected] % bound
    assert stream.position == expected + 1


def test_rejection_found_by_the_top_byte_scan() -> None:
    bound = 2**55 + 1  # about one word in 512 is rejected
    limit = TWO_64 - TWO_64 % bound
    seed = next(s for s in range(2000) if any(w >= limit for w in spec_words(s, 64)))
    expected, used = spec_distinct(seed, bound, 40)
    stream = RandomStream(seed)
    assert stream.distinct(bound, 40) == expected
    assert stream.position == used
