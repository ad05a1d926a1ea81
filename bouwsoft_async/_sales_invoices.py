"""``/SalesInvoices``: endpoint methods only assemble the path and parameters."""

from __future__ import annotations

import operator
from collections.abc import AsyncGenerator
from typing import Any, Literal, Unpack

from . import _listing, _walk
from ._convert import ROW_TEXT, record_rows
from ._core import Core
from ._errors import ValidationError
from ._models import Page, SalesInvoice

__all__ = ["SalesInvoices", "TextFormat", "sales_invoice_rows"]

TextFormat = Literal["plain", "html", "rtf"]
_TEXT_FORMATS = ("plain", "html", "rtf")
RESOURCE = "SalesInvoices"


def sales_invoice_rows(records: list[Any]) -> list[dict[str, Any]]:
    """A page's raw invoices (parsed JSON) as the rows of ``rows()``, without building models."""
    return record_rows(records, SalesInvoice, ROW_TEXT)


class SalesInvoices(_listing.ListEndpoint[SalesInvoice]):
    """Sales invoices: read one, count, walk the list (in parallel too), read the introduction
    and conclusion."""

    def __init__(self, core: Core, *, max_concurrency: int | None = None) -> None:
        super().__init__(
            core, RESOURCE, SalesInvoice, id_name="invoice_id", max_concurrency=max_concurrency
        )

    def rows(self, **options: Unpack[_listing.WalkOptions]) -> AsyncGenerator[dict[str, Any], None]:
        """Every matching invoice once as a plain row, for jobs that write rows, not models.

        The arguments are those of ``list``. A row is a dict under the wire names, in the
        order the server sent them (a model field it left out added with its default, as in
        ``list``), unknown fields included: money and rates as exact text
        (``"4571.4"``), dates ``"YYYY-MM-DD"``, timestamps ``"YYYY-MM-DD HH:MM:SS"``, empty
        dates None, booleans and numbers as JSON has them. Each value is read by the same rules
        as ``list`` reads it (a bad one raises DecodeError), without building the models.
        """
        return _listing.records_of(self._row_pages(**options))

    def _row_pages(
        self, **options: Unpack[_listing.WalkOptions]
    ) -> AsyncGenerator[Page[dict[str, Any]], None]:
        """The pages of ``rows``: the walk of ``pages`` with rows for records."""
        secrets = self._core.secrets()

        def decode(body: bytes) -> tuple[list[dict[str, Any]], Any]:
            records, content_range = _walk.list_payload(body, secrets)
            return sales_invoice_rows(records), content_range

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
