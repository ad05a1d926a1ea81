"""``finance/payments``: validate, build the documented JSON body, decode the answer."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import orjson

from .._convert import decode_json_exact, structure
from .._core import Core, check_text
from .._errors import DecodeError, ValidationError
from .._protocol import check_utf8, format_decimal
from .._writes import send
from ._models import Counterparty, PaymentItem

__all__ = [
    "MAX_INTEGER",
    "MIN_OBJECT_ID",
    "MIN_PAYMENT_ID",
    "Payments",
    "encode_json",
    "payment_item_body",
]

MIN_PAYMENT_ID = 100000
MIN_OBJECT_ID = 100
# ASSUMPTION, the strictest reading of the page: an {Integer} is a 32-bit signed int (the page
# gives only minimums; an id past 64 bits could not even be written as JSON)
MAX_INTEGER = 2**31 - 1


def encode_json(value: Any) -> bytes:
    """Compact JSON in which a Decimal is a bare number written exactly (``250.00``), never
    through float."""
    return orjson.dumps(value, default=lambda number: orjson.Fragment(format_decimal(number)))


def _check_id(value: object, *, field: str, wire: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= MAX_INTEGER:
        raise ValidationError(
            f"{field} ({wire}) must be an integer from {minimum} to {MAX_INTEGER}, not {value!r}",
            field=field,
        )
    return int(value)  # an int Enum's str() is its member's name, never a path segment


def _check_amount(value: object, *, field: str, wire: str) -> Decimal:
    if value is None:
        raise ValidationError(f"{field} ({wire}) is required", field=field)
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise ValidationError(
            f"{field} ({wire}) must be a Decimal or an int, not {type(value).__name__}: "
            f"amounts are sent exactly, e.g. Decimal('250.00')",
            field=field,
        )
    amount = Decimal(value)
    format_decimal(amount, field=field)  # rejects NaN and infinities
    return amount


def payment_item_body(*, total_amount: object, counterparty: object = None) -> dict[str, Any]:
    """The validated body ``{"paymentItem": {...}}``; fields not given are left out."""
    item: dict[str, Any] = {}
    if counterparty is not None:
        if not isinstance(counterparty, Counterparty):
            raise ValidationError(
                f"counterparty must be a Counterparty, not {type(counterparty).__name__}",
                field="counterparty",
            )
        party: dict[str, Any] = {}
        if counterparty.object_id is not None:
            party["objectId"] = _check_id(
                counterparty.object_id,
                field="counterparty.object_id",
                wire="objectId",
                minimum=MIN_OBJECT_ID,
            )
        if counterparty.object_type is not None:
            check_text("counterparty.object_type", counterparty.object_type)
            party["objectType"] = check_utf8(
                counterparty.object_type, field="counterparty.object_type"
            )
        if party:
            item["counterparty"] = party
    item["totals"] = {
        "totalAmount": _check_amount(total_amount, field="total_amount", wire="totalAmount")
    }
    return {"paymentItem": item}


class Payments:
    """Payments (``finance/payments``): add an item to a payment."""

    def __init__(self, core: Core) -> None:
        self._core = core

    async def add_item(
        self,
        payment_id: int,
        *,
        total_amount: Decimal | int | None = None,
        counterparty: Counterparty | None = None,
    ) -> PaymentItem:
        """Add a payment item of ``total_amount`` to payment ``payment_id``; return it as stored.

        Only ``object_id`` and ``object_type`` of ``counterparty`` are sent. This is a write: it
        is never sent twice once it may have reached RamBase; a timeout or dropped connection
        raises WriteOutcomeUnknown with the body in ``sent``, and a 2xx answer that can't be read
        raises WriteAppliedError (the item was added).
        """
        payment_id = _check_id(
            payment_id, field="payment_id", wire="paymentId", minimum=MIN_PAYMENT_ID
        )
        body = payment_item_body(total_amount=total_amount, counterparty=counterparty)
        answer = await send(
            self._core,
            "POST",
            ("finance", "payments", payment_id, "items"),
            body,
            data=encode_json(body),
            extra_headers={"Content-Type": "application/json"},
        )
        # after a 2xx the item WAS added: an answer that can't be read must not look like a
        # failure that a caller would answer by adding the item again
        try:
            payload = decode_json_exact(answer.response.body, answer.secrets)
            item = payload.get("paymentItem") if isinstance(payload, Mapping) else None
            if not isinstance(item, Mapping):
                raise DecodeError('expected {"paymentItem": {...}}')
            return structure(item, PaymentItem, answer.secrets)
        except DecodeError as exc:
            raise answer.applied_error(f"its answer can't be read ({exc})") from exc
