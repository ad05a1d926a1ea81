"""Walking a list: one plan, one walker per piece, one TaskGroup to run them.

The API has no offset: a walk asks for ``sort=id`` and ``limit`` and narrows the caller's filter
with ``id gt <last id seen>`` for every next page. A parallel walk first cuts the id space into
disjoint pieces from a few count probes (``_plan``), fixed before any page is read; then one
walker per piece walks it like the sequential walk, and every page is cut to its piece, so a
record is handed out by exactly one walker whatever the server does meanwhile.

The walker is generic over what a page's records become: a ``Reader`` turns a page's bytes
into records and gives a record's id (typed models, or plain dict rows).

Concurrency has one limit: the number of walkers. Each walker has at most one request in flight
(it asks for its next page while the current one is decoded), and the probes of a wave number
at most one per walker. The client's own ``max_concurrency`` must allow that many (checked by
the endpoint before anything is sent). Memory: each walker holds at most one decoded page and
the next page's bytes, and one page waits to be handed over: pages x concurrency.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

import attrs

from . import _plan
from ._convert import decode_json, structure_many
from ._core import Core
from ._errors import DecodeError
from ._models import Page
from ._plan import Piece
from ._protocol import (
    ContentRange,
    and_filters,
    excerpt,
    ids_after,
    list_content_range,
    peek_page,
)

__all__ = ["Reader", "Source", "model_reader", "partitions", "walk"]

T = TypeVar("T")

# waves of cut probes at most, when the first one leaves the pieces unbalanced (skewed ids)
_MAX_CUT_WAVES = 4
# waves of top probes at most (each looks 8 times further than the last)
_MAX_TOP_WAVES = 24
# records a cut probe brings back (their ids): enough to cover how far an estimate usually misses
_CUT_WINDOW = 128

logger = logging.getLogger("bouwsoft_async")


@attrs.frozen
class Reader(Generic[T]):
    """What a page's records become: ``decode(body)`` gives the records and the page's
    Content-Range (raising DecodeError for a body that is not a list page), ``id_of`` a
    record's id."""

    decode: Callable[[bytes], tuple[Sequence[T], ContentRange]]
    id_of: Callable[[T], int]


def list_payload(body: bytes, secrets: Sequence[str]) -> tuple[list[Any], ContentRange]:
    """A list answer's raw records and its Content-Range, checked against each other."""
    payload = decode_json(body, secrets)
    if not isinstance(payload, Mapping) or not isinstance(payload.get("Records"), list):
        raise DecodeError(
            "expected an object with Content-Range and Records", excerpt=excerpt(body, secrets)
        )
    records: list[Any] = payload["Records"]
    content_range = list_content_range(payload)
    if len(records) != content_range.count:
        raise DecodeError(
            f"Content-Range announces {content_range.count} records but the page has "
            f"{len(records)}",
            excerpt=str(payload.get("Content-Range")),
        )
    return records, content_range


def model_reader(cls: type[T], secrets: Sequence[str]) -> Reader[T]:
    """Pages of typed ``cls`` records (each with an ``id``)."""

    def decode(body: bytes) -> tuple[Sequence[T], ContentRange]:
        records, content_range = list_payload(body, secrets)
        return structure_many(records, cls), content_range

    return Reader(decode=decode, id_of=lambda record: record.id)  # type: ignore[attr-defined]


