"""Walking a list: one plan, one walker per piece, one TaskGroup to run them.

The API has no offset: a walk asks for ``sort=id`` and ``limit`` and narrows the caller's filter
with ``id gt <last id seen>`` for every next page. A parallel walk first cuts the id space into
disjoint pieces with a few count probes (``_plan``); one walker per piece walks it like the
sequential walk, every page cut to its piece, so each record is handed out exactly once. One
limit: the number of walkers, each with one request in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import operator
from bisect import bisect_right
from collections.abc import AsyncGenerator, Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Generic, TypeVar

import attrs

from . import _plan
from ._convert import decode_json, read_int, structure_many
from ._core import Core
from ._errors import DecodeError, first_error
from ._plan import IdRange
from ._protocol import (
    ContentRange,
    and_filters,
    excerpt,
    ids_after,
    list_content_range,
    peek_page,
    redact_error,
)

__all__ = ["Reader", "Source", "list_payload", "model_reader", "partitions", "read_page", "walk"]

T = TypeVar("T")

# waves of probes at most: the top is found within 24 (each looks 8 times further), and the
# cuts within a few (each wave interpolates or bisects, and a cut a few windows away is
# fetched exactly); a server whose counts keep changing gets the nearest cuts measured
_MAX_WAVES = 48

logger = logging.getLogger("bouwsoft_async")


@attrs.frozen
class Reader(Generic[T]):
    """What a page's records become: ``decode(body)`` gives the records and the page's
    Content-Range (raising DecodeError for a body that is not a list page), ``id_of`` a
    record's id."""

    decode: Callable[[bytes], tuple[Sequence[T], ContentRange]]
    id_of: Callable[[T], int]


def list_payload(body: bytes, secrets: Iterable[str]) -> tuple[list[Any], ContentRange]:
    """A list answer's raw records and its Content-Range, checked against each other."""
    payload = decode_json(body, secrets)
    if not isinstance(payload, dict) or not isinstance(payload.get("Records"), list):
        raise DecodeError(
            "expected an object with Content-Range and Records", excerpt=excerpt(body, secrets)
        )
    records: list[Any] = payload["Records"]
    content_range = list_content_range(payload, secrets)
    if len(records) != content_range.count:
        raise DecodeError(
            f"Content-Range announces {content_range.count} records but the page has "
            f"{len(records)}",
            excerpt=str(payload.get("Content-Range")),
        )
    if content_range.first != 0:
        # no offset is sent, so every answer starts at the first record that matches
        raise DecodeError(
            f"a list answer should start at position 0, Content-Range says {content_range.first}"
        )
    return records, content_range


def read_page(
    body: bytes, secrets: Iterable[str], read: Callable[[list[Any]], Sequence[T]]
) -> tuple[Sequence[T], ContentRange]:
    """A list answer's records as ``read`` makes them, and its Content-Range; ``secrets`` are
    redacted from every error, a record's value quoted by one too."""
    records, content_range = list_payload(body, secrets)
    try:
        return read(records), content_range
    except DecodeError as exc:
        error = redact_error(exc, secrets)
    raise error  # outside the except block: the original (unredacted) is not its context


@attrs.frozen
class _SecretsWhenRead:
    """The secrets ``now()`` gives at the moment they are read: a page that decodes cleanly
    does not gather them, and an error gets those of its moment."""

    now: Callable[[], Sequence[str]]

    def __iter__(self) -> Iterator[str]:
        return iter(self.now())


def model_reader(cls: type[T], secrets: Callable[[], Sequence[str]]) -> Reader[T]:
    """Pages of typed ``cls`` records (each with an ``id``); ``secrets()`` are redacted from a
    page's errors (asked for when an error is redacted: a walk may outlive the token it began
    with)."""
    current_secrets = _SecretsWhenRead(secrets)

    def read(records: list[Any]) -> list[T]:
        return structure_many(records, cls)

    def decode(body: bytes) -> tuple[Sequence[T], ContentRange]:
        return read_page(body, current_secrets, read)

    return Reader(decode=decode, id_of=operator.attrgetter("id"))


@attrs.frozen
class Source(Generic[T]):
    """One list resource with the caller's filter: how to ask for a page and what it becomes."""

    core: Core
    resource: str
    filter: str | None
    reader: Reader[T]
    # the caller's filter as the start of a narrowed one ("(a or b) and "), worked out once
    narrowing: str = attrs.field(init=False)

    @narrowing.default
    def _narrowing(self) -> str:
        return (and_filters(self.filter, "id gt 0") or "").removesuffix("id gt 0")

    def params(self, after: int | None, limit: int) -> dict[str, str]:
        """The query of a page: the filter narrowed to ids after ``after``."""
        params = {"limit": str(limit), "sort": "id"}
        if after is not None:
            params["filter"] = self.narrowing + ids_after(after)
        elif self.filter:
            params["filter"] = self.filter
        return params

    async def fetch(self, params: Mapping[str, str]) -> bytes:
        response = await self.core.request(
            "GET", (self.resource, ""), params=params, idempotent=True
        )
        return response.body

    async def probe(self, after: int | None, limit: int = 1) -> tuple[int, list[int]]:
        """``count(id gt after)`` and the ids of the first ``limit`` records past ``after``."""
        body = await self.fetch(self.params(after, limit))

        def rising_ids(records: list[Any]) -> list[int]:
            # an id read as a record reads it (a digit string is its number), so that probes
            # and pages agree
            ids = [read_int(r.get("id"), "id") if isinstance(r, Mapping) else None for r in records]
            return _rising(ids[:limit], after)

        ids, content_range = read_page(body, self.core.secrets(), rising_ids)
        return content_range.total, list(ids)


