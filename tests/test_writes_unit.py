"""The write path without a server: the columns encoder, validation, and the POST/PUT retry
rules pinned with aioresponses."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import date, datetime
from decimal import Decimal, localcontext
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses

from bouwsoft_async import (
    BadRequestError,
    BouwsoftClient,
    ServerError,
    ValidationError,
    WriteOutcomeUnknown,
)
from bouwsoft_async._fields import PAYMENT_FIELDS, PURCHASE_INVOICE_FIELDS, encode_write
from bouwsoft_async._protocol import check_upload_filename, encode_value, format_decimal

BASE = "https://ra.bouwsoft.be/api/v1"
PAYMENTS = re.compile(r"^https://ra\.bouwsoft\.be/api/v1/Payments(\?.*)?$")
PI_937 = re.compile(r"^https://ra\.bouwsoft\.be/api/v1/PurchaseInvoices/937(\?.*)?$")
PAYMENT_RECORD = {
    "id": 903, "purchaseinvoice_id": 208, "purchaseinvoice_nr": 20160041, "salesinvoice_id": 0,
    "salesinvoice_type": "", "salesinvoice_nr": 0, "address_id": 18942,
    "address_name": "Spike Needle", "paymentaccount_id": 0, "paymentaccount_nr": "",
    "paymentaccount_name": "", "date": "2026-05-07", "amount": 100.049999999999997,
    "paymentmethod": "", "paymentmethod_localized": "", "advance": False, "iban": "", "bic": "",
    "note": "", "docnr": "", "statementnr": "", "externalcode": "", "externalsource": 0,
    "ts_lastupdate": "2026-05-07 09:21:28",
}  # fmt: skip


def pi(fields: dict[str, Any]) -> str:
    return encode_write(PURCHASE_INVOICE_FIELDS, fields, resource="PurchaseInvoices")[0]


def pay(fields: dict[str, Any]) -> str:
    return encode_write(PAYMENT_FIELDS, fields, resource="Payments")[0]


# -- the encoder -------------------------------------------------------------------------------


def test_vendor_examples_byte_for_byte() -> None:
    assert pay({"purchaseinvoice_id": 208, "amount": Decimal("100.05")}) == (
        "purchaseinvoice_id=208,amount=100.05"
    )
    assert pi({"company_id": 1, "address_id": 328892, "date": date(2017, 4, 20)}) == (
        "company_id=1,address_id=328892,date='2017-04-20'"
    )
    assert pi(
        {
            "paymentnotification": "000/0005/13490",
            "expirationdate": date(2017, 4, 21),
            "commercialdiscount": 5,
            "cashdiscount": 3,
            "basis1": Decimal("150.55"),
            "cashdiscount_amount": Decimal("4.8"),
            "cashdiscount_approved": True,
            "paid": True,
        }
    ) == (
        "paymentnotification='000/0005/13490',expirationdate='2017-04-21',commercialdiscount=5,"
        "cashdiscount=3,basis1=150.55,cashdiscount_amount=4.8,cashdiscount_approved=True,paid=True"
    )
    assert pi({"amountexclvat_total": 110, "vatamount_total": Decimal("23.1")}) == (
        "amountexclvat_total=110,vatamount_total=23.1"
    )


def test_field_order_is_the_callers() -> None:
    assert pay({"amount": Decimal("1"), "purchaseinvoice_id": 2}) == "amount=1,purchaseinvoice_id=2"


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (Decimal("1E+2"), "100"),
        (Decimal("100.0500"), "100.0500"),
        (Decimal("-1105.69"), "-1105.69"),
        (Decimal("0.0001"), "0.0001"),
        (Decimal("-0"), "0"),
        (Decimal("12345678901234.5"), "12345678901234.5"),
    ],
)
def test_decimals_are_written_exactly_without_exponent(value: Decimal, wire: str) -> None:
    assert format_decimal(value, max_decimals=4) == wire


@pytest.mark.parametrize(
    "value",
    [
        Decimal("1.00001"),
        Decimal("NaN"),
        Decimal("Infinity"),
        # 29 digits: normalize() rounded it to the context's 28 and sent 1
        Decimal("1.00000000000000000000000000001"),
        Decimal("5." + "0" * 2000 + "1"),
    ],
)
def test_bad_currency_is_rejected(value: Decimal) -> None:
    with pytest.raises(ValidationError) as info:
        pi({"basis1": value})
    assert info.value.field == "basis1"


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (Decimal("1234567.5000000"), "amount=1234567.5"),
        (Decimal("-1105.690000"), "amount=-1105.69"),
        (Decimal("1200.000000"), "amount=1200"),
        (Decimal("-0.000000"), "amount=0"),
    ],
)
def test_trailing_zeros_are_dropped_whatever_the_decimal_context(value: Decimal, wire: str) -> None:
    # normalize() rounded to the caller's context: at prec=3, 1234567.5000000 was sent as 1230000
    for prec in (3, 28):
        with localcontext() as context:
            context.prec = prec
            assert pay({"amount": value}) == wire
            with pytest.raises(ValidationError):
                pay({"amount": Decimal("1234567.50000001")})


def test_a_quote_in_text_is_doubled() -> None:
    assert (
        pi({"concerning": "Dakwerken D'Hondt, fase 2"}) == "concerning='Dakwerken D''Hondt, fase 2'"
    )
    assert encode_value("''") == "''''''"


@pytest.mark.parametrize("text", ["line\nbreak", "tab\there", "nul\x00"])
def test_text_that_cannot_be_sent_safely_is_rejected(text: str) -> None:
    with pytest.raises(ValidationError, match="control characters"):
        pi({"concerning": text})


# -- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "fields", "field", "rule"),
    [
        (PURCHASE_INVOICE_FIELDS, {"colour": "red"}, "colour", "no field"),
        (PURCHASE_INVOICE_FIELDS, {"amountinclvat_total": Decimal(1)}, "amountinclvat_total",
         "not writeable"),
        (PURCHASE_INVOICE_FIELDS, {"vatamount1": Decimal(1)}, "vatamount1", "not writeable"),
        (PAYMENT_FIELDS, {"purchaseinvoice_nr": 1}, "purchaseinvoice_nr", "not writeable"),
        (PAYMENT_FIELDS, {"bic": "X" * 12}, "bic", "at most 11"),
        (PAYMENT_FIELDS, {"iban": "BE" + "0" * 34}, "iban", "at most 35"),
        (PAYMENT_FIELDS, {"externalcode": "k" * 251}, "externalcode", "at most 250"),
        (PAYMENT_FIELDS, {"amount": 100.05}, "amount", "floats are refused"),
        (PAYMENT_FIELDS, {"amount": "100.05"}, "amount", "Decimal"),
        (PAYMENT_FIELDS, {"purchaseinvoice_id": "208"}, "purchaseinvoice_id", "an int"),
        (PAYMENT_FIELDS, {"purchaseinvoice_id": True}, "purchaseinvoice_id", "an int"),
        (PAYMENT_FIELDS, {"date": "2026-05-07"}, "date", "datetime.date"),
        (PAYMENT_FIELDS, {"date": datetime(2026, 5, 7)}, "date", "datetime.date"),
        (PURCHASE_INVOICE_FIELDS, {"paid": 1}, "paid", "a bool"),
        (PURCHASE_INVOICE_FIELDS, {"concerning": None}, "concerning", "None"),
    ],
)  # fmt: skip
def test_validation_names_field_and_rule(
    table: Any, fields: dict[str, Any], field: str, rule: str
) -> None:
    with pytest.raises(ValidationError, match=rule) as info:
        encode_write(table, fields, resource="X")
    assert info.value.field == field
    assert isinstance(info.value, ValueError)


def test_a_write_needs_a_field() -> None:
    with pytest.raises(ValidationError, match="at least one field"):
        pay({})


@pytest.mark.parametrize("bad", ["", "a/b.pdf", 'x".pdf', "a\nb", "a\\b", "caf\udce9.pdf"])
def test_an_upload_filename_that_cannot_travel_is_refused(bad: str) -> None:
    with pytest.raises(ValidationError) as info:
        check_upload_filename(bad)
    assert info.value.field == "filename"


# -- requests and retries ----------------------------------------------------------------------


@pytest.fixture
async def client() -> AsyncIterator[BouwsoftClient]:
    async with BouwsoftClient(client_nr=115, access_token="secret-token-xyz", base_url=BASE) as c:
        yield c


def sent(mocked: aioresponses, method: str) -> list[Any]:
    return [call for (m, _), calls in mocked.requests.items() if m == method for call in calls]


def sent_queries(mocked: aioresponses, method: str) -> list[dict[str, str]]:
    # the query travels in the URL, encoded by the client (the raw form is pinned in test_wire)
    return [dict(url.query) for (m, url) in mocked.requests if m == method]


def record_changes(record: dict[str, Any]) -> dict[str, Any]:
    return {"RecordChanges": [record]}


async def test_invalid_write_sends_nothing(client: BouwsoftClient) -> None:
    with aioresponses() as mocked:
        with pytest.raises(ValidationError):
            await client.payments.create(purchaseinvoice_id=208, bic="TOO-LONG-BIC-CODE")
        with pytest.raises(ValidationError):
            await client.purchase_invoices.update(937, amountinclvat_total=Decimal(1))
        with pytest.raises(ValidationError):
            await client.payments.create(amount=Decimal(1), idempotent=True)
        with pytest.raises(ValidationError):
            await client.purchase_invoices.upload(937, b"no name")
        assert mocked.requests == {}


async def test_post_pins_the_request(client: BouwsoftClient) -> None:
    with aioresponses() as mocked:
        mocked.post(PAYMENTS, status=201, body=json.dumps(record_changes(PAYMENT_RECORD)))
        payment = await client.payments.create(purchaseinvoice_id=208, amount=Decimal("100.05"))
        (call,) = sent(mocked, "POST")
        assert sent_queries(mocked, "POST") == [{"columns": "purchaseinvoice_id=208,amount=100.05"}]
        assert call.kwargs["headers"]["Clientnr"] == "115"
    assert payment.amount == Decimal("100.05")
    assert payment.date == date(2026, 5, 7)
    assert payment.id == 903


@pytest.mark.parametrize("status", [429, 503])
async def test_post_is_retried_when_surely_not_processed(
    client: BouwsoftClient, status: int
) -> None:
    with aioresponses() as mocked:
        mocked.post(PAYMENTS, status=status, headers={"Retry-After": "1"})
        mocked.post(PAYMENTS, status=201, body=json.dumps(record_changes(PAYMENT_RECORD)))
        payment = await client.payments.create(purchaseinvoice_id=208, amount=Decimal("100.05"))
        assert len(sent(mocked, "POST")) == 2
    assert payment.id == 903


@pytest.mark.parametrize(
    "exception",
    [aiohttp.ServerDisconnectedError(), TimeoutError(), aiohttp.ClientOSError()],
)
async def test_post_after_send_failure_is_unknown_and_not_resent(
    client: BouwsoftClient, exception: Exception
) -> None:
    with aioresponses() as mocked:
        mocked.post(PAYMENTS, exception=exception)
        mocked.post(PAYMENTS, status=201, body=json.dumps(record_changes(PAYMENT_RECORD)))
        with pytest.raises(WriteOutcomeUnknown) as info:
            await client.payments.create(purchaseinvoice_id=208, amount=Decimal("100.05"))
        assert len(sent(mocked, "POST")) == 1
    assert dict(info.value.sent) == {"purchaseinvoice_id": 208, "amount": Decimal("100.05")}
    assert "secret-token-xyz" not in str(info.value)


@pytest.mark.parametrize("status", [502, 504])
async def test_post_through_a_failing_gateway_is_unknown(
    client: BouwsoftClient, status: int
) -> None:
    with aioresponses() as mocked:
        mocked.post(PAYMENTS, status=status, body="<html>Bad Gateway</html>")
        with pytest.raises(WriteOutcomeUnknown) as info:
            await client.payments.create(purchaseinvoice_id=208, amount=Decimal("1"))
        assert len(sent(mocked, "POST")) == 1
    assert isinstance(info.value.__cause__, ServerError)


async def test_post_500_and_400_are_errors_with_the_servers_message(client: BouwsoftClient) -> None:
    with aioresponses() as mocked:
        mocked.post(PAYMENTS, status=500, body="<html><body>Can't process</body></html>")
        with pytest.raises(ServerError, match="Can't process") as info:
            await client.payments.create(purchaseinvoice_id=208, amount=Decimal("1"))
        assert info.value.status == 500
        assert info.value.method == "POST"
        assert info.value.path == "/api/v1/Payments"
        mocked.post(PAYMENTS, status=400, body=json.dumps({"Message": "amount is required"}))
        with pytest.raises(BadRequestError, match="amount is required"):
            await client.payments.create(purchaseinvoice_id=208)
        assert len(sent(mocked, "POST")) == 2


async def test_put_is_retried_like_a_get(client: BouwsoftClient) -> None:
    changes = {
        "id": 937, "basis1": 110.0, "amountexclvat1": 110.0, "taxableamount1": 110.0,
        "vatamount1": 23.100000000000001, "amountinclvat1": 133.099999999999994,
        "amountexclvat_total": 110.0, "vatamount_total": 23.100000000000001,
        "amountinclvat_total": 133.099999999999994, "amountoutstanding": 133.099999999999994,
        "ts_lastupdate": "2026-05-07 09:24:59",
    }  # fmt: skip
    with aioresponses() as mocked:
        mocked.put(PI_937, exception=aiohttp.ServerDisconnectedError())
        mocked.put(PI_937, status=502)
        mocked.put(PI_937, status=200, body=json.dumps(record_changes(changes)))
        result = await client.purchase_invoices.update(937, basis1=Decimal("110"))
        calls = sent(mocked, "PUT")
        assert len(calls) == 3
        assert sent_queries(mocked, "PUT") == [{"columns": "basis1=110"}]
    assert result.id == 937
    assert result.ts_lastupdate == datetime(2026, 5, 7, 9, 24, 59)
    assert result.fields["vatamount1"] == Decimal("23.1")
    assert str(result.fields["amountinclvat_total"]) == "133.1"
    assert "id" not in result.fields


async def test_a_bad_id_is_named_after_the_resource(client: BouwsoftClient) -> None:
    with aioresponses() as mocked:
        for call, name in [
            (client.payments.get(0), "payment_id"),
            (client.purchase_invoices.get(-3), "invoice_id"),
            (client.sales_invoices.get(True), "invoice_id"),
            (client.purchase_invoices.update(0, basis1=Decimal(1)), "invoice_id"),
        ]:
            with pytest.raises(ValidationError) as info:
                await call
            assert info.value.field == name
        assert mocked.requests == {}
