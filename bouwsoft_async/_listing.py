"""Reading Bouwsoft lists: one page, a count, and the walk by id.

The API has no offset parameter. A walk asks for ``sort=id`` and ``limit``, and for every next page
narrows the caller's filter with ``id gt <last id seen>``; Content-Range's total then counts what is
still ahead, so the walk ends when a page reaches it. A page that contradicts its Content-Range, or
whose ids do not advance, raises DecodeError instead of looping or skipping.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Callable, Mapping
from contextlib import aclosing
from typing import Any, Generic, Protocol, TypeVar

from ._convert import decode_json, structure_many
from ._core import Core
from ._errors import DecodeError, ValidationError
from ._models import Page
from ._protocol import (
    and_filters,
    check_utf8,
    condition,
    excerpt,
    parse_content_range,
    peek_next_page,
)

__all__ = ["fetch_page", "validate_id", "validate_page_size", "walk_pages"]


class HasId(Protocol):
    @property
    def id(self) -> int: ...


R = TypeVar("R", bound=HasId)

MAX_PAGE_SIZE = 10_000


def validate_id(value: object, what: str = "id") -> int:
    """A record id: a positive int (not a bool, not a string)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(f"{what} must be a positive integer, not {value!r}", field=what)
    return value


def validate_page_size(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PAGE_SIZE:
        raise ValidationError(
            f"page_size must be an integer from 1 to {MAX_PAGE_SIZE}, not {value!r}",
            field="page_size",
        )
    return value


def validate_filter(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(
            f"filter must be a string, not {type(value).__name__}", field="filter"
        )
    return check_utf8(value, field="filter")


def _page_from_body(body: bytes, cls: type[R], secrets: list[str]) -> Page[R]:
    payload = decode_json(body, secrets)
    if not isinstance(payload, Mapping) or not isinstance(payload.get("Records"), list):
        raise DecodeError(
            "expected an object with Content-Range and Records", excerpt=excerpt(body, secrets)
        )
    content_range = parse_content_range(payload.get("Content-Range"))
    raw_records: list[Any] = payload["Records"]
    if len(raw_records) != content_range.count:
        raise DecodeError(
            f"Content-Range announces {content_range.count} records but the page has "
            f"{len(raw_records)}",
            excerpt=str(payload.get("Content-Range")),
        )
    records = structure_many(raw_records, cls)
    return Page(
        records=tuple(records),
        first=content_range.first,
        last=content_range.last,
        total=content_range.total,
    )


async def fetch_page(
    core: Core, resource: str, cls: type[R], *, params: Mapping[str, str]
) -> Page[R]:
    """One GET of a list resource, decoded into a Page."""
    body = await _fetch_body(core, resource, params, None)
    return _page_from_body(body, cls, core.secrets())


async def fetch_one(core: Core, resource: str, record_id: int, cls: type[R]) -> R:
    """``GET /<resource>/{id}``: an answer of exactly one record."""
    response = await core.request("GET", (resource, record_id), idempotent=True)
    page = _page_from_body(response.body, cls, core.secrets())
    if len(page.records) != 1:
        raise DecodeError(f"expected one {cls.__name__}, got {len(page.records)}")
    return page.records[0]


async def _first_of(core: Core, resource: str, filter: str | None) -> tuple[Any, bytes]:
    """The parsed answer (and its bytes) of a ``limit=1`` request for ``filter``."""
    body = await _fetch_body(core, resource, walk_params(filter, 1, None), None)
    return decode_json(body, core.secrets()), body


async def count(core: Core, resource: str, *, filter: str | None) -> int:
    """How many records match ``filter``: one ``limit=1`` request, read from Content-Range."""
    payload, body = await _first_of(core, resource, filter)
    if not isinstance(payload, Mapping):
        raise DecodeError(
            "expected an object with Content-Range", excerpt=excerpt(body, core.secrets())
        )
    return parse_content_range(payload.get("Content-Range")).total


async def _fetch_body(
    core: Core, resource: str, params: Mapping[str, str], slots: asyncio.Semaphore | None
) -> bytes:
    async with slots or contextlib.nullcontext():
        response = await core.request("GET", (resource, ""), params=params, idempotent=True)
    return response.body


async def _discard(task: asyncio.Task[bytes] | None) -> None:
    """Cancel a read-ahead that is not wanted and wait for it, whatever it ended with."""
    if task is not None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def walk_pages(
    core: Core,
    resource: str,
    cls: type[R],
    *,
    filter: str | None,
    page_size: int,
    slots: asyncio.Semaphore | None = None,
    check: Callable[[Page[R]], None] | None = None,
    read_ahead: Callable[[], bool] = lambda: True,
) -> AsyncGenerator[Page[R], None]:
    """Every page of ``filter`` by ascending id, each record once.

    While a page is decoded (and while the caller holds it), the next one is already on its
    way: ``peek_next_page`` guesses the last id from the raw bytes, and the guess is used only
    if it matches the decoded page; a wrong one costs a cancelled GET, never a skipped or
    repeated record. Memory: one decoded page and the next page's bytes. ``slots`` bounds the
    requests in flight; ``check`` vets each page before it is yielded; ``read_ahead`` says
    whether reading ahead is worth it now (a consumer that lags has pages waiting already).
    """
    last_id: int | None = None
    params = walk_params(filter, page_size, last_id)
    ahead: asyncio.Task[bytes] | None = None
    ahead_params: dict[str, str] | None = None
    try:
        while True:
            if ahead is not None and ahead_params == params:
                body = await ahead
            else:
                await _discard(ahead)
                body = await _fetch_body(core, resource, params, slots)
            ahead = None
            guess = peek_next_page(body)
            # a guess that does not advance means a bad page: nothing worth asking for next
            if guess is not None and (last_id is None or guess > last_id) and read_ahead():
                ahead_params = walk_params(filter, page_size, guess)
                ahead = asyncio.ensure_future(_fetch_body(core, resource, ahead_params, slots))
                # decoding holds the loop for milliseconds: give it two turns first, one for
                # this read-ahead to start and one for those of other walks whose pages came in
                # at the same moment, so every request is out before the CPU work begins
                await asyncio.sleep(0)
                await asyncio.sleep(0)
            page = _page_from_body(body, cls, core.secrets())
            del body  # not held while the caller holds the page
            if not page.records:
                check_empty_page(page)
                return
            if check is not None:
                check(page)
            last_id = check_walk_page(page, last_id)
            params = walk_params(filter, page_size, last_id)
            yield page
            if page.last + 1 >= page.total:
                return
    finally:
        await _discard(ahead)


def walk_params(filter: str | None, page_size: int, last_id: int | None) -> dict[str, str]:
    """The query of a walk's next page: ``filter`` narrowed to ids after ``last_id``."""
    narrowed = and_filters(filter, condition("id", "gt", last_id) if last_id is not None else None)
    params = {"limit": str(page_size), "sort": "id"}
    if narrowed:
        params["filter"] = narrowed
    return params


def check_empty_page(page: Page[Any]) -> None:
    """An empty page must not claim that records lie ahead."""
    if page.total:
        raise DecodeError(f"Content-Range counts {page.total} records ahead but the page is empty")


def check_walk_page(page: Page[R], last_id: int | None) -> int:
    """Check a non-empty walk page (starts at 0, ids advance past ``last_id``); its last id."""
    if page.first != 0:
        raise DecodeError(
            f"a narrowed page should start at position 0, Content-Range says {page.first}"
        )
    previous = last_id
    for record in page.records:
        if previous is not None and record.id <= previous:
            raise DecodeError(
                f"ids do not advance: {record.id} came after {previous}; "
                "stopping instead of looping"
            )
        previous = record.id
    assert previous is not None
    return previous


async def probe(core: Core, resource: str, *, filter: str | None) -> tuple[int, int | None]:
    """How many records match ``filter`` and the lowest matching id: one ``limit=1`` request."""
    payload, body = await _first_of(core, resource, filter)
    records = payload.get("Records") if isinstance(payload, Mapping) else None
    if not isinstance(records, list):
        raise DecodeError(
            "expected an object with Content-Range and Records",
            excerpt=excerpt(body, core.secrets()),
        )
    total = parse_content_range(payload.get("Content-Range")).total
    if not records:
        if total:
            raise DecodeError(f"Content-Range counts {total} records but the page is empty")
        return 0, None
    first = records[0].get("id") if isinstance(records[0], Mapping) else None
    if isinstance(first, bool) or not isinstance(first, int):
        raise DecodeError("a record without an integer id", excerpt=repr(first)[:80])
    return total, first


class ListEndpoint(Generic[R]):
    """The read side every Bouwsoft list resource shares: one by id, count, the id walk."""

    def __init__(self, core: Core, resource: str, model: type[R], *, id_name: str) -> None:
        self._core = core
        self._resource = resource
        self._model = model
        self._id_name = id_name

    async def get(self, record_id: int) -> R:
        """One record by id; NotFoundError when there is none."""
        record_id = validate_id(record_id, self._id_name)
        return await fetch_one(self._core, self._resource, record_id, self._model)

    async def count(self, *, filter: str | None = None) -> int:
        """How many records match ``filter`` (one tiny request)."""
        return await count(self._core, self._resource, filter=validate_filter(filter))

    async def pages(
        self, *, filter: str | None = None, page_size: int = 500
    ) -> AsyncGenerator[Page[R], None]:
        """Every page of matching records, by ascending id."""
        walk = walk_pages(
            self._core,
            self._resource,
            self._model,
            filter=validate_filter(filter),
            page_size=validate_page_size(page_size),
        )
        async with aclosing(walk):
            async for page in walk:
                yield page

    async def list(
        self, *, filter: str | None = None, page_size: int = 500
    ) -> AsyncGenerator[R, None]:
        """Every matching record once, by ascending id; memory stays at one page."""
        pages = self.pages(filter=filter, page_size=page_size)
        async with aclosing(pages):
            async for page in pages:
                for record in page.records:
                    yield record
