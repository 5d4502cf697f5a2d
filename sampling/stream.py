"""A documented, portable random stream for reproducible selections.

numpy's generators do not promise the same stream across versions, so a
selection drawn with them could not be re-performed years later.  This stream
depends only on SHA-3 (FIPS 202), available everywhere:

* Block ``b`` (b = 0, 1, 2, ...) is SHAKE-256 of the bytes
  ``b"auditdesk-sampling-stream-v1\\x00" + seed (8 bytes, big-endian) +
  b (8 bytes, big-endian)``, read to 512 bytes.
* Each block is 64 words: unsigned 64-bit little-endian integers.  The stream is the
  words of block 0, then block 1, and so on; draws consume words in order.
* A uniform integer below ``m`` (``below``) takes the next word w and accepts it
  when w < 2^64 - (2^64 mod m), returning w mod m; otherwise it takes the next
  word.  Rejection removes the modulo bias exactly.
* ``distinct(N, n)`` (simple random sampling without replacement) draws uniform
  integers below N as above and keeps each one not already kept, until n are
  kept; their order of first appearance is the selection order.  When
  n > N / 2 it instead draws the N - n positions to *leave out* the same way and
  returns the others in ascending order (so a large sample costs no more than
  a small one).

The implementation draws words in vectorised batches, but the result is defined
by, and tested against, the word-by-word description above.
"""

from __future__ import annotations

import hashlib
import math
import struct

import numpy as np
import numpy.typing as npt

from sampling.errors import InvalidParameterError

__all__ = ["STREAM_ALGORITHM", "RandomStream", "check_seed"]

STREAM_ALGORITHM = "shake256-ctr-v1"
_DOMAIN = b"auditdesk-sampling-stream-v1\x00"
BLOCK_BYTES = 512
WORDS_PER_BLOCK = BLOCK_BYTES // 8
_TWO_64 = 1 << 64
_UNPACK = struct.Struct(f"<{WORDS_PER_BLOCK}Q").unpack
_TOP_BYTE_BOUND = 1 << 56
#: Below this many draws the word-by-word path is quicker than numpy's overhead.
SMALL_DRAW = 128

WordArray = npt.NDArray[np.uint64]
IntArray = npt.NDArray[np.int64]


