"""``/SalesInvoices``: endpoint methods only assemble the path and parameters."""

from __future__ import annotations

from typing import Literal

from . import _listing
from ._core import Core
from ._errors import ValidationError
from ._models import SalesInvoice

__all__ = ["SalesInvoices", "TextFormat"]

TextFormat = Literal["plain", "html", "rtf"]
_TEXT_FORMATS = ("plain", "html", "rtf")
RESOURCE = "SalesInvoices"


class SalesInvoices(_listing.ListEndpoint[SalesInvoice]):
    """Sales invoices: read one, count, walk the list (in parallel too), read the introduction
    and conclusion."""

    def __init__(self, core: Core, *, max_concurrency: int | None = None) -> None:
        super().__init__(
            core, RESOURCE, SalesInvoice, id_name="invoice_id", max_concurrency=max_concurrency
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
