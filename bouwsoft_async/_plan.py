"""Where to cut a list into pieces: ``IdRange``, and a plan made of measured ranks, no I/O.

A probe ``id gt x`` with ``limit=w`` tells ``count(id gt x)`` and the next ``w`` ids: ``x`` has
rank ``ahead - count`` (the matching records at or below it), the j-th id that rank plus j. Each
cut is a record whose rank ends a whole page; the pieces are disjoint and cover the range asked
for, so every record is in exactly one whatever the counts were or became.
"""

from __future__ import annotations

import bisect
import itertools
import math
from typing import Any

import attrs

from ._errors import ValidationError
from ._protocol import and_filters, condition

__all__ = ["IdRange", "Plan", "parts_for"]

# a split pays only when there are this many pages: below it, probing costs more than it saves
MIN_PAGES_TO_SPLIT = 3
# how many ids a cut probe brings back: enough to cover how far an estimate usually misses
CUT_WINDOW = 192


def _optional_id(instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValidationError(
            f"IdRange.{attribute.name} must be a positive integer or None, not {value!r}",
            field=attribute.name,
        )


@attrs.frozen(kw_only=True)
class IdRange:
    """Ids from ``low`` (inclusive) up to ``high`` (exclusive); None leaves that side open.

    ``count`` is how many records matched when the range was made: a hint for progress bars and
    balance, not a promise. It is plain, picklable data: send it to another process and walk it
    there with ``sales_invoices.list(id_range=..., filter=<the same filter>)``.
    """

    low: int | None = attrs.field(default=None, validator=_optional_id)
    high: int | None = attrs.field(default=None, validator=_optional_id)
    count: int | None = None

    def __attrs_post_init__(self) -> None:
        if self.low is not None and self.high is not None and self.low >= self.high:
            raise ValidationError(f"IdRange needs low < high, not {self.low} >= {self.high}")

    @property
    def after(self) -> int | None:
        """The id the range starts after (the walk asks for ``id gt after``)."""
        return None if self.low is None else self.low - 1

    @property
    def upto(self) -> int | None:
        """The last id the range can hold."""
        return None if self.high is None else self.high - 1

    def contains(self, record_id: int) -> bool:
        """True when ``record_id`` lies in the range."""
        return (self.low is None or record_id >= self.low) and (
            self.high is None or record_id < self.high
        )

    def as_filter(self) -> str | None:
        """The range as filter text (``id ge A and id lt B``); None for the whole id space.

        For your own use on a server that knows ``ge`` and ``lt``: the client itself never
        sends it (a walk of ``id_range=`` asks for ``id gt A-1`` and stops at ``B`` itself).
        """
        return and_filters(
            condition("id", "ge", self.low) if self.low is not None else None,
            condition("id", "lt", self.high) if self.high is not None else None,
        )


def parts_for(total: int, page_size: int | None, concurrency: int) -> int:
    """How many pieces: one per walker, never more than there are pages (records, without a
    page size), and one when a walk is too short for splitting to pay."""
    if page_size is None:
        return max(1, min(concurrency, total))
    pages = math.ceil(total / page_size)
    return 1 if pages < MIN_PAGES_TO_SPLIT else min(concurrency, pages)


@attrs.define
class Plan:
    """Where to cut ``within`` into pieces for ``concurrency`` walkers, from what the probes
    measured (no I/O): ask ``probes()`` for the next wave and ``measure()`` each answer until
    there is none, then take ``pieces()``.

    ``ahead`` is ``count(id gt within.after)``, ``total`` how many of them lie within, the
    lowest being ``first_id``. ``ranks`` maps each measured id to its rank; ``records`` holds
    the measured ids that are records.
    """

    within: IdRange
    ahead: int
    total: int
    first_id: int
    concurrency: int
    page_size: int | None
    ranks: dict[int, int] = attrs.field(init=False)
    records: set[int] = attrs.field(init=False)
    goals: list[int] = attrs.field(init=False)
    cut_waves: int = 0

    def __attrs_post_init__(self) -> None:
        self.ranks = {self.first_id - 1: 0, self.first_id: 1}
        if self.within.upto is not None:
            self.ranks[self.within.upto] = self.total
        self.records = {self.first_id}
        # the ranks the cuts aim at: ends of whole pages, as evenly spread as pages allow
        # (equal shares without a page size, for ``partitions``)
        parts = parts_for(self.total, self.page_size, self.concurrency)
        step = self.page_size or 1
        pages = math.ceil(self.total / step)
        wanted = {round(pages * j / parts) * step for j in range(1, parts)}
        self.goals = sorted(goal for goal in wanted if 0 < goal < self.total)

    def measure(self, x: int, count: int, ids: list[int]) -> None:
        """The answer to the probe at ``x``: ``count(id gt x)`` and the ids after ``x``."""
        rank = self.ahead - count
        self.ranks[x] = rank
        self.ranks.update((record_id, rank + j + 1) for j, record_id in enumerate(ids))
        self.records.update(ids)

    def probes(self) -> list[tuple[int, int]]:
        """The next wave of probes ``(x, limit)``; none once every goal is met.

        First the top: where a dense id space would end and far above it, then 8 times further
        each wave. Then, with a page size, a goal is met by a record of exactly its rank: known
        where two measured ids hold as many records as ids between them (a dense stretch), else
        a probe asks for a window of ids from a bit before where the goal is estimated to lie,
        or, once a measured id lies close below it, for the records up to the goal. Without one
        (``partitions``) a measured id within a tenth of a share will do. Estimates interpolate
        between measured ids; every other wave bisects (interpolation crawls across huge gaps).
        """
        if not self.goals:
            return []
        points = sorted(self.ranks.items())
        if max(self.ranks.values()) < self.total:
            if len(points) <= 2:
                return [(self.first_id + self.total - 1, 1), (self.first_id + 4 * self.total, 1)]
            return [(self.first_id + (points[-1][0] - self.first_id + 1) * 8, 1)]
        page_size = self.page_size
        window = 1 if page_size is None else CUT_WINDOW
        slack = self.total // (10 * len(self.goals) + 10) if page_size is None else 0
        met = sorted({rank for x, rank in points if page_size is None or x in self.records})
        # a goal this few records above a measured id is fetched exactly from there: a window's
        # worth at first, four once two waves of estimates have missed (ids in clusters)
        exact = window if self.cut_waves < 2 else max(page_size or 1, 4 * window)
        wanted: dict[int, int] = {}
        for goal in self.goals:
            near = bisect.bisect_left(met, goal - slack)
            if near < len(met) and met[near] <= goal + slack:
                continue
            i = bisect.bisect_left(points, goal, key=lambda point: point[1])
            if not 0 < i < len(points):
                continue  # counts that contradict each other: nothing to aim between
            lo, lo_rank = points[i - 1]
            if points[i][0] - lo == points[i][1] - lo_rank:
                # as many records as ids between the two: every id there is a record
                self.ranks[lo + goal - lo_rank] = goal
                self.records.add(lo + goal - lo_rank)
                continue
            if page_size is not None and goal - lo_rank <= exact:
                x, limit = lo, goal - lo_rank  # the last record of this answer has the goal's rank
            else:
                aim = max(lo_rank, goal - window // 2)
                x, limit = self._estimate(points, i, aim, halve=self.cut_waves % 2 == 1), window
            wanted[x] = max(limit, wanted.get(x, 0))
        self.cut_waves += 1
        return sorted(wanted.items())

    def _estimate(self, points: list[tuple[int, int]], i: int, aim: int, halve: bool) -> int:
        """An id between ``points[i - 1]`` and ``points[i]`` with about ``aim`` records at or
        below it. When the point above has every record below it, the top lies anywhere under
        it: the density measured so far says where."""
        (xa, ra), (xb, rb) = points[i - 1], points[i]
        top = xb
        if rb >= self.total:
            x0, r0 = points[0]
            density = (xa - x0) / (ra - r0) if ra > r0 else 1.0
            xb, rb = min(xb, round(xa + (self.total - ra) * max(density, 1.0))), self.total
        x = (xa + xb) // 2 if halve else xa + round((aim - ra) * (xb - xa) / (rb - ra))
        return max(xa, min(x, top - 1))

    def pieces(self) -> list[IdRange]:
        """The pieces between the measured ids whose ranks come closest to the goals (the lowest
        id of a rank), each with the count the ranks gave it.

        Counts that changed between probes (records created or removed meanwhile) can give an
        id past the range a rank inside it, or a higher id a lower rank: a cut is only an id
        inside the range and above the cut before it, so the pieces always rise."""
        after, upto = self.within.after, self.within.upto
        lowest: dict[int, int] = {}
        for x, rank in sorted(self.ranks.items(), reverse=True):
            inside = (after is None or x > after) and (upto is None or x < upto)
            if inside and 0 < rank < self.total:
                lowest[rank] = x
        chosen = sorted(
            {min(lowest, key=lambda rank: abs(rank - goal)) for goal in self.goals if lowest}
        )
        bounds = [(after, 0)]
        for rank in chosen:
            if bounds[-1][0] is None or lowest[rank] > bounds[-1][0]:
                bounds.append((lowest[rank], rank))
        bounds.append((upto, self.total))
        return [
            IdRange(
                low=None if low is None else low + 1,
                high=None if high is None else high + 1,
                count=high_rank - low_rank,
            )
            for (low, low_rank), (high, high_rank) in itertools.pairwise(bounds)
        ]
