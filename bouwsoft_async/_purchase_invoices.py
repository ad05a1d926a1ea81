"""``/PurchaseInvoices``: create, update, attach files; read like the other lists."""

from __future__ import annotations

from typing import Unpack

from . import _listing, _writes
from ._core import Core
from ._errors import NotFoundError
from ._fields import PURCHASE_INVOICE_FIELDS, PurchaseInvoiceFields
from ._models import PurchaseInvoice, RecordChanges, UploadedFile

__all__ = ["PurchaseInvoices"]

RESOURCE = "PurchaseInvoices"


class PurchaseInvoices(_listing.ListEndpoint[PurchaseInvoice]):
    """Purchase invoices: create, update, delete, attach files; read like the other lists."""

    def __init__(self, core: Core, *, max_concurrency: int | None = None) -> None:
        super().__init__(
            core, RESOURCE, PurchaseInvoice, id_name="invoice_id", max_concurrency=max_concurrency
        )

    async def create(self, **fields: Unpack[PurchaseInvoiceFields]) -> PurchaseInvoice:
        """Create a purchase invoice (``POST``), fields sent in the order given; never sent
        twice (WriteOutcomeUnknown when it may have arrived)."""
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
        return answer.changes(PurchaseInvoice, record_id=invoice_id)

    async def delete(self, invoice_id: int) -> bool:
        """Delete a purchase invoice (``DELETE``): True if removed, False if already gone."""
        invoice_id = _listing.validate_id(invoice_id, "invoice_id")
        # retried like a PUT, so a 404 may answer a try after one that removed it. ASSUMPTION
        # (see the README): Bouwsoft never reuses an id, so a repeated DELETE removes no other
        # record
        try:
            await _writes.delete(self._core, (RESOURCE, invoice_id))
        except NotFoundError:
            return False
        return True

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
