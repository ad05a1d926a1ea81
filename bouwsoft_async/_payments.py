"""``/Payments``: create payments safely, read them back."""

from __future__ import annotations

from typing import Any

from . import _listing, _writes
from ._core import Core
from ._errors import ValidationError, WriteOutcomeUnknown
from ._fields import PAYMENT_FIELDS
from ._models import Payment
from ._protocol import condition

__all__ = ["Payments"]

RESOURCE = "Payments"


class Payments(_listing.ListEndpoint[Payment]):
    """Payments of purchase and sales invoices: create safely; ``get``, ``count``, ``pages``
    and ``list`` walk ``GET /Payments`` like the sales invoices."""

    def __init__(self, core: Core) -> None:
        super().__init__(core, RESOURCE, Payment, id_name="payment_id")

    async def create(self, *, idempotent: bool = False, **fields: Any) -> Payment:
        """Create a payment (``POST``), fields sent in the order given.

        A plain create is never sent twice: when its outcome is unknown (timeout, dropped
        connection) it raises WriteOutcomeUnknown. With ``idempotent=True`` the payment must carry
        a unique ``externalcode``; on an unknown outcome the client looks the payment up by that
        code, returns it if it was created, and only otherwise sends it again (within the client's
        retry budget). This is the safe way to create payments from a sync worker.
        """
        key = fields.get("externalcode")
        if idempotent and (not isinstance(key, str) or not key.strip()):
            raise ValidationError(
                "idempotent=True needs a unique, non-empty externalcode to look the payment up by",
                field="externalcode",
            )
        if not idempotent:
            return await _writes.post_record(
                self._core, (RESOURCE,), PAYMENT_FIELDS, fields, Payment
            )
        assert isinstance(key, str)
        last_unknown: WriteOutcomeUnknown | None = None
        for _ in range(self._core.policy.max_retries + 1):
            try:
                return await _writes.post_record(
                    self._core, (RESOURCE,), PAYMENT_FIELDS, fields, Payment
                )
            except WriteOutcomeUnknown as unknown:
                last_unknown = unknown
                existing = await self.find_by_externalcode(key)
                if existing is not None:
                    return existing
        assert last_unknown is not None
        raise last_unknown

    async def find_by_externalcode(self, externalcode: str) -> Payment | None:
        """The payment with this ``externalcode``, or None (the lowest id if several exist)."""
        page = await _listing.fetch_page(
            self._core,
            RESOURCE,
            Payment,
            params={
                "limit": "1",
                "sort": "id",
                "filter": condition("externalcode", "eq", externalcode),
            },
        )
        return page.records[0] if page.records else None
