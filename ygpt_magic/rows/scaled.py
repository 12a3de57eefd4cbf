"""The tokens of many texts from a few counted by the tokenizer API, scaled by each text's length.

A dry run (and a cost cap before a run) prices every row of a job, but asks the tokenizer for a
bounded number of them: a request each. An even sample of rows priced as their average misses
the few long rows real data holds (pasted essays among short reviews: 3 % of the rows, most of
the tokens), and a sample that hits one overshoots. Every row's text is already filled in, so
its length is known for free: the sample is chosen over the lengths (half spread from the
shortest row to the longest, half spread over the characters, so where the characters are the
rows are counted), and every other row is priced at its own length, between the two counted rows
nearest to it in length (tokens grow with characters, with a fixed part a row: its template).
The sample is asked for at once (:data:`CountEach`): one request after another, 20 of them at
the cloud's ~100 ms were 2 s added to every --batch start, --max-cost and --dry-run. More texts
to count (an embed run's texts near the model's limit, up to 100) go in waves of :data:`SAMPLE`,
so a dry run never fires a hundred requests at a tokenizer that takes 50 a second.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from itertools import accumulate

from ..words import counted

#: rows counted at most; more rows are estimated from a sample of this many, by their lengths
SAMPLE = 20

#: the tokens of the texts at these positions, asked of the tokenizer together (one round trip)
CountEach = Callable[[Sequence[int]], Sequence[int]]


def sample_positions(count: int, size: int = SAMPLE) -> list[int]:
    """Every row when there are at most ``size``, else ``size`` spread evenly over them."""
    if count <= size:
        return list(range(count))
    return sorted({round(i * (count - 1) / (size - 1)) for i in range(size)})


def sampled(lengths: Sequence[int], size: int = SAMPLE) -> list[int]:
    """The positions to count of texts of ``lengths``: all when there are at most ``size``, else
    up to ``size``: half spread over the texts from the shortest to the longest (both ends
    counted, so every other length lies between two counted ones), half spread over their
    characters (a few long texts that hold most of them are counted, not guessed)."""
    if len(lengths) <= size:
        return list(range(len(lengths)))
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    by_rank = [order[p] for p in sample_positions(len(order), size // 2)]
    ends = list(accumulate(lengths[p] for p in order))
    share = size - size // 2
    by_characters = [order[min(bisect_left(ends, (i + 0.5) * ends[-1] / share), len(order) - 1)]
                     for i in range(share)]
    return sorted({*by_rank, *by_characters})


@dataclass(frozen=True)
class Scaled:
    """The tokens of texts of ``lengths`` (in characters): ``counts`` of those the tokenizer
    counted, by position; every other one priced by its length (:meth:`tokens_of`). The texts
    at ``left_out`` (those that would fail) are not in the figures, but their counts still
    tell the tokens of a length."""

    lengths: Sequence[int]
    counts: dict[int, int]
    left_out: frozenset[int] = field(default=frozenset())

    @property
    def rows(self) -> int:
        return len(self.lengths) - len(self.left_out)

    @property
    def counted(self) -> int:
        return sum(position not in self.left_out for position in self.counts)

    @property
    def exact(self) -> bool:
        return self.counted == self.rows

    @cached_property
    def total(self) -> int:
        return round(sum(self.tokens_of(p) for p in range(len(self.lengths)) if p not in self.left_out))

    @property
    def characters(self) -> int:
        return sum(self.lengths) - sum(self.lengths[p] for p in self.left_out)

    def tokens_of(self, position: int) -> float:
        """Text ``position``'s tokens: counted, or between those of the counted texts nearest
        to it in length (a straight line through them)."""
        if position in self.counts:
            return self.counts[position]
        return _between(self._points, self.lengths[position])

    def counting(self, positions: Iterable[int], count: CountEach) -> Scaled:
        """These figures with the texts at ``positions`` counted too (by ``count``, at most
        :data:`SAMPLE` at once; not asked when every one is counted already)."""
        asked = [p for p in dict.fromkeys(positions) if p not in self.counts]
        if not asked:
            return self
        found = [tokens for wave in range(0, len(asked), SAMPLE) for tokens in count(asked[wave:wave + SAMPLE])]
        return replace(self, counts={**self.counts, **dict(zip(asked, found, strict=True))})

    def without(self, positions: Collection[int], count: CountEach) -> Scaled:
        """These figures with the texts at ``positions`` left out, and the texts left in
        :func:`sampled` again (by ``count``): those left out may have been most of the sample."""
        if not positions:
            return self
        left_out = self.left_out | frozenset(positions)
        kept = [p for p in range(len(self.lengths)) if p not in left_out]
        again = [kept[at] for at in sampled([self.lengths[p] for p in kept])]
        return replace(self, left_out=left_out).counting(again, count)

    def said(self, what: str) -> str:
        """How many tokens, and what the number rests on: ``1,234 tokens in all by the
        tokenizer API``, or for an estimate ``about 8,100 tokens in all: 17 of the 100 rows
        counted by the tokenizer API, from the shortest to the longest, the others scaled by
        each row's length (32,770 characters in all)``."""
        if self.exact:
            return f"{counted(self.total, 'token')} in all by the tokenizer API"
        return (f"about {self.total:,} tokens in all: {self.counted:,} of the {counted(self.rows, what)} "
                f"counted by the tokenizer API, from the shortest to the longest, the others scaled by "
                f"each {what}'s length ({counted(self.characters, 'character')} in all)")

    @cached_property
    def _points(self) -> list[tuple[int, float]]:
        """The counted texts' (length, tokens), by length; texts of one length averaged."""
        by_length: dict[int, list[int]] = {}
        for position, tokens in self.counts.items():
            by_length.setdefault(self.lengths[position], []).append(tokens)
        return sorted((length, sum(tokens) / len(tokens)) for length, tokens in by_length.items())


def scaled(lengths: Sequence[int], count: CountEach, size: int = SAMPLE) -> Scaled:
    """The tokens of texts of ``lengths``, ``count`` asked for those :func:`sampled` chooses."""
    return Scaled(lengths, {}).counting(sampled(lengths, size), count)


def _between(points: Sequence[tuple[int, float]], length: int) -> float:
    """The tokens of a text of ``length`` on the straight line through the two counted
    ``points`` around it (the nearest one beyond the shortest or the longest)."""
    if not points:
        return 0.0
    at = bisect_left(points, (length, float("-inf")))
    if at == len(points):
        return points[-1][1]
    if at == 0 or points[at][0] == length:
        return points[at][1]
    (low, low_tokens), (high, high_tokens) = points[at - 1], points[at]
    return low_tokens + (high_tokens - low_tokens) * (length - low) / (high - low)