@attrs.frozen
class Source(Generic[T]):
    """One list resource with the caller's filter: how to ask for a page and what it becomes."""

    core: Core
    resource: str
    filter: str | None
    reader: Reader[T]

    def params(self, after: int | None, limit: int) -> dict[str, str]:
        """The query of a page: the filter narrowed to ids after ``after``."""
        narrowed = and_filters(self.filter, ids_after(after) if after is not None else None)
        params = {"limit": str(limit), "sort": "id"}
        if narrowed:
            params["filter"] = narrowed
        return params

    async def fetch(self, params: Mapping[str, str]) -> bytes:
        response = await self.core.request(
            "GET", (self.resource, ""), params=params, idempotent=True
        )
        return response.body

    async def probe(self, after: int | None, window: int = 1) -> tuple[int, list[int]]:
        """``count(id gt after)`` and the ids of the first ``window`` records past ``after``
        (rising, each past the one before; a server that says otherwise is cut short there):
        one request."""
        body = await self.fetch(self.params(after, window))
        records, content_range = list_payload(body, self.core.secrets())
        if not records and content_range.total:
            raise DecodeError(
                f"Content-Range counts {content_range.total} records but the page is empty"
            )
        ids: list[int] = []
        for record in records[:window]:
            record_id = record.get("id") if isinstance(record, Mapping) else None
            if isinstance(record_id, bool) or not isinstance(record_id, int):
                raise DecodeError("a record without an integer id", excerpt=repr(record_id)[:80])
            floor = ids[-1] if ids else after
            if floor is not None and record_id <= floor:
                break
            ids.append(record_id)
        return content_range.total, ids


async def _discard(task: asyncio.Task[bytes] | None) -> None:
    """Cancel a read-ahead that is not wanted and wait for it, whatever it ended with."""
    if task is not None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def _limit(piece: Piece, after: int | None, left: int | None, page_size: int) -> int:
    """How many records to ask for: a page, but no more than the piece can hold (ids are
    integers) and, when the plan says how many are left, one more than that (the one past the
    end shows the piece is done without another request)."""
    limit = page_size
    if piece.upto is not None:
        if after is not None:
            limit = min(limit, piece.upto - after)
        if left is not None:
            limit = min(limit, max(left, 0) + 1)
    return max(limit, 1)


def _cut(
    records: Sequence[T], id_of: Callable[[T], int], after: int | None, piece: Piece, asked: int
) -> tuple[list[T], bool]:
    """The records of a page that belong to ``piece`` (ids must rise past ``after``), and
    whether the page shows the piece is done: a record past its end, or its last id reached.
    Records beyond the ``asked`` number are dropped unread: never trusted past what was asked."""
    kept: list[T] = []
    previous = after
    for record in records[:asked]:
        record_id = id_of(record)
        if isinstance(record_id, bool) or not isinstance(record_id, int):
            raise DecodeError("a record without an integer id", excerpt=repr(record_id)[:80])
        if previous is not None and record_id <= previous:
            raise DecodeError(
                f"ids do not advance: {record_id} came after {previous}; "
                "stopping instead of looping or handing out a record twice"
            )
        previous = record_id
        if piece.upto is not None and record_id > piece.upto:
            return kept, True
        kept.append(record)
    return kept, piece.upto is not None and previous == piece.upto


