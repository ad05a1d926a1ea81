"""The RamBase connector's exact wire form (aioresponses) and its pure functions."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

import pytest
from aioresponses import aioresponses
from aioresponses.compat import normalize_url
from yarl import URL

from bouwsoft_async import (
    APIError,
    AuthenticationError,
    BadRequestError,
    DecodeError,
    NotFoundError,
    RateLimitError,
    ServerError,
    ValidationError,
    WriteAppliedError,
)
from bouwsoft_async._convert import decode_json_exact, structure
from bouwsoft_async._transport import Request, Response
from bouwsoft_async.rambase import Counterparty, PaymentItem, RamBaseClient
from bouwsoft_async.rambase._client import parse_error, parse_expires_in
from bouwsoft_async.rambase._payments import encode_json, payment_item_body

BASE = "https://api.rambase.net"
TOKEN_URL = f"{BASE}/oauth2/access_token?$format=json&$db=ACME-NO"
ITEMS_URL = f"{BASE}/finance/payments/100123/items?$format=json&$db=ACME-NO"
TOKEN_ANSWER = {"access_token": "tok-1", "expires_in": "3600", "refresh_token": "ref-1"}


class Mocked:
    """aioresponses with the lookup of what was sent under a URL."""

    def __init__(self, mock: aioresponses) -> None:
        self.mock = mock

    def post(self, url: str, **kwargs: Any) -> None:
        self.mock.post(url, **kwargs)

    def calls(self, url: str) -> list[Any]:
        # aioresponses keys requests by the URL with its query sorted
        return list(self.mock.requests.get(("POST", normalize_url(URL(url))), []))


@pytest.fixture
def mocked() -> Iterator[Mocked]:
    with aioresponses() as m:
        yield Mocked(m)


@pytest.fixture
async def rb() -> AsyncIterator[RamBaseClient]:
    async with RamBaseClient(
        client_id="the-id", client_secret="the-secret", db="ACME-NO", base_url=BASE
    ) as client:
        yield client


async def test_the_exact_request(mocked: Mocked, rb: RamBaseClient) -> None:
    mocked.post(TOKEN_URL, payload=TOKEN_ANSWER)
    mocked.post(ITEMS_URL, status=201, body=b'{"paymentItem": {"paymentItemId": 7}}')

    item = await rb.payments.add_item(
        100123,
        total_amount=Decimal("250.00"),
        counterparty=Counterparty(object_id=10234, object_type="CUS", name="not sent"),
    )

    assert item.payment_item_id == 7
    assert set(mocked.mock.requests) == {
        ("POST", normalize_url(URL(TOKEN_URL))),
        ("POST", normalize_url(URL(ITEMS_URL))),
    }
    (token_call,) = mocked.calls(TOKEN_URL)
    assert token_call.kwargs["data"] == (
        b"client_id=the-id&client_secret=the-secret&grant_type=client_credentials"
    )
    assert token_call.kwargs["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert "Authorization" not in token_call.kwargs["headers"]
    (post,) = mocked.calls(ITEMS_URL)
    # the query travels in the URL, encoded by the client (the raw form is pinned in test_wire)
    assert post.kwargs.get("params") is None
    assert post.kwargs["headers"]["Authorization"] == "Bearer tok-1"
    assert post.kwargs["headers"]["Content-Type"] == "application/json"
    assert post.kwargs["data"] == (
        b'{"paymentItem":{"counterparty":{"objectId":10234,"objectType":"CUS"},'
        b'"totals":{"totalAmount":250.00}}}'
    )


async def test_only_the_given_fields_are_sent(mocked: Mocked, rb: RamBaseClient) -> None:
    mocked.post(TOKEN_URL, payload=TOKEN_ANSWER)
    mocked.post(ITEMS_URL, status=201, body=b'{"paymentItem": {}}')
    mocked.post(ITEMS_URL, status=201, body=b'{"paymentItem": {}}')

    await rb.payments.add_item(100123, total_amount=Decimal("1E+2"))
    await rb.payments.add_item(
        100123, total_amount=-5, counterparty=Counterparty(object_type="SUP")
    )

    first, second = mocked.calls(ITEMS_URL)
    assert first.kwargs["data"] == b'{"paymentItem":{"totals":{"totalAmount":100}}}'
    assert second.kwargs["data"] == (
        b'{"paymentItem":{"counterparty":{"objectType":"SUP"},"totals":{"totalAmount":-5}}}'
    )


async def test_a_partial_answer_decodes_with_nones(mocked: Mocked, rb: RamBaseClient) -> None:
    mocked.post(TOKEN_URL, payload=TOKEN_ANSWER)
    mocked.post(
        ITEMS_URL,
        status=201,
        body=b'{"paymentItem": {"status": 4, "counterparty": null, "totals": {"totalAmount": 9}}}',
    )
    item = await rb.payments.add_item(100123, total_amount=Decimal(9))
    assert item.status == 4
    assert item.counterparty is None
    assert item.created_at is None
    assert item.totals is not None
    assert item.totals.total_amount == Decimal(9)
    assert item.totals.currency is None


async def test_a_404_error_body_maps_to_not_found(mocked: Mocked, rb: RamBaseClient) -> None:
    mocked.post(TOKEN_URL, payload=TOKEN_ANSWER)
    mocked.post(
        ITEMS_URL,
        status=404,
        payload={
            "HttpStatusCode": 404,
            "Message": "Default account assignment not found",
            "TranslatedMessage": "Standard kontering ikke funnet",
            "ErrorMessage": {"ErrorMessageId": 104870, "ErrorMessageLink": "https://x/104870"},
        },
    )
    with pytest.raises(NotFoundError) as caught:
        await rb.payments.add_item(100123, total_amount=Decimal(1))
    assert caught.value.error_id == 104870
    assert caught.value.message == "Default account assignment not found"
    assert len(mocked.calls(ITEMS_URL)) == 1


# -- pure pieces ---------------------------------------------------------------------------


def test_decimals_are_written_exactly_never_through_float() -> None:
    amount = Decimal("12345678901234567890.123456789")
    body = payment_item_body(total_amount=amount)
    assert encode_json(body) == (
        b'{"paymentItem":{"totals":{"totalAmount":12345678901234567890.123456789}}}'
    )
    assert json.loads(encode_json(body), parse_float=Decimal) == {
        "paymentItem": {"totals": {"totalAmount": amount}}
    }
    assert encode_json({"text": 'quote " and ø', "flag": True, "none": None}) == (
        '{"text":"quote \\" and ø","flag":true,"none":null}'.encode()
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"250.00", "250.00"),
        (b'"250.00"', "250.00"),
        (b"0.1", "0.1"),
        (b'"1E+2"', "100"),
        (b"12345678901234567890.12", "12345678901234567890.12"),
        (b"-3", "-3"),
    ],
)
def test_amounts_from_numbers_and_strings_are_exact(raw: bytes, expected: str) -> None:
    payload = decode_json_exact(b'{"totals": {"totalAmount": ' + raw + b"}}")
    item = structure(payload, PaymentItem)
    assert item.totals is not None
    assert str(item.totals.total_amount) == expected


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"totals": {"totalAmount": "abc"}}, "totalAmount"),
        ({"totals": {"totalAmount": True}}, "totalAmount"),
        ({"status": "open"}, "status"),
        ({"createdAt": "yesterday"}, "createdAt"),
        ({"counterparty": [1]}, "Counterparty"),
        ({"note": {"text": 5}}, "note"),
    ],
)
def test_a_field_of_the_wrong_shape_is_a_decode_error(body: Any, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        structure(body, PaymentItem)


def test_irregular_wire_names_and_timestamps() -> None:
    item = structure(
        {
            "createdAt": "2026-05-07T09:21:28.1234567Z",
            "confirmationDate": "2026-05-08",
            "vATPosting": {"vATPostingId": 600001, "vATPostingLink": "l"},
            "paymentItemBankAccount": {"bank": {"sWIFTCode": "DNBANOKK"}},
            "accountsTransaction": {"totals": {"vATAmount": "12.50"}},
            "unknownField": "ignored",
        },
        PaymentItem,
    )
    assert item.created_at is not None
    assert item.created_at.utcoffset() is not None
    assert item.created_at.microsecond == 123456
    assert str(item.confirmation_date) == "2026-05-08"
    assert item.vat_posting is not None
    assert item.vat_posting.vat_posting_id == 600001
    assert item.payment_item_bank_account is not None
    assert item.payment_item_bank_account.bank is not None
    assert item.payment_item_bank_account.bank.swift_code == "DNBANOKK"
    assert item.accounts_transaction is not None
    assert item.accounts_transaction.totals is not None
    assert item.accounts_transaction.totals.vat_amount == Decimal("12.50")
    naive = structure({"createdAt": "2026-05-07T09:21:28"}, PaymentItem).created_at
    assert naive is not None
    assert naive.tzinfo is None


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (404, NotFoundError),
        (429, RateLimitError),
        (500, ServerError),
        (503, ServerError),
        (409, APIError),
    ],
)
async def test_error_statuses_map_to_the_core_exceptions(status: int, cls: type[APIError]) -> None:
    body = {
        "HttpStatusCode": status,
        "Message": "failed for s3cr3t-value",
        "ErrorMessage": {"ErrorMessageId": "104869", "ErrorMessageLink": "x"},
    }

    class Answer:
        """A token, then ``body`` with ``status`` for every other request."""

        async def send(self, request: Request) -> Response:
            if request.url.endswith("/oauth2/access_token"):
                return Response(status=200, headers={}, body=json.dumps(TOKEN_ANSWER).encode())
            return Response(status=status, headers={}, body=json.dumps(body).encode())

        async def aclose(self) -> None:
            pass

    async with RamBaseClient(
        client_id="i", client_secret="s3cr3t-value", transport=Answer(), max_retries=0
    ) as client:
        with pytest.raises(APIError) as caught:
            await client.payments.add_item(100123, total_amount=Decimal(1))
    error = caught.value
    assert type(error) is cls
    assert error.status == status
    assert error.error_id == 104869
    assert error.message == "failed for ***"
    assert "s3cr3t-value" not in str(error) + error.excerpt


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"message": "m", "errorMessage": {"errorMessageId": 1}}, ("m", 1)),
        ({"error": {"Message": "wrapped", "ErrorMessage": {"ErrorMessageId": 2}}}, ("wrapped", 2)),
        ({"TranslatedMessage": "only translated"}, ("only translated", None)),
        ({"error": "invalid_client", "error_description": "Bad client"}, ("Bad client", None)),
        ({"error": "invalid_client"}, ("invalid_client", None)),
        ({"Message": "   ", "ErrorMessage": {"ErrorMessageId": True}}, (None, None)),
        ("<html>", (None, None)),
        (None, (None, None)),
    ],
)
def test_parse_error(payload: Any, expected: tuple[str | None, int | None]) -> None:
    assert parse_error(payload) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [("3600", 3600.0), (60, 60.0), ("1.5", 1.5), (None, None)]
)
def test_parse_expires_in(value: object, expected: float | None) -> None:
    assert parse_expires_in(value) == expected


@pytest.mark.parametrize("value", ["", "soon", "0", "-5", True, 1.5, "nan"])
def test_parse_expires_in_rejects_nonsense(value: object) -> None:
    with pytest.raises(DecodeError):
        parse_expires_in(value)


def test_validation_names_the_field() -> None:
    with pytest.raises(ValidationError, match=r"total_amount \(totalAmount\) is required"):
        payment_item_body(total_amount=None)
    with pytest.raises(ValidationError, match="objectId"):
        payment_item_body(total_amount=1, counterparty=Counterparty(object_id=False))


async def test_an_unreadable_answer_that_echoes_the_secret_chains_no_secret(
    mocked: Mocked, rb: RamBaseClient
) -> None:
    # a field the model can't read holds the client secret and the token: the WriteAppliedError
    # quotes the answer redacted, and nothing reachable from it (cause, context) holds either
    mocked.post(TOKEN_URL, payload=TOKEN_ANSWER)
    mocked.post(
        ITEMS_URL,
        status=201,
        body=b'{"paymentItem": {"paymentItemId": "the-secret tok-1", "status": "tok-1"}}',
    )
    with pytest.raises(WriteAppliedError) as info:
        await rb.payments.add_item(100123, total_amount=Decimal(9))
    assert b"paymentItemId" in info.value.body
    seen: list[BaseException] = []
    error: BaseException | None = info.value
    while error is not None and error not in seen:
        seen.append(error)
        error = error.__cause__ or error.__context__
    for error in seen:
        for text in (str(error), repr(error), repr(getattr(error, "__dict__", {}))):
            assert "the-secret" not in text
            assert "tok-1" not in text