def check_seed(seed: object) -> int:
    """A seed must be an int in 0 .. 2^64 - 1."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < _TWO_64:
        raise InvalidParameterError(
            f"The seed must be a whole number from 0 to 2^64 - 1; got {seed!r}."
        )
    return seed


def _no_rejection(data: bytes, index: int, bound: int, limit: int) -> bool:
    """True when no word of ``data`` from ``index`` on is rejected for ``bound``.

    For bounds up to 2^56 a rejected word is at least 2^64 - 2^56, so its top
    byte is 0xFF: only the few words with such a top byte need comparing.
    """
    if limit == _TWO_64:
        return True
    if bound > _TOP_BYTE_BOUND:
        words = np.frombuffer(data, "<u8", offset=8 * index)
        return not bool((words >= np.uint64(limit)).any())
    tops = data[8 * index + 7 :: 8]
    found = tops.find(b"\xff")
    while found >= 0:
        offset = 8 * (index + found)
        if int.from_bytes(data[offset : offset + 8], "little") >= limit:
            return False
        found = tops.find(b"\xff", found + 1)
    return True


def _limit(bound: int) -> int:
    """Words at or above this are rejected when drawing below ``bound``."""
    return _TWO_64 - (_TWO_64 % bound)


class RandomStream:
    """The deterministic word stream for one seed; ``position`` counts words used."""

    __slots__ = ("_last", "_last_index", "_prefix", "position", "seed")

    def __init__(self, seed: int) -> None:
        self.seed = seed if type(seed) is int and 0 <= seed < _TWO_64 else check_seed(seed)
        self._prefix = _DOMAIN + seed.to_bytes(8, "big")
        self._last_index = -1
        self._last = b""
        self.position = 0

    def block(self, index: int) -> bytes:
        """The 512 bytes of block ``index`` (the last one is kept for the next draw)."""
        if index != self._last_index:
            self._last = hashlib.shake_256(self._prefix + index.to_bytes(8, "big")).digest(
                BLOCK_BYTES
            )
            self._last_index = index
        return self._last

    def words(self, start: int, count: int) -> WordArray:
        """Words ``start`` .. ``start + count - 1`` as a uint64 array (random access)."""
        first = start // WORDS_PER_BLOCK
        last = (start + count - 1) // WORDS_PER_BLOCK
        data = b"".join(self.block(b) for b in range(first, last + 1))
        offset = start - first * WORDS_PER_BLOCK
        little_endian = np.frombuffer(data, dtype="<u8", count=offset + count)[offset:]
        return little_endian.astype(np.uint64)

    def below(self, bound: int) -> int:
        """A uniform integer in [0, bound), consuming words from ``position``."""
        if not 1 <= bound <= _TWO_64:
            raise InvalidParameterError(
                f"Cannot draw below {bound}: the bound must be from 1 to 2^64."
            )
        limit = _limit(bound)
        words = _WordIterator(self)
        while True:
            word = words.next()
            if word < limit:
                self.position = words.position
                return word % bound

    def distinct(self, population: int, count: int) -> list[int]:
        """Simple random sample of ``count`` positions out of ``population`` (see module doc)."""
        if 0 < count <= SMALL_DRAW and count <= population / 2:
            return self._distinct_words(population, count)  # the usual case, first
        if count > population / 2:
            keep = np.ones(population, dtype=np.bool_)
            keep[self._draw_distinct(population, population - count)] = False
            return [int(i) for i in np.flatnonzero(keep).tolist()]
        return self._draw_distinct(population, count)

    def _draw_distinct(self, population: int, count: int) -> list[int]:
        if count == 0:
            return []
        if count <= SMALL_DRAW:
            return self._distinct_words(population, count)
        return self._distinct_batches(population, count)

    def _distinct_words(self, population: int, count: int) -> list[int]:
        """Word-by-word path for small samples (same result as the batched one)."""
        limit = _limit(population)
        start = self.position
        block, index = divmod(start, WORDS_PER_BLOCK)
        data = self.block(block)
        quick = population <= _TOP_BYTE_BOUND and b"\xff" not in data[8 * index + 7 :: 8]
        if quick or _no_rejection(data, index, population, limit):
            # Usual case: one vectorised modulo, and no repeat among the first `count`.
            words = np.frombuffer(data, "<u8", offset=8 * index)
            values: list[int] = (words % np.uint64(population)).tolist()
            if len(values) >= count and len(set(values[:count])) == count:
                self.position = start + count
                return values[:count]
        every = list(_UNPACK(data)[index:])
        while True:
            values = [word % population for word in every if word < limit]
            distinct = dict.fromkeys(values)  # keeps first appearances, in order
            if len(distinct) >= count:
                break
            block += 1
            every.extend(_UNPACK(self.block(block)))
        kept = list(distinct)[:count]
        last = values.index(kept[-1])  # the accepted word that completed the sample
        if len(values) < len(every):  # some words were rejected: map back to positions
            last = [i for i, word in enumerate(every) if word < limit][last]
        self.position = start + last + 1
        return kept

    def _distinct_batches(self, population: int, count: int) -> list[int]:
        """Vectorised path: same result as :meth:`_distinct_words`."""
        limit = _limit(population)
        # Expected words for `count` distinct values: N ln(N / (N - count)), plus slack.
        expected = population * math.log(population / (population - count))
        batch = int(expected * 1.05) + 64
        start = self.position
        candidates = np.zeros(0, dtype=np.uint64)
        sources = np.zeros(0, dtype=np.int64)
        while True:
            words = self.words(start, batch)
            accepted = (
                np.flatnonzero(words < np.uint64(limit))
                if limit < _TWO_64
                else np.arange(batch, dtype=np.int64)
            )
            candidates = np.concatenate([candidates, words[accepted] % np.uint64(population)])
            sources = np.concatenate([sources, accepted + start])
            _, first = np.unique(candidates, return_index=True)
            if first.size >= count:
                order = np.sort(first)[:count]
                self.position = int(sources[order[-1]]) + 1
                return [int(x) for x in candidates[order].tolist()]
            start += batch
            batch *= 2


class _WordIterator:
    """Reads words one at a time from a stream's position (unpacking whole blocks)."""

    __slots__ = ("_block", "_index", "_stream", "_words")

    def __init__(self, stream: RandomStream) -> None:
        self._stream = stream
        self._block = stream.position // WORDS_PER_BLOCK
        self._index = stream.position % WORDS_PER_BLOCK
        self._words: tuple[int, ...] = _UNPACK(stream.block(self._block))

    @property
    def position(self) -> int:
        return self._block * WORDS_PER_BLOCK + self._index

    def next(self) -> int:
        if self._index == WORDS_PER_BLOCK:
            self._block += 1
            self._index = 0
            self._words = _UNPACK(self._stream.block(self._block))
        word = self._words[self._index]
        self._index += 1
        return word