@attrs.define
class _Walk(Generic[T]):
    """What the walkers of one walk share: the source, the page size, the hand-over queue."""

    source: Source[T]
    page_size: int
    out: asyncio.Queue[Page[T] | _End | _Failed]
    # a decoded page (rows above all) is several times its bytes: walkers whose page can't be
    # handed over yet keep it as bytes, and one at a time decodes and waits for the queue
    handing_over: asyncio.Lock = attrs.field(factory=asyncio.Lock)

    async def walk_piece(
        self, piece: Piece, *, head: tuple[dict[str, str], asyncio.Task[bytes]] | None = None
    ) -> None:
        """Every page of ``piece`` by ascending id, each cut to the piece, onto the queue.

        ``head``: the first page, already asked for (its query and its request). While a page
        is decoded (and while it waits to be handed over), the next one is on its way: its
        last id is read from the raw bytes, and a wrong guess costs a cancelled request, never
        a skipped or repeated record.
        """
        source, reader = self.source, self.source.reader
        after = piece.after
        left = piece.expected
        ahead: tuple[dict[str, str], asyncio.Task[bytes]] | None = head
        try:
            while True:
                params = source.params(after, _limit(piece, after, left, self.page_size))
                if ahead is not None and (ahead[0] == params or ahead is head):
                    params, task = ahead
                    body = await task
                else:
                    await _discard(ahead[1] if ahead else None)
                    body = await source.fetch(params)
                ahead = None
                asked = int(params["limit"])
                peek = peek_page(body)
                ends_here = peek is not None and peek.count < asked and peek.count >= peek.total
                if peek is not None and not ends_here and not self.out.full():
                    guess = self._next_after(piece, after, peek.last_id)
                    if guess is not None:
                        left_guess = peek.total - min(peek.count, asked) - piece.above
                        ahead_params = source.params(
                            guess, _limit(piece, guess, left_guess, self.page_size)
                        )
                        ahead = (ahead_params, asyncio.create_task(source.fetch(ahead_params)))
                        # decoding holds the loop for milliseconds: give it two turns first,
                        # one for this request to start and one for those of other walkers
                        await asyncio.sleep(0)
                        await asyncio.sleep(0)
                async with self.handing_over:
                    records, content_range = reader.decode(body)
                    del body  # not held while the page waits to be handed over
                    if not records:
                        if content_range.total:
                            raise DecodeError(
                                f"Content-Range counts {content_range.total} records ahead but "
                                "the page is empty"
                            )
                        return
                    if content_range.first != 0:
                        raise DecodeError(
                            "a narrowed page should start at position 0, Content-Range says "
                            f"{content_range.first}"
                        )
                    kept, done = _cut(records, reader.id_of, after, piece, asked)
                    if kept:
                        after = reader.id_of(kept[-1])
                        await self.out.put(
                            Page(
                                records=tuple(kept),
                                first=content_range.first,
                                last=content_range.first + len(kept) - 1,
                                total=content_range.total,
                            )
                        )
                    short, handed_over = len(records) < asked, len(kept)
                    del records, kept  # the consumer's page is freed when it lets it go
                # a short page ends the walk only when its total agrees: a server may cap its
                # pages (short, more ahead) or count too few (full page, "nothing ahead")
                if done or (short and content_range.is_last_page):
                    return
                left = content_range.total - handed_over - piece.above
        finally:
            await _discard(ahead[1] if ahead else None)

    @staticmethod
    def _next_after(piece: Piece, after: int | None, last_id: int) -> int | None:
        """The id the next page starts after, if the raw page suggests one is needed."""
        if after is not None and last_id <= after:
            return None  # a bad page: nothing worth asking for
        if piece.upto is not None and last_id >= piece.upto:
            return None  # the piece ends within this page
        return last_id


class _End:
    pass


@attrs.frozen
class _Failed:
    error: BaseException


def _first_error(error: BaseException) -> BaseException:
    """The error to raise from a TaskGroup's group: the first that is not a cancellation."""
    while isinstance(error, BaseExceptionGroup):
        errors = [e for e in error.exceptions if not isinstance(e, asyncio.CancelledError)]
        error = (errors or list(error.exceptions))[0]
    return error


async def _plan_pieces(
    source: Source[Any],
    within: Piece,
    *,
    parts_wanted: Callable[[int], int],
    page_size: int | None,
) -> tuple[list[Piece], int]:
    """Cut ``within`` into pieces with count probes, and how many records it held."""
    after, upto = within.after, within.upto
    probes = 1
    if upto is None:
        ahead, first_ids = await source.probe(after)
        counts: dict[int, int] = {}
        total = ahead
    else:
        (ahead, first_ids), (above_upto, _) = await asyncio.gather(
            source.probe(after), source.probe(upto)
        )
        probes += 1
        counts = {upto: above_upto}
        total = max(0, ahead - above_upto)
    parts = parts_wanted(total)
    if parts <= 1 or not first_ids or (upto is not None and first_ids[0] > upto):
        above = 0 if upto is None else counts[upto]
        _log_plan(source, probes, 1, total)
        return [attrs.evolve(within, expected=total, above=above)], total

    async def measure(xs: list[int], window: int = 1) -> None:
        nonlocal probes
        wanted = [x for x in xs if x not in counts]
        probes += len(wanted)
        found = await asyncio.gather(*(source.probe(x, window) for x in wanted))
        for x, (count, ids) in zip(wanted, found, strict=True):
            counts[x] = count
            # each record of the window is a measured point too: the (j+1)-th past x has
            # count - j - 1 past it, so a cut can fall exactly on a page boundary
            counts.update((record_id, count - j - 1) for j, record_id in enumerate(ids))

    span = _plan.Span(after=after, first_id=first_ids[0], ahead=ahead, total=total)
    for _ in range(_MAX_TOP_WAVES):
        top = _plan.top_probes(span, counts)
        if not top:
            break
        await measure(top)
    # a cut probe brings the ids of a few records from a bit before where it aims: one of them
    # is usually exactly on the page boundary it aims at (none needed for partitions)
    window = 1 if page_size is None else min(page_size, _CUT_WINDOW)
    cuts: list[int] = []
    pieces = [within]
    for wave in range(_MAX_CUT_WAVES):
        await measure(
            _plan.cut_probes(
                span, counts, parts=parts, page_size=page_size, wave=wave, lead=window // 2
            ),
            window,
        )
        cuts = _plan.choose_cuts(span, counts, parts=parts, page_size=page_size)
        pieces = _plan.pieces(after=after, upto=upto, ahead=ahead, counts=counts, cuts=cuts)
        if _plan.balanced(pieces, total, parts):
            break
    _log_plan(source, probes, len(pieces), total)
    return pieces, total


