"""Reading Bouwsoft lists: one record, a count, and the walk every list resource shares (in
``_walk``, cut by ``_plan``); here the endpoint methods check their arguments and start it."""

from __future__ import annotations

import builtins
import contextlib
from collections.abc import AsyncGenerator, Mapping, Sequence
from datetime import datetime
from typing import Any, Generic, TypedDict, TypeVar, Unpack

import attrs

from . import _walk
from ._convert import decode_json
from ._core import Core
from ._errors import DecodeError, ValidationError
from ._models import Page
from ._plan import IdRange
from ._protocol import and_filters, changed_since, check_utf8, excerpt, list_content_range

__all__ = [
    "MAX_CONCURRENCY",
    "MAX_PAGE_SIZE",
    "ListEndpoint",
    "WalkOptions",
    "fetch_records",
    "validate_concurrency",
    "validate_id",
]


R = TypeVar("R")

MAX_PAGE_SIZE = 10_000
DEFAULT_PAGE_SIZE = 500
MAX_CONCURRENCY = 64


def validate_id(value: object, what: str = "id", most: int | None = None) -> int:
    """A positive int (not a bool, not a string), at most ``most`` when given."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= (most or value):
        allowed = f"an integer from 1 to {most}" if most else "a positive integer"
        raise ValidationError(f"{what} must be {allowed}, not {value!r}", field=what)
    return int(value)  # an int Enum's str() is its member's name, never a path segment


def validate_concurrency(value: object) -> int:
    return validate_id(value, "concurrency", MAX_CONCURRENCY)


def with_since(filter: object, since: object) -> str | None:
    """``filter`` (checked) narrowed to records changed at or after ``since`` (a naive
    datetime)."""
    if filter is not None and not isinstance(filter, str):
        raise ValidationError(
            f"filter must be a string, not {type(filter).__name__}", field="filter"
        )
    checked = None if filter is None else check_utf8(filter, field="filter")
    if since is None:
        return and_filters(checked)  # blank text is no filter, on every page as in narrowing
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
    return and_filters(checked, changed_since(since))


async def fetch_records(
    core: Core,
    resource: str,
    cls: type[R],
    *,
    params: Mapping[str, str] | None = None,
    record_id: int | None = None,
) -> Sequence[R]:
    """The records of one GET of a list resource (or of one record by id)."""
    path = (resource, "" if record_id is None else record_id)
    response = await core.request("GET", path, params=params, idempotent=True)
    records, _ = _walk.model_reader(cls, core.secrets).decode(response.body)
    return records


T = TypeVar("T")


async def records_of(pages: AsyncGenerator[Page[T], None]) -> AsyncGenerator[T, None]:
    """The records of a walk's pages, one by one; closing this closes the walk at once."""
    async with contextlib.aclosing(pages):
        async for page in pages:
            for record in page.records:
                yield record


class WalkOptions(TypedDict, total=False):
    """The arguments of a walk (``list``, ``pages``, ``rows``); see ``ListEndpoint.list``."""

    filter: str | None
    page_size: int
    concurrency: int
    id_range: IdRange | None
    since: datetime | None


@attrs.define(eq=False, repr=False)
class ListEndpoint(Generic[R]):
    """The read side every Bouwsoft list resource shares: one by id, count, the walk (in
    parallel too), partitions for other processes."""

    _core: Core
    _resource: str
    _model: type[R]
    _id_name: str = attrs.field(kw_only=True)
    _max_concurrency: int | None = attrs.field(default=None, kw_only=True)

    def _source(
        self, filter: object, since: object, reader: _walk.Reader[Any] | None = None
    ) -> _walk.Source[Any]:
        return _walk.Source(
            core=self._core,
            resource=self._resource,
            filter=with_since(filter, since),
            reader=reader or _walk.model_reader(self._model, self._core.secrets),
        )

    async def get(self, record_id: int) -> R:
        """One record by id; NotFoundError when there is none."""
        record_id = validate_id(record_id, self._id_name)
        records = await fetch_records(self._core, self._resource, self._model, record_id=record_id)
        if len(records) != 1:
            raise DecodeError(f"expected one {self._model.__name__}, got {len(records)}")
        found: Any = records[0]
        if found.id != record_id:  # never another record for the one asked for
            raise DecodeError(
                f"asked for {self._model.__name__} {record_id}, the server answered {found.id}"
            )
        return records[0]

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

    async def count(self, *, filter: str | None = None, since: datetime | None = None) -> int:
        """How many records match ``filter`` (and ``since``, as in ``list``): one tiny request,
        of which only the Content-Range is read."""
        source = self._source(filter, since)
        body = await source.fetch(source.params(None, 1))
        payload = decode_json(body, self._core.secrets())
        if not isinstance(payload, Mapping):
            raise DecodeError(
                "expected an object with Content-Range",
                excerpt=excerpt(body, self._core.secrets()),
            )
        return list_content_range(payload, self._core.secrets()).total

    def pages(self, **options: Unpack[WalkOptions]) -> AsyncGenerator[Page[R], None]:
        """Every page of matching records; see ``list`` for the arguments."""
        return self._walk_pages(None, **options)

    async def _walk_pages(
        self,
        reader: _walk.Reader[Any] | None,
        *,
        filter: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        concurrency: int = 1,
        id_range: IdRange | None = None,
        since: datetime | None = None,
    ) -> AsyncGenerator[Page[Any], None]:
        """The walk of ``pages``, its pages read by ``reader`` (default: the model's); closing
        it (or breaking out of ``async for``) cancels every walker."""
        if id_range is not None and not isinstance(id_range, IdRange):
            raise ValidationError(
                f"id_range must be an IdRange (from partitions()), not {type(id_range).__name__}",
                field="id_range",
            )
        within = id_range or IdRange()
        planned: list[int] = []
        walk = _walk.walk(
            self._source(filter, since, reader),
            page_size=validate_id(page_size, "page_size", MAX_PAGE_SIZE),
            concurrency=self._concurrency(concurrency),
            within=within,
            planned=planned,
        )
        position = 0
        walk_total: int | None = None
        async with contextlib.aclosing(walk):
            async for records, content_range in walk:
                if position == 0 and (planned or within.upto is None):
                    # a sequential walk's first page counts everything the walk will see
                    walk_total = planned[0] if planned else content_range.total
                yield Page(
                    records=tuple(records),
                    first=0,
                    last=len(records) - 1,
                    total=content_range.total,
                    walk_position=position,
                    walk_total=walk_total,
                )
                position += len(records)

    def list(self, **options: Unpack[WalkOptions]) -> AsyncGenerator[R, None]:
        """Every matching record once; memory stays at a few pages per unit of concurrency.

        Arguments: ``filter`` (filter text), ``page_size`` (records per request, 500 by
        default), ``concurrency`` (1 by default: walks by ascending id; a higher value walks
        disjoint id ranges at once, found with cheap count probes, and yields records in arrival
        order), ``id_range`` (one range from ``partitions()``) and ``since`` (records changed at
        or after that moment: a naive datetime in the server's clock, compared with
        ``ts_lastupdate``).
        """
        return records_of(self.pages(**options))

    async def partitions(
        self, n: int, *, filter: str | None = None, since: datetime | None = None
    ) -> builtins.list[IdRange]:
        """At most ``n`` id ranges with about equal shares of the matching records.

        They are plain, picklable data covering the whole id space; walk each with
        ``list(id_range=r, filter=<the same filter>, since=<the same since>)``, in any process.
        """
        n = validate_id(n, "n")
        return await _walk.partitions(self._source(filter, since), n=n, within=IdRange())
