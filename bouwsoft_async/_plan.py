"""Where to cut a list into pieces: pure functions of counts, no I/O.

A count probe (``limit=1``) tells ``count(id gt X)``: how many matching records lie above ``X``.
From a few of them the plan estimates ids that cut the records into pieces of whole pages, and
turns the measured cuts into pieces. Every piece is a disjoint id range ``(after, upto]``; the
pieces cover the whole id space (or the range asked for), so every record is in exactly one,
whatever the counts were or became.

The walk then probes in two waves: ``top_probes`` (where the list ends), then ``cut_probes``
(one per cut). With one probe for the total first, that is at most ``parts + 2`` probes.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping

import attrs

__all__ = [
    "Piece",
    "Span",
    "balanced",
    "choose_cuts",
    "cut_probes",
    "parts_for",
    "pieces",
    "top_probes",
]

# a split pays only when there are this many pages: below it, probing costs more than it saves
MIN_PAGES_TO_SPLIT = 3


@attrs.frozen(kw_only=True)
class Piece:
    """The ids ``after < id <= upto`` (None: open on that side), ``expected`` records in it when
    the plan was made (a hint for page sizes, never a promise), and ``above``: the matching
    records past ``upto`` at that time (so ``page.total - above`` is what is left in the piece).
    """

    after: int | None
    upto: int | None
    expected: int | None = None
    above: int = 0
    position: int = 0  # how many matching records lay before the piece when it was planned


@attrs.frozen(kw_only=True)
class Span:
    """What the first probes found: the range starts after ``after``, ``ahead`` matching records
    lie past it (``count(id gt after)``), ``total`` of them within the range (``ahead`` when it
    is open at the top), the lowest being ``first_id``."""

    after: int | None
    first_id: int
    ahead: int
    total: int


def parts_for(total: int, page_size: int, concurrency: int) -> int:
    """How many pieces to walk: one per worker, never more than there are pages, and none at
    all (one piece) when the list is too short for splitting to pay."""
    pages = math.ceil(total / page_size)
    if concurrency <= 1 or pages < MIN_PAGES_TO_SPLIT:
        return 1
    return min(concurrency, pages)


def _targets(total: int, page_size: int | None, parts: int) -> list[int]:
    """The ranks (records at or below a cut) the cuts aim at.

    With a page size, a piece of ``m`` pages should hold ``m * page_size - 1`` records: its last
    page then also brings the first record of the next piece, which ends it without one more
    request. Without one (``partitions``), equal shares.
    """
    if page_size is None:
        wanted = [round(total * j / parts) for j in range(1, parts)]
    else:
        pages = math.ceil(total / page_size)
        wanted = [round(pages * j / parts) * page_size - j for j in range(1, parts)]
    return sorted({t for t in wanted if 0 < t < total})


def top_probes(span: Span, counts: Mapping[int, int]) -> list[int]:
    """Where to look for the top of the range next; empty once a probe has found it.

    The first wave looks just where a dense id space would end and far above it (their counts
    also place the cuts: most id spaces are nearly dense); each later wave 8 times further.
    """
    points = _points(span, counts)
    if any(rank >= span.total for _, rank in points):
        return []
    if not counts:
        return [span.first_id + span.total - 1, span.first_id + 4 * span.total]
    highest = points[-1][0]
    return [span.first_id + (highest - span.first_id + 1) * 8]


def _points(span: Span, counts: Mapping[int, int]) -> list[tuple[int, int]]:
    """Measured ``(x, rank)`` pairs, rank being how many matching records have ``after < id <=
    x``."""
    points = {span.first_id - 1: 0, span.first_id: 1}
    for x, above in counts.items():
        if span.after is None or x > span.after:
            points[x] = max(0, span.ahead - above)
    return sorted(points.items())


def _estimate(points: list[tuple[int, int]], total: int, rank: float, bisect: bool) -> int:
    """An id ``x`` with about ``rank`` of the ``total`` records at or below it: linear
    interpolation between measured points (or the middle, with ``bisect``: interpolation alone
    crawls across a huge gap); past the last point with records above it, the density measured
    so far (the top may lie anywhere below the first point that has all)."""
    below = [p for p in points if p[1] <= rank]
    above = [p for p in points if p[1] > rank]
    xa, ra = below[-1]
    if above and above[0][1] < total:
        xb, rb = above[0]
    else:
        x0, r0 = points[0]
        density = (xa - x0) / (ra - r0) if ra > r0 else 1.0
        xb, rb = round(xa + (total - ra) * max(density, 1.0)), total
        if above:
            xb = min(xb, above[0][0])
    if rb <= ra:
        return xa
    if bisect:
        return (xa + xb) // 2
    return max(xa, min(xb - 1, xa + round((rank - ra) * (xb - xa) / (rb - ra))))


def cut_probes(
    span: Span,
    counts: Mapping[int, int],
    *,
    parts: int,
    page_size: int | None,
    wave: int = 0,
    lead: int = 0,
) -> list[int]:
    """Ids to probe (``count(id gt x)``), one per cut, from the counts measured so far
    (``wave``: how many waves of cut probes came before; every other one bisects).
    """
    points = _points(span, counts)
    targets = [max(0, t - lead) for t in _targets(span.total, page_size, parts)]
    return sorted({_estimate(points, span.total, target, wave % 2 == 1) for target in targets})


def choose_cuts(
    span: Span, counts: Mapping[int, int], *, parts: int, page_size: int | None
) -> list[int]:
    """For each target, the measured id whose rank comes closest (each id once, in order)."""
    points = [
        (x, rank) for x, rank in _points(span, counts) if x in counts and 0 < rank < span.total
    ]
    if not points:
        return []
    chosen = {
        min(points, key=lambda point: abs(point[1] - target))[0]
        for target in _targets(span.total, page_size, parts)
    }
    return sorted(chosen)


def balanced(pieces: list[Piece], total: int, parts: int) -> bool:
    """True when no piece holds much more than its share (a second wave of probes would help)."""
    share = total / parts
    return all((piece.expected or 0) <= share * 1.5 + 1 for piece in pieces)


def pieces(
    *,
    after: int | None,
    upto: int | None,
    ahead: int,
    counts: Mapping[int, int],
    cuts: list[int],
) -> list[Piece]:
    """The pieces of ``(after, upto]`` between ``cuts`` (ids, each with its count in ``counts``).

    ``ahead`` is ``count(id gt after)`` and ``counts`` maps each probed ``x`` to ``count(id gt
    x)`` (``upto`` among them when it is not None). Cuts outside the range, or that would leave
    a piece empty when the counts were taken, are dropped.
    """
    above_upto = 0 if upto is None else counts.get(upto, 0)
    bounds: list[tuple[int | None, int]] = [(after, ahead)]
    for x in sorted(cuts):
        above = counts[x]
        inside = (after is None or x > after) and (upto is None or x < upto)
        if inside and above_upto < above < bounds[-1][1]:
            bounds.append((x, above))
    bounds.append((upto, above_upto))
    return [
        Piece(
            after=low,
            upto=high,
            expected=max(0, low_above - high_above),
            above=high_above,
            position=ahead - low_above,
        )
        for (low, low_above), (high, high_above) in itertools.pairwise(bounds)
    ]
