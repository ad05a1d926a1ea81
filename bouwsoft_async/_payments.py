"""``/Payments``: create payments safely, read them back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from . import _listing, _writes
from ._core import Core
from ._errors import ValidationError, WriteOutcomeUnknown
from ._fields import PAYMENT_FIELDS
from ._models import Page, Payment
from ._protocol import condition

__all__ = ["Payments"]

RESOURCE = "Payments"


class Payments:
    """Payments of purchase and sales invoices."""

    def __init__(self, core: Core) -> None:
        self._core = core

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

    async def get(self, payment_id: int) -> Payment:
        """One payment by id."""
        payment_id = _listing.validate_id(payment_id, "payment_id")
        return await _listing.fetch_one(self._core, RESOURCE, payment_id, Payment)

    async def count(self, *, filter: str | None = None) -> int:
        """How many payments match ``filter`` (one tiny request)."""
        return await _listing.count(self._core, RESOURCE, filter=_listing.validate_filter(filter))

    async def pages(
        self, *, filter: str | None = None, page_size: int = 500
    ) -> AsyncIterator[Page[Payment]]:
        """Every page of matching payments, by ascending id."""
        walk = _listing.walk_pages(
            self._core,
            RESOURCE,
            Payment,
            filter=_listing.validate_filter(filter),
            page_size=_listing.validate_page_size(page_size),
        )
        async for page in walk:
            yield page

    async def list(
        self, *, filter: str | None = None, page_size: int = 500
    ) -> AsyncIterator[Payment]:
        """Every matching payment once, by ascending id."""
        async for page in self.pages(filter=filter, page_size=page_size):
            for payment in page.records:
                yield payment
