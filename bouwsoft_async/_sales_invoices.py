"""``/SalesInvoices``: endpoint methods only assemble the path and parameters."""

from __future__ import annotations

import operator
import typing
from collections.abc import AsyncGenerator, Sequence
from typing import Any, Literal, Unpack

from . import _listing, _walk
from ._convert import ROW_TEXT, record_rows
from ._core import Core
from ._errors import ValidationError
from ._models import Page, SalesInvoice

__all__ = ["SalesInvoices", "TextFormat", "sales_invoice_rows"]

TextFormat = Literal["plain", "html", "rtf"]
_TEXT_FORMATS = typing.get_args(TextFormat)
RESOURCE = "SalesInvoices"


def sales_invoice_rows(records: list[Any]) -> list[dict[str, Any]]:
    """A page's raw invoices (parsed JSON) as the rows of ``rows()``, without building models."""
    return record_rows(records, SalesInvoice, ROW_TEXT)


class SalesInvoices(_listing.ListEndpoint[SalesInvoice]):
    """Sales invoices: the list walk, plain rows, the introduction and conclusion texts."""

    def __init__(self, core: Core, *, max_concurrency: int | None = None) -> None:
        super().__init__(
            core, RESOURCE, SalesInvoice, id_name="invoice_id", max_concurrency=max_concurrency
        )

    def rows(self, **options: Unpack[_listing.WalkOptions]) -> AsyncGenerator[dict[str, Any], None]:
        """Every matching invoice once as a plain dict under the wire names (money as exact
        text), read by the rules of ``list`` without building models; README, "Rows"."""
        return _listing.records_of(self._row_pages(**options))

    def _row_pages(
        self, **options: Unpack[_listing.WalkOptions]
    ) -> AsyncGenerator[Page[dict[str, Any]], None]:
        core = self._core

        def decode(body: bytes) -> tuple[Sequence[dict[str, Any]], Any]:
            # the secrets as they are now: a walk may outlive the token it began with
            return _walk.read_page(body, core.secrets(), sales_invoice_rows)

        return self._walk_pages(
            _walk.Reader(decode=decode, id_of=operator.itemgetter("id")), **options
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
        path = (RESOURCE, invoice_id, f"{part}_{format}")
        response = await self._core.request("GET", path, idempotent=True)
        return response.text()
