"""``/PurchaseInvoices``: create, update, attach files; read like the other lists."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from . import _listing, _writes
from ._core import Core
from ._fields import PURCHASE_INVOICE_FIELDS
from ._models import Page, PurchaseInvoice, RecordChanges, UploadedFile

__all__ = ["PurchaseInvoices"]

RESOURCE = "PurchaseInvoices"


class PurchaseInvoices:
    """Purchase invoices. Field names and types are those of the vendor's field table."""

    def __init__(self, core: Core) -> None:
        self._core = core

    async def create(self, **fields: Any) -> PurchaseInvoice:
        """Create a purchase invoice (``POST``), fields sent in the order given.

        Not retried once it may have reached the server: WriteOutcomeUnknown then.
        """
        return await _writes.post_record(
            self._core, (RESOURCE,), PURCHASE_INVOICE_FIELDS, fields, PurchaseInvoice
        )

    async def update(self, invoice_id: int, **fields: Any) -> RecordChanges[PurchaseInvoice]:
        """Set fields (``PUT``); returns only what changed, derived totals included."""
        invoice_id = _listing.validate_id(invoice_id, "invoice_id")
        return await _writes.put_changes(
            self._core, (RESOURCE, invoice_id), PURCHASE_INVOICE_FIELDS, fields, PurchaseInvoice
        )

    async def upload(
        self, invoice_id: int, file: _writes.FileInput, *, filename: str | None = None
    ) -> UploadedFile:
        """Attach a file (a path, bytes with ``filename=``, or a binary file object)."""
        invoice_id = _listing.validate_id(invoice_id, "invoice_id")
        return await _writes.send_file(
            self._core, "POST", (RESOURCE, invoice_id, "Upload"), file, filename, UploadedFile
        )

    async def replace_upload(
        self, invoice_id: int, file: _writes.FileInput, *, filename: str | None = None
    ) -> UploadedFile:
        """Replace the invoice's file (the ``PUT`` variant of ``upload``)."""
        invoice_id = _listing.validate_id(invoice_id, "invoice_id")
        return await _writes.send_file(
            self._core, "PUT", (RESOURCE, invoice_id, "Upload"), file, filename, UploadedFile
        )

    async def get(self, invoice_id: int) -> PurchaseInvoice:
        """One purchase invoice by id."""
        invoice_id = _listing.validate_id(invoice_id, "invoice_id")
        return await _listing.fetch_one(self._core, RESOURCE, invoice_id, PurchaseInvoice)

    async def pages(
        self, *, filter: str | None = None, page_size: int = 500
    ) -> AsyncIterator[Page[PurchaseInvoice]]:
        """Every page of matching purchase invoices, by ascending id."""
        walk = _listing.walk_pages(
            self._core,
            RESOURCE,
            PurchaseInvoice,
            filter=_listing.validate_filter(filter),
            page_size=_listing.validate_page_size(page_size),
        )
        async for page in walk:
            yield page

    async def list(
        self, *, filter: str | None = None, page_size: int = 500
    ) -> AsyncIterator[PurchaseInvoice]:
        """Every matching purchase invoice once, by ascending id."""
        async for page in self.pages(filter=filter, page_size=page_size):
            for invoice in page.records:
                yield invoice
