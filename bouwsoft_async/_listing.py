"""Reading Bouwsoft lists: one record, a count, and the walk every list resource shares.

The walk itself (pieces, walkers, read-ahead) is in ``_walk``; the plan of where to cut in
``_plan``. Here are the endpoint methods that check their arguments and start it.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncGenerator, Mapping
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from . import _walk
from ._convert import decode_json
from ._core import Core
from ._errors import DecodeError, ValidationError
from ._models import Page
from ._parallel import IdRange, piece_of, range_of, validate_concurrency, validate_id_range
from ._protocol import and_filters, changed_since, check_utf8, excerpt, list_content_range

__all__ = ["ListEndpoint", "fetch_page", "validate_id", "validate_page_size"]


class HasId(Protocol):
    @property
    def id(self) -> int: ...


R = TypeVar("R", bound=HasId)

MAX_PAGE_SIZE = 10_000
DEFAULT_PAGE_SIZE = 500


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


def with_since(filter: str | None, since: object) -> str | None:
    """``filter`` narrowed to records changed at or after ``since`` (a naive datetime)."""
    if since is None:
        return filter
    if not isinstance(since, datetime):
        raise ValidationError(
            f"since must be a datetime, not {type(since).__name__}", field="since"
        )
    if since.tzinfo is not None:
        # ts_lastupdate carries no zone; guessing the server's would shift the cut silently
        raise ValidationError(
            "since must be a naive datetime in the server's clock (ts_lastupdate has no zone)",
            field="since",
        )
    return and_filters(filter, changed_since(since))


def _page_from_body(body: bytes, cls: type[R], secrets: list[str]) -> Page[R]:
    records, content_range = _walk.model_reader(cls, secrets).decode(body)
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
    response = await core.request("GET", (resource, ""), params=params, idempotent=True)
    return _page_from_body(response.body, cls, core.secrets())


async def fetch_one(core: Core, resource: str, record_id: int, cls: type[R]) -> R:
    """``GET /<resource>/{id}``: an answer of exactly one record."""
    response = await core.request("GET", (resource, record_id), idempotent=True)
    page = _page_from_body(response.body, cls, core.secrets())
    if len(page.records) != 1:
        raise DecodeError(f"expected one {cls.__name__}, got {len(page.records)}")
    return page.records[0]


T = TypeVar("T")


async def records_of(pages: AsyncGenerator[Page[T], None]) -> AsyncGenerator[T, None]:
    """The records of a walk's pages, one by one; closing this closes the walk at once."""
    try:
        async for page in pages:
            for record in page.records:
                yield record
    finally:
        await pages.aclose()


class ListEndpoint(Generic[R]):
    """The read side every Bouwsoft list resource shares: one by id, count, the walk (in
    parallel too), partitions for other processes."""

    def __init__(
        self,
        core: Core,
        resource: str,
        model: type[R],
        *,
        id_name: str,
        max_concurrency: int | None = None,
    ) -> None:
        self._core = core
        self._resource = resource
        self._model = model
        self._id_name = id_name
        self._max_concurrency = max_concurrency

    def _source(self, filter: str | None, reader: _walk.Reader[Any] | None = None) -> Any:
        return _walk.Source(
            core=self._core,
            resource=self._resource,
            filter=filter,
            reader=reader or _walk.model_reader(self._model, self._core.secrets()),
        )

    def _concurrency(self, value: object) -> int:
        concurrency = validate_concurrency(value)
        # no silent cap: a walk never runs fewer requests at once than it was asked to
        if self._max_concurrency is not None and concurrency > self._max_concurrency:
            raise ValidationError(
                f"concurrency={concurrency} needs a client that allows {concurrency} requests "
                f"at once, and this one allows {self._max_concurrency}: create the client with "
                f"max_concurrency={concurrency} (or more), or ask for less concurrency",
                field="concurrency",
            )
        return concurrency

    async def get(self, record_id: int) -> R:
        """One record by id; NotFoundError when there is none."""
        record_id = validate_id(record_id, self._id_name)
        return await fetch_one(self._core, self._resource, record_id, self._model)

    async def count(self, *, filter: str | None = None, since: datetime | None = None) -> int:
        """How many records match ``filter`` (and ``since``, as in ``list``): one tiny request."""
        source = self._source(with_since(validate_filter(filter), since))
        body = await source.fetch(source.params(None, 1))
        payload = decode_json(body, self._core.secrets())
        if not isinstance(payload, Mapping):
            raise DecodeError(
                "expected an object with Content-Range",
                excerpt=excerpt(body, self._core.secrets()),
            )
        return list_content_range(payload).total

    def pages(
        self,
        *,
        filter: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        concurrency: int = 1,
        id_range: IdRange | None = None,
        since: datetime | None = None,
    ) -> AsyncGenerator[Page[R], None]:
        """Every page of matching records; see ``list`` for the parameters."""
        return self._walk_pages(None, filter, page_size, concurrency, id_range, since)

    async def _walk_pages(
        self,
        reader: _walk.Reader[Any] | None,
        filter: str | None,
        page_size: int,
        concurrency: int,
        id_range: IdRange | None,
        since: datetime | None,
    ) -> AsyncGenerator[Page[Any], None]:
        """The walk of ``pages``, its pages read by ``reader`` (default: the model's)."""
        source = self._source(with_since(validate_filter(filter), since), reader)
        page_size = validate_page_size(page_size)
        concurrency = self._concurrency(concurrency)
        within = piece_of(validate_id_range(id_range))
        walk = _walk.walk(source, page_size=page_size, concurrency=concurrency, within=within)
        try:
            async for page in walk:
                yield page
        finally:
            # closing this generator stops the walkers at once, not at garbage collection
            await walk.aclose()

    def list(
        self,
        *,
        filter: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        concurrency: int = 1,
        id_range: IdRange | None = None,
        since: datetime | None = None,
    ) -> AsyncGenerator[R, None]:
        """Every matching record once; memory stays at a few pages per unit of concurrency.

        ``concurrency=1`` walks by ascending id. A higher value walks disjoint id ranges at once
        (found with cheap count probes) and yields records in arrival order, not by id.
        ``id_range`` walks one range from ``partitions()``; ``since`` keeps records changed at
        or after that moment (a naive datetime in the server's clock, compared with
        ``ts_lastupdate``).
        """
        pages = self.pages(
            filter=filter,
            page_size=page_size,
            concurrency=concurrency,
            id_range=id_range,
            since=since,
        )
        return records_of(pages)

    async def partitions(
        self, n: int, *, filter: str | None = None, since: datetime | None = None
    ) -> builtins.list[IdRange]:
        """At most ``n`` id ranges with about equal shares of the matching records.

        They are plain, picklable data covering the whole id space; walk each with
        ``list(id_range=r, filter=<the same filter>, since=<the same since>)``, in any process.
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValidationError(f"n must be a positive integer, not {n!r}", field="n")
        source = self._source(with_since(validate_filter(filter), since))
        pieces = await _walk.partitions(source, n=n, within=piece_of(None))
        return [range_of(piece) for piece in pieces]