def _limit(after: int | None, upto: int | None, page_size: int) -> int:
    """A page, but never more records than ids are left in the piece."""
    if upto is None or after is None:
        return page_size
    return max(1, min(page_size, upto - after))


def _rising(ids: list[Any], after: int | None) -> list[int]:
    """``ids``, checked to be integers that rise past ``after``."""
    previous = after
    for record_id in ids:
        if type(record_id) is not int:
            raise DecodeError("a record without an integer id", excerpt=repr(record_id)[:80])
        if previous is not None and record_id <= previous:
            raise DecodeError(
                f"ids do not advance: {record_id} came after {previous}; "
                "stopping instead of looping or handing out a record twice"
            )
        previous = record_id
    return ids


async def _discard(ahead: tuple[int | None, asyncio.Task[bytes]] | None) -> None:
    """Cancel a read-ahead that is not wanted and wait for it, whatever it ended with."""
    if ahead is not None:
        ahead[1].cancel()
        await asyncio.gather(ahead[1], return_exceptions=True)


# a page smaller than this decodes in a fraction of a millisecond: asking for the next one
# before decoding it would win no time worth the CPU of a Task and a turn of the loop per page
_OVERLAP_BYTES = 64 * 1024


def _ask_ahead(
    source: Source[Any], body: bytes, after: int | None, upto: int | None, page_size: int
) -> tuple[int, asyncio.Task[bytes]] | None:
    """The request of the page after ``body``, if the page is big enough for the overlap to pay
    and its raw bytes say another is needed: the id it asks for records after (a guess), and
    the request, started. The caller holds it before anything can cancel the caller, then lets
    it go out (a ``sleep(0)``) before decoding."""
    peek = peek_page(body) if len(body) >= _OVERLAP_BYTES else None
    if peek is None:
        return None
    count, total, last_id = peek
    if (
        count >= total  # the server says nothing lies ahead
        or (after is not None and last_id <= after)
        or (upto is not None and last_id >= upto)
    ):
        return None
    params = source.params(last_id, _limit(last_id, upto, page_size))
    return last_id, asyncio.create_task(source.fetch(params))


async def walk_piece(
    source: Source[T],
    piece: IdRange,
    page_size: int,
    *,
    head: tuple[int | None, asyncio.Task[bytes]] | None = None,
    gate: asyncio.Lock | None = None,
    caller_behind: Callable[[], bool] | None = None,
) -> AsyncGenerator[tuple[Sequence[T], ContentRange], None]:
    """Every page of ``piece`` by ascending id, cut to the piece, with its Content-Range.

    ``head``: the first page, already asked for (the id it starts after, its request). While a
    page of 64 KiB or more is decoded and handed over, the next one is on its way: its last id
    is read from the raw bytes, and a wrong guess costs a cancelled request, never a skipped or
    repeated record; a smaller page is decoded first.
    ``gate`` is held from decoding a page until the walker is asked for the next one, so that
    of the walkers that share it only one holds a decoded page that waits to be handed over.
    ``caller_behind`` says whether the caller has yet to take the last page handed over.
    """
    after, upto = piece.after, piece.upto
    ahead = head
    try:
        while True:
            asked = _limit(after, upto, page_size)
            if ahead is not None and ahead[0] == after:
                body = await ahead[1]
            else:
                if ahead is not None:
                    await _discard(ahead)  # the page asked ahead for is not the one needed
                body = await source.fetch(source.params(after, asked))
            # the next page is asked for at once, unless the caller is behind (slower than the
            # server): then only at this walker's turn, so that a waiting walker holds one
            # page's bytes, not two. Walkers that only wait for each other's decode ask at once:
            # their requests overlap the decode instead of queueing behind it
            wait = caller_behind is not None and caller_behind()
            ahead = None if wait else _ask_ahead(source, body, after, upto, page_size)
            if ahead is not None:
                await asyncio.sleep(0)  # it goes out before the decode holds the loop
            if gate is not None:
                await gate.acquire()
            try:
                if wait and (ahead := _ask_ahead(source, body, after, upto, page_size)):
                    await asyncio.sleep(0)
                records, content_range = source.reader.decode(body)
                del body  # not held while the page waits to be handed over
                records = records[:asked]  # never trusted past what was asked for
                ids = _rising(list(map(source.reader.id_of, records)), after)
                keep = len(ids) if upto is None else bisect_right(ids, upto)
                if keep:
                    after = ids[keep - 1]
                    yield records[:keep] if keep < len(records) else records, content_range
                del records
            finally:
                if gate is not None:
                    gate.release()
            # a short page ends the walk only when its total agrees: a server may cap its
            # pages (short, more ahead) or count too few (full page, "nothing ahead")
            if keep < len(ids) or (upto is not None and after == upto):
                return
            if len(ids) < asked and content_range.is_last_page:
                return
    finally:
        await _discard(ahead)


