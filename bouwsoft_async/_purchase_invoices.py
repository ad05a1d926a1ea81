"""``/PurchaseInvoices``: create, update, attach files; read like the other lists."""

from __future__ import annotations

from typing import Unpack

from . import _listing, _writes
from ._core import Core
from ._fields import PURCHASE_INVOICE_FIELDS
from ._models import PurchaseInvoice, RecordChanges, UploadedFile
from ._write_types import PurchaseInvoiceFields

__all__ = ["PurchaseInvoices"]

RESOURCE = "PurchaseInvoices"


class PurchaseInvoices(_listing.ListEndpoint[PurchaseInvoice]):
    """Purchase invoices. Field names and types are those of the vendor's field table;
    ``get``, ``count``, ``pages`` and ``list`` read them like the sales invoices."""

    def __init__(self, core: Core, *, max_concurrency: int | None = None) -> None:
        super().__init__(
            core, RESOURCE, PurchaseInvoice, id_name="invoice_id", max_concurrency=max_concurrency
        )

    async def create(self, **fields: Unpack[PurchaseInvoiceFields]) -> PurchaseInvoice:
        """Create a purchase invoice (``POST``), fields sent in the order given.

        Not retried once it may have reached the server: WriteOutcomeUnknown then.
        """
        answer = await _writes.write(
            self._core, "POST", (RESOURCE,), PURCHASE_INVOICE_FIELDS, fields
        )
        return answer.whole(PurchaseInvoice)

    async def update(
        self, invoice_id: int, **fields: Unpack[PurchaseInvoiceFields]
    ) -> RecordChanges[PurchaseInvoice]:
        """Set fields (``PUT``); returns only what changed, derived totals included."""
        invoice_id = _listing.validate_id(invoice_id, "invoice_id")
        answer = await _writes.write(
            self._core, "PUT", (RESOURCE, invoice_id), PURCHASE_INVOICE_FIELDS, fields
        )
        return answer.changes(PurchaseInvoice)

    async def delete(self, invoice_id: int) -> bool:
        """Delete a purchase invoice (``DELETE``; the server answers 200 or 204).

        Returns True when the server removed it, False when it answered that there is no such
        invoice (404): already deleted, by someone else or by an earlier try of this call whose
        answer was lost (a DELETE is retried like a PUT). Either way it is gone afterwards.
        """
        invoice_id = _listing.validate_id(invoice_id, "invoice_id")
        return await _writes.delete_record(self._core, (RESOURCE, invoice_id))

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
