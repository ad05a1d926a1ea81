"""Walking a list over disjoint id ranges at once.

There is no offset parameter, but a count is cheap (``limit=1``, the total is in Content-Range)
and the filter takes ``id ge A and id lt B``. So count probes find ids that cut the matching
records into pieces of about equal size (interpolating between the ranks already measured, with
bisection steps so that skewed id spaces still converge), and each piece is walked by id like the
sequential walk. The pieces cover the whole id space without overlap, so every record is read
exactly once, whatever the gaps between ids.

While the probes run, the first page of the whole list is already being fetched ("the head"), so
the split costs little more than one page. Each piece's walk reads its next page ahead while the
current one is decoded, so waiting overlaps decoding. At most ``concurrency`` requests are in
flight; a worker holds at most the page it hands over and the next page's bytes, and one page
waits in the queue: memory is pages times concurrency, never the list.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import attrs

from ._core import Core
from ._errors import DecodeError, ValidationError
from ._listing import (
    HasId,
    check_empty_page,
    check_walk_page,
    fetch_page,
    probe,
    walk_pages,
    walk_params,
)
from ._models import Page
from ._protocol import and_filters, condition

__all__ = ["IdRange", "parallel_pages", "partitions"]

R = TypeVar("R", bound=HasId)
T = TypeVar("T")

# probe rounds before the split settles for the best cut measured so far
_MAX_ROUNDS = 8
# a cut within this share of a piece's ideal size is good enough
_TOLERANCE = 0.1
# where each wave of top probes looks, in multiples of its scale (8 times the last wave's)
_TOP_LADDER = (1, 1.25, 1.5, 2, 3, 4, 6)
# one piece per worker keeps the split to a few waves of probes; a worker that finishes early
# takes the range between the head page and the first cut, which is known last
_PIECES_PER_WORKER = 1


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

    def contains(self, record_id: int) -> bool:
        """True when ``record_id`` lies in the range."""
        return (self.low is None or record_id >= self.low) and (
            self.high is None or record_id < self.high
        )

    def as_filter(self) -> str | None:
        """The range as filter text (``id ge A and id lt B``); None for the whole id space."""
        return and_filters(
            condition("id", "ge", self.low) if self.low is not None else None,
            condition("id", "lt", self.high) if self.high is not None else None,
        )


def validate_id_range(value: object) -> IdRange | None:
    if value is None or isinstance(value, IdRange):
        return value
    raise ValidationError(
        f"id_range must be an IdRange (from partitions()), not {type(value).__name__}",
        field="id_range",
    )


def validate_concurrency(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 64:
        raise ValidationError(
            f"concurrency must be an integer from 1 to 64, not {value!r}", field="concurrency"
        )
    return value


async def _all(coroutines: list[Coroutine[Any, Any, T]]) -> list[T]:
    """Run coroutines together; on the first failure the others are cancelled, not orphaned."""
    tasks = [asyncio.ensure_future(c) for c in coroutines]
    try:
        return list(await asyncio.gather(*tasks))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class _Ranks:
    """``rank(x)``: how many matching records have ``id < x``, measured by count probes."""

    def __init__(
        self,
        core: Core,
        resource: str,
        filter: str | None,
        *,
        total: int,
        first_id: int,
        high: int | None,
        slots: asyncio.Semaphore,
    ) -> None:
        self._core = core
        self._resource = resource
        self._filter = filter
        self._slots = slots
        self.total = total
        self.known: dict[int, int] = {first_id: 0}
        if high is not None:
            self.known[high] = total

    async def _rank(self, x: int) -> int:
        async with self._slots:
            count, _ = await probe(
                self._core,
                self._resource,
                filter=and_filters(self._filter, condition("id", "lt", x)),
            )
        return count

    async def measure(self, xs: list[int]) -> None:
        wanted = sorted({x for x in xs if x not in self.known})
        ranks = await _all([self._rank(x) for x in wanted])
        self.known.update(zip(wanted, ranks, strict=True))

    async def find_top(self, first_id: int) -> None:
        """Probe ever larger ids until one has every record below it."""
        # ids are distinct integers, so the top is at least first_id + total - 1 away; most id
        # spaces are nearly dense, so the first wave probes closely from there: the ranks it
        # brings back already place the cuts well, often with no second wave
        scale = max(self.total, 1)
        while max(self.known.values()) < self.total and first_id + scale < 1 << 62:
            await self.measure([first_id + round(scale * g) for g in _TOP_LADDER])
            scale *= 8

    async def cuts(self, parts: int) -> list[tuple[int, int]]:
        """About ``parts - 1`` ids (with their ranks) that cut the records into equal pieces."""
        targets = [self.total * j / parts for j in range(1, parts)]
        tolerance = max(1.0, self.total / parts * _TOLERANCE)
        for round_ in range(_MAX_ROUNDS):
            points = sorted(self.known.items())
            wanted: list[int] = []
            for target in targets:
                if min(abs(rank - target) for _, rank in points) <= tolerance:
                    continue
                below = [p for p in points if p[1] <= target]
                above = [p for p in points if p[1] > target]
                if not below or not above:
                    continue
                (xa, ra), (xb, rb) = below[-1], above[0]
                if xb - xa <= 1:
                    continue
                if round_ % 2:
                    # interpolation alone crawls across a huge gap; every other round bisects
                    x = (xa + xb) // 2
                else:
                    x = xa + round((target - ra) * (xb - xa) / (rb - ra))
                wanted.append(min(max(x, xa + 1), xb - 1))
            if not wanted:
                break
            await self.measure(wanted)
        points = sorted(self.known.items())
        chosen = {min(points, key=lambda p, t=t: abs(p[1] - t)) for t in targets}  # type: ignore[misc]
        return sorted(p for p in chosen if 0 < p[1] < self.total)


async def _cuts(
    core: Core,
    resource: str,
    filter: str | None,
    *,
    total: int,
    first_id: int,
    high: int | None,
    parts: int,
    slots: asyncio.Semaphore,
) -> list[tuple[int, int]]:
    """Ids (with their ranks) that cut ``filter``'s ``total`` records, from ``first_id`` up to
    ``high`` (None: find the top first), into ``parts`` pieces of about equal size."""
    if parts <= 1:
        return []
    ranks = _Ranks(core, resource, filter, total=total, first_id=first_id, high=high, slots=slots)
    if high is None:
        await ranks.find_top(first_id)
    return await ranks.cuts(parts)


def _pieces(
    cuts: list[tuple[int, int]], *, low: tuple[int | None, int], high: int | None, total: int
) -> list[IdRange]:
    """Ranges between consecutive cuts; ``low`` is the first id and its rank."""
    bounds = [low, *((x, r) for x, r in cuts if low[0] is None or x > low[0])]
    ranges = []
    for (start, start_rank), (end, end_rank) in zip(
        bounds, [*bounds[1:], (high, total)], strict=True
    ):
        ranges.append(IdRange(low=start, high=end, count=max(0, end_rank - start_rank)))
    return ranges


async def partitions(
    core: Core, resource: str, *, filter: str | None, n: int, within: IdRange | None = None
) -> list[IdRange]:
    """At most ``n`` id ranges holding about equal shares of ``filter``'s records.

    Together they cover the whole id space (or ``within``), so records that appear later still
    fall in one of them.
    """
    base = within or IdRange()
    base_filter = and_filters(filter, base.as_filter())
    total, first_id = await probe(core, resource, filter=base_filter)
    if n == 1 or total <= 1 or first_id is None:
        return [IdRange(low=base.low, high=base.high, count=total)]
    cuts = await _cuts(
        core,
        resource,
        base_filter,
        total=total,
        first_id=first_id,
        high=base.high,
        parts=min(n, total),
        slots=asyncio.Semaphore(8),
    )
    return _pieces(cuts, low=(base.low, 0), high=base.high, total=total)


async def walk_range(
    core: Core,
    resource: str,
    cls: type[R],
    *,
    filter: str | None,
    id_range: IdRange,
    page_size: int,
    slots: asyncio.Semaphore | None = None,
    read_ahead: Callable[[], bool] = lambda: True,
) -> AsyncGenerator[Page[R], None]:
    """The pages of ``filter`` within ``id_range`` by ascending id, like the sequential walk."""

    def inside(page: Page[R]) -> None:
        for record in (page.records[0], page.records[-1]):
            if not id_range.contains(record.id):
                raise DecodeError(f"id {record.id} lies outside the requested {id_range}")

    walk = walk_pages(
        core,
        resource,
        cls,
        filter=and_filters(filter, id_range.as_filter()),
        page_size=page_size,
        slots=slots,
        check=inside,
        read_ahead=read_ahead,
    )
    async with contextlib.aclosing(walk):
        async for page in walk:
            yield page


class _Done:
    pass


@attrs.frozen
class _Failed:
    error: BaseException


async def parallel_pages(
    core: Core,
    resource: str,
    cls: type[R],
    *,
    filter: str | None,
    page_size: int,
    concurrency: int,
    within: IdRange | None = None,
) -> AsyncGenerator[Page[R], None]:
    """Every page of ``filter`` (within ``within``) with up to ``concurrency`` pages in flight.

    With ``concurrency=1`` this is the sequential walk, by ascending id. Otherwise pages come in
    the order they arrive, each record exactly once; a page's positions count within its range.
    """
    if concurrency == 1:
        walk = walk_range(
            core, resource, cls, filter=filter, id_range=within or IdRange(), page_size=page_size
        )
        async with contextlib.aclosing(walk):
            async for page in walk:
                yield page
        return

    base = within or IdRange()
    base_filter = and_filters(filter, base.as_filter())
    total, first_id = await probe(core, resource, filter=base_filter)
    if not total or first_id is None:
        return
    parts = max(1, min(concurrency * _PIECES_PER_WORKER, total // page_size))
    slots = asyncio.Semaphore(concurrency)
    # each worker also holds the page it waits to hand over, and the next one's bytes when it
    # read ahead (only while this queue had room)
    out: asyncio.Queue[Page[R] | _Done | _Failed] = asyncio.Queue(maxsize=1)
    todo: asyncio.Queue[IdRange | None] = asyncio.Queue()
    # the head's last id and size, or None when the head page was everything
    head_end: asyncio.Future[tuple[int, int] | None] = asyncio.get_running_loop().create_future()

    async def head() -> None:
        # the first page of everything, fetched while the probes look for the cuts
        async with slots:
            page = await fetch_page(
                core, resource, cls, params=walk_params(base_filter, page_size, None)
            )
        if not page.records:
            check_empty_page(page)
            head_end.set_result(None)
            return
        last_id = check_walk_page(page, None)
        done = page.last + 1 >= page.total
        head_end.set_result(None if done else (last_id, len(page.records)))
        await out.put(page)

    async def split() -> None:
        cuts = await _cuts(
            core,
            resource,
            base_filter,
            total=total,
            first_id=first_id,
            high=base.high,
            parts=parts,
            slots=slots,
        )
        # the head covers the first min(page_size, total) records: cuts past them can be walked
        # now, and only the piece between the head and the first such cut waits for the head
        later = [c for c in cuts if c[1] > page_size]
        if later:
            for piece in _pieces(later, low=later[0], high=base.high, total=total):
                todo.put_nowait(piece)
        end = await head_end
        if end is not None:
            first_cut = later[0] if later else (base.high, total)
            if first_cut[0] is None or first_cut[0] > end[0] + 1:
                todo.put_nowait(
                    IdRange(low=end[0] + 1, high=first_cut[0], count=first_cut[1] - end[1])
                )
        for _ in range(concurrency):
            todo.put_nowait(None)

    async def work() -> None:
        while (piece := await todo.get()) is not None:
            walk = walk_range(
                core,
                resource,
                cls,
                filter=filter,
                id_range=piece,
                page_size=page_size,
                slots=slots,
                # while pages wait for the consumer, reading further ahead only costs memory
                read_ahead=lambda: not out.full(),
            )
            async with contextlib.aclosing(walk):
                async for page in walk:
                    await out.put(page)

    async def run(job: Awaitable[None]) -> None:
        try:
            await job
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            await out.put(_Failed(exc))
        else:
            await out.put(_Done())

    producers = [head(), *(work() for _ in range(concurrency))]
    tasks = [asyncio.ensure_future(run(job)) for job in [split(), *producers]]
    try:
        running = len(tasks)
        while running:
            item = await out.get()
            if isinstance(item, _Done):
                running -= 1
            elif isinstance(item, _Failed):
                raise item.error
            else:
                yield item
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
