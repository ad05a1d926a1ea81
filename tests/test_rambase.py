"""The RamBase payment items connector against FakeRamBase over real HTTP."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from bouwsoft_async import (
    AuthenticationError,
    BadRequestError,
    DecodeError,
    NotFoundError,
    ServerError,
    ValidationError,
    WriteAppliedError,
    WriteOutcomeUnknown,
)
from bouwsoft_async.rambase import Counterparty, PaymentItem, RamBaseClient
from bouwsoft_async.testing import FakeRamBase

PAYMENT = 100123
ACME = Counterparty(object_id=10234, object_type="CUS")


class Clock:
    """A clock the test moves by hand, shared by the client and the fake."""

    def __init__(self) -> None:
        self.now = datetime(2026, 5, 7, 9, 21, 28, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def item_posts(fake: FakeRamBase) -> list[Any]:
    return fake.requests_to("POST", "/items")


async def test_add_item_decodes_the_documented_answer() -> None:
    async with FakeRamBase() as fake, fake.client() as rb:
        item = await rb.payments.add_item(
            PAYMENT, total_amount=Decimal("250.00"), counterparty=ACME
        )

    assert isinstance(item, PaymentItem)
    assert item.payment_item_id == 1
    assert item.status == 1
    assert isinstance(item.created_at, datetime)
    assert isinstance(item.remmitance_advice_date, date)
    assert item.confirmation_date is None
    assert item.country_code == "NO"
    assert item.counterparty is not None
    assert item.counterparty.object_id == 10234
    assert item.counterparty.object_type == "CUS"
    assert item.counterparty.name == "Acme Bygg AS"
    assert item.totals is not None
    assert str(item.totals.total_amount) == "250.00"
    assert item.totals.document_quantity == 1
    assert item.totals.currency == "NOK"
    bank_account = item.payment_item_bank_account
    assert bank_account is not None
    assert bank_account.bank is not None
    assert bank_account.bank.swift_code == "DNBANOKK"
    assert bank_account.bank.address is not None
    assert bank_account.bank.address.country_code == "NO"
    assert item.journal_entry is not None
    assert item.journal_entry.general_ledger_posting is not None
    assert item.journal_entry.general_ledger_posting.general_ledger_posting_id == 500001
    transaction = item.accounts_transaction
    assert transaction is not None
    assert transaction.totals is not None
    assert transaction.totals.vat_amount == Decimal("0.00")
    assert str(transaction.totals.exchange_rate) == "1.0000"
    assert item.vat_posting is not None
    assert item.vat_posting.vat_posting_id == 600001
    assert fake.items[PAYMENT][0]["totals"]["totalAmount"] == Decimal("250.00")


async def test_every_call_carries_format_db_and_a_bearer_token_not_in_the_url() -> None:
    async with FakeRamBase() as fake, fake.client(lang="nor") as rb:
        await rb.payments.add_item(PAYMENT, total_amount=Decimal("1.5"), counterparty=ACME)

    token_call, post = fake.requests
    assert token_call.path == "/oauth2/access_token"
    assert "Authorization" not in token_call.headers
    assert post.path == f"/finance/payments/{PAYMENT}/items"
    assert post.query == {"$format": "json", "$db": "ACME-NO", "$lang": "nor"}
    assert post.headers["Authorization"].startswith("Bearer ")
    assert post.headers["Content-Type"] == "application/json"
    assert not any("access_token" in key for key in post.query)


async def test_string_amounts_in_the_answer_are_exact_decimals() -> None:
    async with FakeRamBase(amounts_as="string") as fake, fake.client() as rb:
        item = await rb.payments.add_item(
            PAYMENT, total_amount=Decimal("1234567890123456.78"), counterparty=ACME
        )
    assert item.totals is not None
    assert item.totals.total_amount == Decimal("1234567890123456.78")
    assert str(item.totals.document_amount) == "1234567890123456.78"


async def test_an_int_amount_and_no_counterparty_leave_the_counterparty_out() -> None:
    async with FakeRamBase() as fake, fake.client() as rb:
        item = await rb.payments.add_item(PAYMENT, total_amount=250)
    assert item.totals is not None
    assert item.totals.total_amount == Decimal(250)
    assert item.counterparty is not None
    assert item.counterparty.object_id is None
    assert fake.items[PAYMENT][0]["counterparty"]["objectId"] is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"payment_id": 99999}, "payment_id"),
        ({"payment_id": "100123"}, "payment_id"),
        ({"payment_id": True}, "payment_id"),
        ({"payment_id": 100123.0}, "payment_id"),
        ({"payment_id": 2**31}, "payment_id"),
        # past 64 bits: orjson raised TypeError (no ValidationError) while writing the body
        ({"counterparty": Counterparty(object_id=2**64)}, "counterparty.object_id"),
        ({"counterparty": Counterparty(object_id=2**31)}, "counterparty.object_id"),
        ({"counterparty": Counterparty(object_id=99, object_type="CUS")}, "counterparty.object_id"),
        ({"counterparty": Counterparty(object_id="10234")}, "counterparty.object_id"),  # type: ignore[arg-type]
        (
            {"counterparty": Counterparty(object_id=10234, object_type="")},
            "counterparty.object_type",
        ),
        ({"counterparty": {"objectId": 10234}}, "counterparty"),
        # a lone surrogate: the JSON encoder raised a bare TypeError
        (
            {"counterparty": Counterparty(object_id=10234, object_type="CU\udc80")},
            "counterparty.object_type",
        ),
        ({"total_amount": None}, "total_amount"),
        ({"total_amount": 250.0}, "total_amount"),
        ({"total_amount": "250.00"}, "total_amount"),
        ({"total_amount": True}, "total_amount"),
        ({"total_amount": Decimal("NaN")}, "total_amount"),
        ({"total_amount": Decimal("-Infinity")}, "total_amount"),
    ],
)
async def test_invalid_input_is_rejected_before_anything_is_sent(
    kwargs: dict[str, Any], field: str
) -> None:
    call: dict[str, Any] = {
        "payment_id": PAYMENT,
        "total_amount": Decimal("250.00"),
        "counterparty": ACME,
        **kwargs,
    }
    payment_id = call.pop("payment_id")
    async with FakeRamBase() as fake, fake.client() as rb:
        with pytest.raises(ValidationError) as caught:
            await rb.payments.add_item(payment_id, **call)
    assert isinstance(caught.value, ValueError)
    assert caught.value.field == field
    assert field.split(".")[-1] in str(caught.value)
    assert fake.requests == []


async def test_a_float_amount_is_refused_with_a_clear_message() -> None:
    async with FakeRamBase() as fake, fake.client() as rb:
        with pytest.raises(ValidationError, match=r"Decimal or an int, not float"):
            await rb.payments.add_item(PAYMENT, total_amount=0.1)
    assert fake.requests == []


async def test_missing_default_account_assignment_is_a_404_with_its_error_id() -> None:
    async with FakeRamBase() as fake, fake.client() as rb:
        with pytest.raises(NotFoundError) as caught:
            await rb.payments.add_item(
                PAYMENT,
                total_amount=Decimal("250.00"),
                counterparty=Counterparty(object_id=10999, object_type="CUS"),
            )
    error = caught.value
    assert error.status == 404
    assert error.error_id == 104870
    assert error.message == "Default account assignment not found"
    assert "104870" in str(error)
    assert error.path == f"/finance/payments/{PAYMENT}/items"
    assert len(item_posts(fake)) == 1  # a 404 is an answer: no retry
    assert fake.items == {}


async def test_unknown_payment_is_a_404_without_an_error_id() -> None:
    async with FakeRamBase() as fake, fake.client() as rb:
        with pytest.raises(NotFoundError) as caught:
            await rb.payments.add_item(100999, total_amount=Decimal(1))
    assert caught.value.error_id is None
    assert caught.value.message == "Payment 100999 not found"


async def test_token_is_reused_then_renewed_before_expires_in_runs_out() -> None:
    clock = Clock()
    async with (
        FakeRamBase(clock=clock, token_lifetime=3600) as fake,
        fake.client(clock=clock) as rb,
    ):
        await rb.payments.add_item(PAYMENT, total_amount=Decimal(1))
        clock.advance(1800)
        await rb.payments.add_item(PAYMENT, total_amount=Decimal(2))
        assert fake.tokens_issued == 1
        clock.advance(1770)  # 30 s left: still valid at the fake, but due for renewal
        await rb.payments.add_item(PAYMENT, total_amount=Decimal(3))
        assert rb.token_fetches == 2

    assert fake.tokens_issued == 2
    assert fake.unauthorized_answers == 0
    first, second, third = (r.headers["Authorization"] for r in item_posts(fake))
    assert first == second != third


@pytest.mark.parametrize("expires_in", ["1000000000000", "99999999999999", "1e20", "9" * 40])
async def test_a_lifetime_past_the_calendar_is_used_until_a_401(expires_in: str) -> None:
    # a token "that never expires" (expires_in of thousands of years) raised a bare
    # OverflowError from its end date on every call: the client could not be used at all
    async with FakeRamBase() as fake:
        token = fake.issue_token(None)
        answer = {"access_token": token, "token_type": "bearer", "expires_in": expires_in}
        fake.add_fault(status=200, body=json.dumps(answer).encode(), path_contains="/oauth2")
        async with fake.client() as rb:
            await rb.payments.add_item(PAYMENT, total_amount=Decimal(1))
            await rb.payments.add_item(PAYMENT, total_amount=Decimal(2))
            assert rb.token_fetches == 1
            fake.expire_tokens()  # then revoked: one new token after the 401, as for any
            await rb.payments.add_item(PAYMENT, total_amount=Decimal(3))
            assert rb.token_fetches == 2
    assert [item["totals"]["totalAmount"] for item in fake.items[PAYMENT]] == [1, 2, 3]


async def test_a_401_gets_one_fresh_token_and_one_more_try() -> None:
    async with FakeRamBase() as fake, fake.client() as rb:
        await rb.payments.add_item(PAYMENT, total_amount=Decimal(1))
        fake.expire_tokens()  # revoked server-side although expires_in has not run out
        item = await rb.payments.add_item(PAYMENT, total_amount=Decimal(2))

    assert item.payment_item_id == 2
    assert fake.tokens_issued == 2
    assert fake.unauthorized_answers == 1
    assert len(item_posts(fake)) == 3  # the rejected POST was not processed, so it is resent
    assert len(fake.items[PAYMENT]) == 2


async def test_a_second_401_is_an_authentication_error_not_a_loop() -> None:
    body = json.dumps({"HttpStatusCode": 401, "Message": "Access denied"}).encode()
    async with FakeRamBase() as fake, fake.client() as rb:
        fake.add_fault(status=401, body=body, method="POST", path_contains="/items", times=5)
        with pytest.raises(AuthenticationError, match="Access denied"):
            await rb.payments.add_item(PAYMENT, total_amount=Decimal(1))
    assert fake.tokens_issued == 2
    assert len(item_posts(fake)) == 2


async def test_wrong_client_secret_is_an_authentication_error() -> None:
    async with FakeRamBase() as fake, fake.client(client_secret="wrong-secret") as rb:
        with pytest.raises(AuthenticationError, match="Invalid client credentials") as caught:
            await rb.payments.add_item(PAYMENT, total_amount=Decimal(1))
    assert "wrong-secret" not in str(caught.value)
    assert item_posts(fake) == []


async def test_a_hundred_concurrent_calls_share_one_token_request() -> None:
    async with FakeRamBase() as fake, fake.client() as rb:
        await asyncio.gather(
            *(rb.payments.add_item(PAYMENT, total_amount=Decimal(i)) for i in range(100))
        )
        assert fake.tokens_issued == 1
        fake.expire_tokens()
        await asyncio.gather(
            *(rb.payments.add_item(PAYMENT, total_amount=Decimal(i)) for i in range(100))
        )
        assert rb.token_fetches == 2
    assert fake.tokens_issued == 2
    assert len(fake.requests_to("POST", "/oauth2/access_token")) == 2
    assert len(fake.items[PAYMENT]) == 200


async def test_a_post_across_a_dropped_connection_is_sent_once_and_reported_unknown() -> None:
    async with FakeRamBase() as fake, fake.client() as rb:
        fake.add_fault(status=None, after_handling=True, method="POST", path_contains="/items")
        with pytest.raises(WriteOutcomeUnknown) as caught:
            await rb.payments.add_item(PAYMENT, total_amount=Decimal("250.00"), counterparty=ACME)
    assert len(item_posts(fake)) == 1
    assert len(fake.items[PAYMENT]) == 1  # it was applied; only the answer was lost
    assert caught.value.sent == {
        "paymentItem": {
            "counterparty": {"objectId": 10234, "objectType": "CUS"},
            "totals": {"totalAmount": Decimal("250.00")},
        }
    }


async def test_a_503_before_processing_is_retried_but_a_500_is_not() -> None:
    async with FakeRamBase() as fake, fake.client() as rb:
        fake.add_fault(status=503, method="POST", path_contains="/items")
        item = await rb.payments.add_item(PAYMENT, total_amount=Decimal(1))
        assert item.payment_item_id == 1
        assert len(item_posts(fake)) == 2

        fake.add_fault(
            status=500,
            body=b"<html><body><h1>Internal Server Error</h1></body></html>",
            headers={"Content-Type": "text/html"},
            method="POST",
            path_contains="/items",
        )
        with pytest.raises(ServerError, match="Internal Server Error") as caught:
            await rb.payments.add_item(PAYMENT, total_amount=Decimal(2))
        assert caught.value.error_id is None
        assert "<h1>" in caught.value.excerpt
        assert len(item_posts(fake)) == 3


async def test_a_502_after_the_post_was_sent_leaves_the_outcome_open() -> None:
    async with FakeRamBase() as fake, fake.client() as rb:
        fake.add_fault(status=502, method="POST", path_contains="/items", after_handling=True)
        with pytest.raises(WriteOutcomeUnknown):
            await rb.payments.add_item(PAYMENT, total_amount=Decimal(1))
    assert len(item_posts(fake)) == 1


async def test_an_empty_error_body_is_still_a_typed_error() -> None:
    async with FakeRamBase() as fake, fake.client() as rb:
        fake.add_fault(status=400, method="POST", path_contains="/items")
        with pytest.raises(BadRequestError, match="HTTP 400: no body"):
            await rb.payments.add_item(PAYMENT, total_amount=Decimal(1))


@pytest.mark.parametrize(
    "answer",
    [
        b'{"paymentItem": 1}',
        b'{"paymentItemId": 1}',
        b"<html><body>Created</body></html>",
        b'{"paymentItem": {"totals": {"totalAmount": "lots"}}}',
    ],
)
async def test_a_2xx_answer_that_cannot_be_read_says_the_item_was_added(answer: bytes) -> None:
    # the POST went through: a caller told "DecodeError" might add the item a second time
    async with FakeRamBase() as fake, fake.client() as rb:
        fake.add_fault(status=201, body=answer, method="POST", path_contains="/items")
        with pytest.raises(WriteAppliedError, match="the write was applied") as caught:
            await rb.payments.add_item(PAYMENT, total_amount=Decimal("12.50"))
    assert caught.value.status == 201
    assert caught.value.body == answer
    assert caught.value.path == f"/finance/payments/{PAYMENT}/items"
    assert caught.value.sent == {"paymentItem": {"totals": {"totalAmount": Decimal("12.50")}}}
    assert len(item_posts(fake)) == 1


async def test_secrets_never_reach_messages_reprs_or_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with FakeRamBase() as fake, fake.client() as rb:
        await rb.payments.add_item(PAYMENT, total_amount=Decimal(1))
        token = item_posts(fake)[0].headers["Authorization"].removeprefix("Bearer ")
        echo = f"token {token} and secret {fake.client_secret} rejected"
        fake.add_fault(
            status=503,
            body=json.dumps({"Message": echo}).encode(),
            method="POST",
            path_contains="/items",
            times=10,
        )
        with pytest.raises(ServerError) as caught:
            await rb.payments.add_item(PAYMENT, total_amount=Decimal(1))
        texts = [str(caught.value), repr(caught.value), caught.value.excerpt, repr(rb)]
        texts += [str(caught.value.message)] + [r.getMessage() for r in caplog.records]
    assert any("retry" in r.getMessage() for r in caplog.records)
    for text in texts:
        assert token not in text
        assert fake.client_secret not in text
    assert "***" in str(caught.value)


async def test_a_token_answer_that_is_not_json_does_not_leak_its_body() -> None:
    async with FakeRamBase() as fake, fake.client() as rb:
        fake.add_fault(status=200, body=b"access_token=leaky-token-123", path_contains="/oauth2")
        with pytest.raises(DecodeError) as caught:
            await rb.payments.add_item(PAYMENT, total_amount=Decimal(1))
    assert "leaky-token-123" not in str(caught.value)
    assert item_posts(fake) == []


async def test_client_options_are_validated_and_repr_hides_the_secret() -> None:
    with pytest.raises(ValidationError) as caught:
        RamBaseClient(client_id="id", client_secret="")
    assert caught.value.field == "client_secret"
    with pytest.raises(ValidationError):
        RamBaseClient(client_id="id", client_secret="s", base_url="api.rambase.net")
    async with RamBaseClient(client_id="id", client_secret="top-secret", db="ACME-NO") as rb:
        assert "top-secret" not in repr(rb)
        assert "ACME-NO" in repr(rb)
