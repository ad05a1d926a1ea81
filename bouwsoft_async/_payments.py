"""``/Payments``: create payments safely, read them back."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any, Unpack

from . import _listing, _writes
from ._core import Core
from ._errors import (
    BouwsoftError,
    ClientClosedError,
    ConnectError,
    DeadlineExceeded,
    DecodeError,
    ServerError,
    ValidationError,
    WriteOutcomeUnknown,
)
from ._fields import PAYMENT_FIELDS, PaymentFields, PaymentUpdateFields, encode_write
from ._models import Payment, RecordChanges
from ._protocol import check_utf8, condition

__all__ = ["Payments"]

RESOURCE = "Payments"
# v1_PUT_Payments (the older vendor page) lists id, paymentaccount_id, paymentaccount_nr,
# paymentaccount_name, amount, iban and bic; of these only PaymentUpdateFields' are writeable
UPDATE_FIELDS = {name: PAYMENT_FIELDS[name] for name in PaymentUpdateFields.__annotations__}
logger = logging.getLogger("bouwsoft_async")
# a look-up asks for this many of the lowest ids its filter matches: enough to find the exact
# code among the others a case-insensitive server matches too
LOOKUP_LIMIT = 20


def _externalcode(value: object) -> str:
    """The key of an idempotent create or a look-up: non-empty text that travels exactly."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(
            "a payment is looked up by a unique, non-empty externalcode", field="externalcode"
        )
    return check_utf8(value, field="externalcode")


def _outcome_unknown(
    why: str, sent: Mapping[str, Any], *, lookup_error: BaseException | None = None
) -> WriteOutcomeUnknown:
    """What an idempotent create raises when the payment it sent may or may not exist."""
    return WriteOutcomeUnknown(
        why, method="POST", path=f"/{RESOURCE}", sent=sent, lookup_error=lookup_error
    )


def _other_fields(payment: Payment, wanted: Mapping[str, Any]) -> str | None:
    """How ``payment`` differs from the fields of a create (typed as a Payment), if it does."""
    for name, value in wanted.items():
        held = getattr(payment, name)
        if held != value:
            return f"{name} is {held!r}, not {value!r}"
    return None