def _log_plan(source: Source[Any], probes: int, pieces: int, total: int) -> None:
    logger.debug(
        "%s: %d records in %d pieces, planned with %d probes",
        source.resource,
        total,
        pieces,
        probes,
        extra={"walk_probes": probes, "walk_pieces": pieces},
    )


async def walk(
    source: Source[T],
    *,
    page_size: int,
    concurrency: int,
    within: Piece,
) -> AsyncGenerator[Page[T], None]:
    """Every page of ``source`` within ``within``, each record once.

    With ``concurrency=1`` one walker walks by ascending id; otherwise up to ``concurrency``
    walkers walk disjoint pieces and pages come in the order they arrive. Closing the generator
    (or breaking out of ``async for``) cancels every walker; a walker's error is raised here.
    """
    out: asyncio.Queue[Page[T] | _End | _Failed] = asyncio.Queue(maxsize=1)
    state = _Walk(source=source, page_size=page_size, out=out)
    walk_total: list[int | None] = [None]

    async def produce() -> None:
        if concurrency == 1:
            await state.walk_piece(within)
            return
        async with asyncio.TaskGroup() as group:
            # the first page of everything is on its way while the probes find the cuts
            head_params = source.params(within.after, page_size)
            head = (head_params, group.create_task(source.fetch(head_params)))
            pieces, walk_total[0] = await _plan_pieces(
                source,
                within,
                parts_wanted=lambda total: _plan.parts_for(total, page_size, concurrency),
                page_size=page_size,
            )
            for index, piece in enumerate(pieces):
                group.create_task(state.walk_piece(piece, head=head if index == 0 else None))

    async def run() -> None:
        try:
            await produce()
        except asyncio.CancelledError:
            raise
        except BaseException as error:
            await out.put(_Failed(_first_error(error)))
        else:
            await out.put(_End())

    producer = asyncio.create_task(run())
    try:
        position = 0
        while True:
            item = await out.get()
            if isinstance(item, _End):
                return
            if isinstance(item, _Failed):
                raise item.error
            total = walk_total[0]
            if total is None and concurrency == 1 and within.upto is None and position == 0:
                # the first page of a sequential walk counts everything the walk will see
                total = walk_total[0] = item.total
            yield attrs.evolve(item, walk_position=position, walk_total=total)
            position += len(item.records)
    finally:
        producer.cancel()
        await asyncio.gather(producer, return_exceptions=True)


async def partitions(source: Source[Any], *, n: int, within: Piece) -> list[Piece]:
    """At most ``n`` pieces of ``within`` holding about equal shares of the matching records;
    together they cover all of it, so records that appear later still fall in one of them."""
    pieces, _ = await _plan_pieces(
        source,
        within,
        parts_wanted=lambda total: max(1, min(n, total)),
        page_size=None,
    )
    return pieces