async def _probe_all(
    source: Source[Any], probes: Sequence[tuple[int | None, int]]
) -> list[tuple[int, list[int]]]:
    """The answers of ``probes`` (``(after, limit)`` each) asked at once; the first to fail
    cancels the others (none goes on in the background after the walk has raised) and is
    raised as it came, not in a group."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(source.probe(x, limit)) for x, limit in probes]
    except BaseException as error:
        failed = first_error(error)
    else:
        return [task.result() for task in tasks]
    raise failed  # outside the except block: the group is not its context


async def _plan_pieces(
    source: Source[Any], within: IdRange, *, concurrency: int, page_size: int | None
) -> tuple[list[IdRange], int]:
    """Cut ``within`` into pieces with count probes, and how many records it held."""
    after, upto = within.after, within.upto
    found = await _probe_all(source, [(after, 1), *([(upto, 1)] if upto is not None else [])])
    probes = len(found)
    ahead, first_ids = found[0]
    total = max(0, ahead - found[1][0]) if upto is not None else ahead
    plan = _plan.Plan(
        within=within,
        ahead=ahead,
        total=total,
        first_id=(first_ids or [1])[0],
        concurrency=concurrency,
        page_size=page_size,
    )
    for _ in range(_MAX_WAVES):
        if not (wanted := plan.probes()):
            break
        probes += len(wanted)
        answers = await _probe_all(source, wanted)
        for (x, _), (count, ids) in zip(wanted, answers, strict=True):
            plan.measure(x, count, ids)
    pieces = plan.pieces()
    logger.debug(
        "%s: %d records in %d pieces, planned with %d probes",
        source.resource,
        total,
        len(pieces),
        probes,
        extra={"walk_probes": probes, "walk_pieces": len(pieces)},
    )
    return pieces, total


async def _fan_in(
    source: Source[T], within: IdRange, page_size: int, concurrency: int, total: list[int]
) -> AsyncGenerator[tuple[Sequence[T], ContentRange], None]:
    """The pages of one walker per planned piece, in the order they are handed over (the
    plan's total is appended to ``total`` before the first)."""
    out: asyncio.Queue[tuple[Sequence[T], ContentRange] | BaseException | None]
    out = asyncio.Queue(maxsize=1)
    gate = asyncio.Lock()
    walkers: list[asyncio.Task[None]] = []

    async def feed(piece: IdRange, head: Any = None) -> None:
        walker = walk_piece(source, piece, page_size, head=head, gate=gate, caller_behind=out.full)
        async with contextlib.aclosing(walker):
            async for page in walker:
                await out.put(page)
                del page  # not held while the walker waits for its next turn

    async def produce() -> None:
        try:
            async with asyncio.TaskGroup() as group:
                # the first page of everything is on its way while the probes find the cuts
                params = source.params(within.after, _limit(within.after, within.upto, page_size))
                head = (within.after, group.create_task(source.fetch(params)))
                pieces, planned = await _plan_pieces(
                    source, within, concurrency=concurrency, page_size=page_size
                )
                total.append(planned)
                for index, piece in enumerate(pieces):
                    walkers.append(group.create_task(feed(piece, head if index == 0 else None)))
        except asyncio.CancelledError:
            raise
        except BaseException as error:
            await out.put(first_error(error))
        else:
            await out.put(None)

    producer = asyncio.create_task(produce())
    try:
        while (item := await out.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        # every walker at once: one that the last page handed over woke would otherwise run
        # before the producer's cancellation reached it, and send its next request
        for task in (*walkers, producer):
            task.cancel()
        await asyncio.gather(producer, return_exceptions=True)


def walk(
    source: Source[T], *, page_size: int, concurrency: int, within: IdRange, planned: list[int]
) -> AsyncGenerator[tuple[Sequence[T], ContentRange], None]:
    """Every page of ``source`` within ``within`` and its Content-Range, each record once.

    With ``concurrency=1`` one walker walks by ascending id; otherwise up to ``concurrency``
    walkers walk disjoint pieces, pages come in the order they arrive, and the plan's total is
    appended to ``planned`` before the first. Closing the generator cancels every walker; a
    walker's error is raised from it.
    """
    if concurrency == 1:
        return walk_piece(source, within, page_size)
    return _fan_in(source, within, page_size, concurrency, planned)


async def partitions(source: Source[Any], *, n: int, within: IdRange) -> list[IdRange]:
    """At most ``n`` pieces of ``within`` holding about equal shares of the matching records;
    together they cover all of it, so records that appear later still fall in one of them."""
    pieces, _ = await _plan_pieces(source, within, concurrency=n, page_size=None)
    return pieces
