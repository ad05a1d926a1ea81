"""``/SalesInvoices``: endpoint methods only assemble the path and parameters."""

from __future__ import annotations

import builtins
import contextlib
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Literal

from . import _listing, _parallel
from ._core import Core
from ._errors import ValidationError
from ._models import Page, SalesInvoice
from ._parallel import IdRange
from ._protocol import and_filters, condition

__all__ = ["SalesInvoices", "TextFormat"]

TextFormat = Literal["plain", "html", "rtf"]
_TEXT_FORMATS = ("plain", "html", "rtf")
RESOURCE = "SalesInvoices"
DEFAULT_PAGE_SIZE = 500


class SalesInvoices(_listing.ListEndpoint[SalesInvoice]):
    """Sales invoices: read one, count, walk the list (in parallel too), read the introduction
    and conclusion."""

    def __init__(self, core: Core) -> None:
        super().__init__(core, RESOURCE, SalesInvoice, id_name="invoice_id")

    async def count(self, *, filter: str | None = None, since: datetime | None = None) -> int:
        """How many invoices match ``filter`` (and ``since``, as in ``list``): one tiny request."""
        return await _listing.count(
            self._core, RESOURCE, filter=_with_since(_listing.validate_filter(filter), since)
        )

    async def pages(
        self,
        *,
        filter: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        concurrency: int = 1,
        id_range: IdRange | None = None,
        since: datetime | None = None,
    ) -> AsyncGenerator[Page[SalesInvoice], None]:
        """Every page of matching invoices; see ``list`` for the parameters."""
        walk = _parallel.parallel_pages(
            self._core,
            RESOURCE,
            SalesInvoice,
            filter=_with_since(_listing.validate_filter(filter), since),
            page_size=_listing.validate_page_size(page_size),
            concurrency=_parallel.validate_concurrency(concurrency),
            within=_parallel.validate_id_range(id_range),
        )
        # closing the outer generator must stop the workers at once, not at garbage collection
        async with contextlib.aclosing(walk):
            async for page in walk:
                yield page

    async def list(
        self,
        *,
        filter: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        concurrency: int = 1,
        id_range: IdRange | None = None,
        since: datetime | None = None,
    ) -> AsyncGenerator[SalesInvoice, None]:
        """Every matching invoice once; memory stays at a few pages per unit of concurrency.

        ``concurrency=1`` walks by ascending id. A higher value walks disjoint id ranges at once
        (found with cheap count probes) and yields invoices in arrival order. ``id_range`` walks
        one range from ``partitions()``; ``since`` keeps invoices changed at or after that
        moment (a naive datetime in the server's clock, compared with ``ts_lastupdate``).
        """
        pages = self.pages(
            filter=filter,
            page_size=page_size,
            concurrency=concurrency,
            id_range=id_range,
            since=since,
        )
        async with contextlib.aclosing(pages):
            async for page in pages:
                for invoice in page.records:
                    yield invoice

    async def partitions(
        self, n: int, *, filter: str | None = None, since: datetime | None = None
    ) -> builtins.list[IdRange]:
        """At most ``n`` id ranges with about equal shares of the matching invoices.

        They are plain, picklable data covering the whole id space; walk each with
        ``list(id_range=r, filter=<the same filter>, since=<the same since>)``, in any process.
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValidationError(f"n must be a positive integer, not {n!r}", field="n")
        return await _parallel.partitions(
            self._core,
            RESOURCE,
            filter=_with_since(_listing.validate_filter(filter), since),
            n=n,
        )

    async def introduction(self, invoice_id: int, format: TextFormat = "plain") -> str:
        """The invoice's introduction text as ``"plain"``, ``"html"`` or ``"rtf"``."""
        return await self._text(invoice_id, "introduction", format)

    async def conclusion(self, invoice_id: int, format: TextFormat = "plain") -> str:
        """The invoice's conclusion text as ``"plain"``, ``"html"`` or ``"rtf"``."""
        return await self._text(invoice_id, "conclusion", format)

    async def _text(self, invoice_id: int, part: str, format: str) -> str:
        invoice_id = _listing.validate_id(invoice_id, "invoice_id")
        if format not in _TEXT_FORMATS:
            raise ValidationError(
                f"format must be one of {', '.join(_TEXT_FORMATS)}, not {format!r}", field="format"
            )
        response = await self._core.request(
            "GET", (RESOURCE, invoice_id, f"{part}_{format}"), idempotent=True
        )
        return response.text()


def _with_since(filter: str | None, since: object) -> str | None:
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
    return and_filters(filter, condition("ts_lastupdate", "ge", since))