class Payments(_listing.ListEndpoint[Payment]):
    """Payments of purchase and sales invoices: create safely, read like the other lists."""

    def __init__(self, core: Core, *, max_concurrency: int | None = None) -> None:
        super().__init__(
            core, RESOURCE, Payment, id_name="payment_id", max_concurrency=max_concurrency
        )
        # the idempotent creates in progress, by key: their fields (typed) and their outcome
        self._flights: dict[str, tuple[Mapping[str, Any], asyncio.Future[Payment]]] = {}

    async def create(self, *, idempotent: bool = False, **fields: Unpack[PaymentFields]) -> Payment:
        """Create a payment (``POST``), fields sent in the order given; never sent twice.

        With ``idempotent=True`` its unique ``externalcode`` is looked up before sending and
        after any failure once sent (the README's "Writes that never duplicate money").
        """
        if not isinstance(idempotent, bool):
            raise ValidationError("idempotent must be True or False", field="idempotent")
        if not idempotent:
            answer = await _writes.write(self._core, "POST", (RESOURCE,), PAYMENT_FIELDS, fields)
            return answer.whole(Payment)
        key = _externalcode(fields.get("externalcode"))
        columns, sent = encode_write(PAYMENT_FIELDS, fields, resource=RESOURCE)
        # compared as a Payment types them, as the look-up compares: 5 and 5.00 are one amount
        wanted = _writes.typed_as(Payment, sent)
        if key in self._flights:
            flight_wanted, flight = self._flights[key]
            if flight_wanted != wanted:
                raise ValidationError(
                    f"a payment with externalcode {key!r} is being created with other fields",
                    field="externalcode",
                )
            # shielded: a waiter that is cancelled must not cancel the create it joined
            return await asyncio.shield(flight)
        outcome = asyncio.get_running_loop().create_future()
        self._flights[key] = (wanted, outcome)
        try:
            payment = await self._create_by_key(key, columns, sent, wanted)
            outcome.set_result(payment)
            return payment
        except asyncio.CancelledError:
            outcome.set_exception(
                _outcome_unknown("the create this call waited for was cancelled", sent)
            )
            raise
        except BaseException as exc:
            outcome.set_exception(exc)
            raise
        finally:
            del self._flights[key]
            outcome.exception()  # retrieved: nobody else may be waiting

    async def _create_by_key(
        self, key: str, columns: str, sent: dict[str, Any], wanted: Mapping[str, Any]
    ) -> Payment:
        started = asyncio.get_running_loop().time()  # one deadline, this look-up included
        existing = await self.find_by_externalcode(key)
        if existing is not None:
            if (other := _other_fields(existing, wanted)) is not None:
                # a key used again for another payment: returning this one would lose that one
                raise ValidationError(
                    f"a payment with externalcode {key!r} exists (id {existing.id}) with other "
                    f"fields ({other}); nothing was sent",
                    field="externalcode",
                )
            return existing
        looking_up = False  # a sent POST failed and its look-up has not answered yet

        async def attempt() -> Payment:
            nonlocal looking_up
            try:
                # one attempt: the retries are this method's own, below
                answer = await _writes.send(
                    self._core, "POST", (RESOURCE,), sent, params={"columns": columns}, retry=False
                )
                return answer.whole(Payment)
            except (ConnectError, ClientClosedError):
                raise  # never reached the server (one on its way is WriteOutcomeUnknown)
            except BouwsoftError as failure:
                # whatever went wrong once it was sent (a 500 after the server applied it, a
                # lost answer, an answer that can't be read), the look-up decides
                looking_up = True
                try:
                    existing = await self.find_by_externalcode(key)
                except BouwsoftError as lookup_failure:
                    raise _outcome_unknown(
                        f"the payment was sent ({type(failure).__name__}) and looking it up by "
                        f"its externalcode failed ({type(lookup_failure).__name__}): it may or "
                        "may not exist",
                        sent,
                        lookup_error=lookup_failure,
                    ) from lookup_failure
                looking_up = False
                if existing is None:
                    raise
                if (other := _other_fields(existing, wanted)) is not None:
                    # not the payment sent: that one may or may not exist
                    raise _outcome_unknown(
                        f"the payment was sent ({type(failure).__name__}) and its externalcode "
                        f"is held by payment {existing.id} with other fields ({other}): the "
                        "payment sent may or may not exist",
                        sent,
                        lookup_error=ValidationError(
                            f"payment {existing.id} has externalcode {key!r} and {other}",
                            field="externalcode",
                        ),
                    ) from failure
                logger.warning(
                    "POST /%s failed (%s) but the payment was created; returning it",
                    RESOURCE,
                    type(failure).__name__,
                )
                return existing

        def absent_send_again(exc: BaseException) -> bool:
            # beyond the core's rule for a POST (no connection, 429, 503): the look-up found
            # nothing after a lost answer or a 5xx; a 4xx is the server's final word, and a
            # failed look-up leaves the outcome open
            if isinstance(exc, WriteOutcomeUnknown):
                return exc.lookup_error is None
            return isinstance(exc, ServerError)

        # each attempt is one POST (and its look-up), all within the core's one retry budget
        try:
            return await self._core.retrying(
                attempt,
                idempotent=False,
                description=f"POST /{RESOURCE} (idempotent by externalcode)",
                also_retry=absent_send_again,
                started=started,
            )
        except DeadlineExceeded as exc:
            if not looking_up:
                raise
            raise _outcome_unknown(
                "the call's deadline ran out while the payment it had sent was looked up: it "
                "may or may not exist",
                sent,
            ) from exc

    async def update(
        self, payment_id: int, **fields: Unpack[PaymentUpdateFields]
    ) -> RecordChanges[Payment]:
        """Change a payment's ``amount``, ``paymentaccount_id``, ``iban`` or ``bic`` (``PUT``);
        returns what changed (``ts_lastupdate`` usually None: the vendor's answer has none)."""
        payment_id = _listing.validate_id(payment_id, "payment_id")
        answer = await _writes.write(
            self._core, "PUT", (RESOURCE, payment_id), UPDATE_FIELDS, fields
        )
        return answer.changes(Payment, record_id=payment_id)

    async def find_by_externalcode(self, externalcode: str) -> Payment | None:
        """The payment with this ``externalcode``, or None (the lowest id if several exist)."""
        key = _externalcode(externalcode)
        records = await _listing.fetch_records(
            self._core,
            RESOURCE,
            Payment,
            params={
                "limit": str(LOOKUP_LIMIT),
                "sort": "id",
                "filter": condition("externalcode", "eq", key),
            },
        )
        exact = [record for record in records if record.externalcode == key]
        if exact:
            # a server comparing case-insensitively (a SQL collation) also answers "BANK-1"
            # to "bank-1": the exact code is looked for among the lowest ids it answers
            return min(exact, key=lambda record: record.id)
        if records:
            found = records[0]
            # a server whose filter matches loosely (case- or blank-insensitive, or ignored):
            # never take another payment for this one (an idempotent create would not be made)
            raise DecodeError(
                f"the look-up of externalcode {key!r} answered payment {found.id}, whose "
                f"externalcode is {found.externalcode!r}: the server's filter is not exact"
            )
        return None
