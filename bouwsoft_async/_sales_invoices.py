"""``/SalesInvoices``: endpoint methods only assemble the path and parameters."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Literal

from . import _listing
from ._core import Core
from ._errors import ValidationError
from ._models import Page, SalesInvoice

__all__ = ["SalesInvoices", "TextFormat"]

TextFormat = Literal["plain", "html", "rtf"]
_TEXT_FORMATS = ("plain", "html", "rtf")
RESOURCE = "SalesInvoices"
DEFAULT_PAGE_SIZE = 500


class SalesInvoices:
    """Sales invoices: read one, count, walk the list, read the introduction and conclusion."""

    def __init__(self, core: Core) -> None:
        self._core = core

    async def get(self, invoice_id: int) -> SalesInvoice:
        """One invoice by id; NotFoundError when there is none."""
        invoice_id = _listing.validate_id(invoice_id, "invoice_id")
        return await _listing.fetch_one(self._core, RESOURCE, invoice_id, SalesInvoice)

    async def count(self, *, filter: str | None = None) -> int:
        """How many invoices match ``filter`` (one tiny request)."""
        return await _listing.count(self._core, RESOURCE, filter=_listing.validate_filter(filter))

    async def pages(
        self, *, filter: str | None = None, page_size: int = DEFAULT_PAGE_SIZE
    ) -> AsyncIterator[Page[SalesInvoice]]:
        """Every page of matching invoices, by ascending id."""
        walk = _listing.walk_pages(
            self._core,
            RESOURCE,
            SalesInvoice,
            filter=_listing.validate_filter(filter),
            page_size=_listing.validate_page_size(page_size),
        )
        async for page in walk:
            yield page

    async def list(
        self, *, filter: str | None = None, page_size: int = DEFAULT_PAGE_SIZE
    ) -> AsyncIterator[SalesInvoice]:
        """Every matching invoice once, by ascending id; memory stays at one page."""
        async for page in self.pages(filter=filter, page_size=page_size):
            for invoice in page.records:
                yield invoice

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
