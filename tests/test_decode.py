"""The converter: money without float noise, dates, extras, type errors, the vendor's examples."""

from __future__ import annotations

import copy
import json
import pickle
import random
import re
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import orjson
import pytest
from aioresponses import aioresponses

from bouwsoft_async import (
    BadRequestError,
    BouwsoftClient,
    DecodeError,
    Payment,
    PurchaseInvoice,
    SalesInvoice,
    ValidationError,
)
from bouwsoft_async._convert import (
    _AMOUNTS,
    _AMOUNTS_KEPT,
    ROW_TEXT,
    SCALARS,
    _plain_value,
    _structurer,
    decimal_text,
    decode_json,
    exact_decimal,
    money_from_wire,
    read_int,
    structure,
    structure_changes,
    structure_many,
    try_decode_json,
    unstructure,
)
from bouwsoft_async._export import _LAYOUTS, export_sales_invoices
from bouwsoft_async._fields import (
    PAYMENT_FIELDS,
    PURCHASE_INVOICE_FIELDS,
    SALES_INVOICE_FIELDS,
    encode_write,
)
from bouwsoft_async._output import OutputError
from bouwsoft_async._protocol import parse_content_range
from bouwsoft_async._sales_invoices import sales_invoice_rows
from bouwsoft_async._transport import Request, Response
from bouwsoft_async._types import FIELD_TYPES, Money, Rate
from bouwsoft_async.testing import FakeBouwsoft, invoice_dict, render_invoice
from bouwsoft_async.testing._invoices import invoice_ids, wire_value

# the vendor's SalesInvoices page, from shared/api-docs beside this checkout (no absolute path)
VENDOR_PAGE = next(
    (
        p / "shared" / "api-docs" / "003_aa6c27cb0c9dfe8a.txt"
        for p in Path(__file__).resolve().parents
        if (p / "shared" / "api-docs").is_dir()
    ),
    Path("shared/api-docs/003_aa6c27cb0c9dfe8a.txt"),
)
BASE = "https://ra.bouwsoft.be/api/v1"
LIST_URL = re.compile(r"^https://ra\.bouwsoft\.be/api/v1/SalesInvoices/(\?.*)?$")

# -- money -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ("100.049999999999997", "100.05"),
        ("133.099999999999994", "133.1"),
        ("-1105.690000000000055", "-1105.69"),
        ("4571.399999999999636", "4571.4"),
        ("274.279999999999973", "274.28"),
        ("4845.680000000000291", "4845.68"),
        ("34.649999999999999", "34.65"),
        ("199.650000000000006", "199.65"),
        ("0.1", "0.1"),
        ("0.0001", "0.0001"),
        ("-0.0001", "-0.0001"),
        ("123456789.1234", "123456789.1234"),
        ("99999999999.9999", "99999999999.9999"),
        # a fifth decimal or an exponent: the point is not among the repr's last 5 characters
        ("12345.67891", "12345.6789"),
        ("0.00015", "0.0002"),
        ("1.5e-07", "0"),
        ("1.2345e+16", "12345000000000000"),
        ("1e20", "100000000000000000000"),
        ("165.0", "165.0"),
        ("0.0", "0.0"),
        ("-0.0", "0.0"),
        ("0.000000000000000", "0.0"),
        ("0", "0"),
        ("-7", "-7"),
        ("100", "100"),
        ("12345678901234567890123", "12345678901234567890123"),
        ("-9223372036854775808", "-9223372036854775808"),
    ],
)
def test_money_from_wire_json(wire: str, expected: str) -> None:
    value = money_from_wire(json.loads(wire))
    assert isinstance(value, Decimal)
    assert value == Decimal(expected)
    assert str(value) == expected


def test_money_rounds_past_four_decimals_half_even() -> None:
    assert money_from_wire(0.123456) == Decimal("0.1235")
    assert money_from_wire(Decimal("1.00005")) == Decimal("1.0000")
    assert money_from_wire(Decimal("1.00015")) == Decimal("1.0002")


def test_money_from_text_and_decimal() -> None:
    assert money_from_wire("100.05") == Decimal("100.05")
    assert money_from_wire(" -1105.69 ") == Decimal("-1105.69")
    assert money_from_wire(Decimal("2.50")) == Decimal("2.50")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "abc", "NaN", "", None, True, [1]])
def test_money_rejects_non_numbers(value: object) -> None:
    with pytest.raises(DecodeError):
        money_from_wire(value, "basis")


def test_money_memo_gives_the_same_answer_twice() -> None:
    assert money_from_wire(100.049999999999997) == money_from_wire(100.049999999999997)
    assert str(money_from_wire(100.049999999999997)) == "100.05"
    # the amounts remembered stay few, and each reads as its own repr says, however many came
    amounts = [k + 0.25 for k in range(3 * _AMOUNTS_KEPT)]
    for _ in range(2):
        assert [str(money_from_wire(a)) for a in amounts] == [
            f"{k}.25" for k in range(len(amounts))
        ]
        assert len(_AMOUNTS) <= _AMOUNTS_KEPT
    # -0.0 (equal to 0.0) and an int (equal to a float) are not taken for what was remembered
    read = [str(money_from_wire(v)) for v in (7.0, 7, -0.0, 0, 0.0, 7.0)]
    assert read == ["7.0", "7", "0.0", "0", "0.0", "7.0"]


@pytest.mark.parametrize("value", [-1, 0, 1, 21, 100, 101, -100, 2**63])
def test_whole_numbers_read_as_their_own_decimal(value: int) -> None:
    # the small ones come from a table made once: the same digits and exponent as Decimal(int)
    for read in (money_from_wire, SCALARS[Rate].read):
        result = read(value, "basis")
        assert (str(result), result.as_tuple()) == (str(value), Decimal(value).as_tuple())
    # and a text field given the number holds its digits
    assert SCALARS[str].read(value, "nr_add") == str(value)


def test_rate_is_exact_shortest_decimal() -> None:
    read = SCALARS[Rate].read
    assert str(read(12.5, "vatpercent")) == "12.5"
    assert str(read(21, "vatpercent")) == "21"
    assert str(read(0.1, "vatpercent")) == "0.1"
    assert str(read(-0.0, "vatpercent")) == "0.0"
    with pytest.raises(DecodeError, match="'vatpercent'"):
        read("x", "vatpercent")


# -- records ---------------------------------------------------------------------------------


def _record(**changes: Any) -> dict[str, Any]:
    record = invoice_dict(24)
    record.update(changes)
    return record


def test_fake_renders_each_record_field_by_field_as_the_vendor_prints_it() -> None:
    # the fake's quick renderer against the plain rule: every field in order, by wire_value
    for invoice_id in [*invoice_ids(3000), *range(40_000, 200_000, 997)]:
        fields = invoice_dict(invoice_id).items()
        expected = "{" + ",".join(f"{json.dumps(k)}:{wire_value(v)}" for k, v in fields) + "}"
        assert render_invoice(invoice_id) == expected


def test_fake_record_round_trip_through_json() -> None:
    invoice = structure(json.loads(render_invoice(24)), SalesInvoice)
    expected = invoice_dict(24)
    assert invoice.id == 24
    assert invoice.basis == Decimal(str(expected["basis"]))
    assert invoice.extra == {}
    assert unstructure(invoice)["basis"] == str(Decimal(str(expected["basis"])))


def test_dates_timestamps_and_empty_dates() -> None:
    invoice = structure(
        _record(
            date="2012-03-08",
            expirationdate="",
            approved_date="2024-07-15",
            sent_date="",
            senttoaccountingsoftware_ts="2020-01-02 03:04:05",
            ts_lastupdate="2019-11-26 09:43:03",
        ),
        SalesInvoice,
    )
    assert invoice.date == date(2012, 3, 8)
    assert invoice.expirationdate is None
    assert invoice.approved_date == date(2024, 7, 15)
    assert invoice.sent_date is None
    assert invoice.senttoaccountingsoftware_ts == datetime(2020, 1, 2, 3, 4, 5)
    assert invoice.ts_lastupdate == datetime(2019, 11, 26, 9, 43, 3)
    assert type(invoice.ts_lastupdate) is datetime


def test_unknown_fields_are_kept_with_exact_numbers() -> None:
    invoice = structure(
        _record(new_total=100.049999999999997, flag=True, note="x", nested={"a": [1.1, 2]}),
        SalesInvoice,
    )
    assert invoice.extra == {
        "new_total": Decimal("100.05"),
        "flag": True,
        "note": "x",
        "nested": {"a": [Decimal("1.1"), 2]},
    }
    assert isinstance(invoice.extra["new_total"], Decimal)
    with pytest.raises(TypeError):
        invoice.extra["note"] = "y"  # type: ignore[index]


def test_a_record_that_trades_a_known_field_for_an_unknown_one_keeps_it() -> None:
    # as many keys as the model has fields, one of them unknown: not a record without extras
    record = {k: v for k, v in _record().items() if k != "einvoice_sent"} | {"new": 1.5}
    for page in ([record], [record] * 20):
        for invoice in structure_many(page, SalesInvoice):
            assert invoice.extra == {"new": Decimal("1.5")}
            assert invoice.einvoice_sent is attrs.fields(SalesInvoice).einvoice_sent.default


def test_models_are_frozen() -> None:
    invoice = structure(_record(), SalesInvoice)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        invoice.balance = Decimal(0)  # type: ignore[misc]


def test_decoded_records_are_plain_instances_of_their_model() -> None:
    # the hook fills a private subclass and turns it into the model: nothing of it may show
    invoice = structure({**invoice_dict(24), "new_total": 1.5}, SalesInvoice)
    built = SalesInvoice(**{a.name: getattr(invoice, a.name) for a in attrs.fields(SalesInvoice)})
    assert type(invoice) is SalesInvoice
    assert invoice == built
    assert hash(invoice) == hash(built)  # ``extra`` (a read-only mapping) stays out of the hash
    copied = pickle.loads(pickle.dumps(invoice))
    assert copied == invoice
    assert copied.extra == {"new_total": Decimal("1.5")}
    assert pickle.loads(pickle.dumps(structure(invoice_dict(24), SalesInvoice))).extra == {}
    assert attrs.evolve(invoice, balance=Decimal(1)).balance == Decimal(1)
    assert unstructure(invoice) == unstructure(built)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        del invoice.id


def test_whole_float_becomes_int_for_integer_fields() -> None:
    assert structure(_record(pricedecimals=2.0), SalesInvoice).pricedecimals == 2


def test_int_coordinates_become_floats() -> None:
    invoice = structure(_record(address_latitude=0, address_longitude=3.15141), SalesInvoice)
    assert invoice.address_latitude == 0.0
    assert type(invoice.address_latitude) is float
    assert invoice.address_longitude == 3.15141


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("id", "24x", "'id' should be an integer"),
        ("id", "24.0", "'id' should be an integer"),
        ("id", True, "'id' should be an integer"),
        ("id", 24.5, "'id' should be an integer"),
        ("id", None, "'id' should be an integer"),
        ("company_name", True, "'company_name' should be text"),
        ("company_name", [5], "'company_name' should be text"),
        ("approved", "true", "'approved' should be true or false"),
        ("approved", 1, "'approved' should be true or false"),
        ("address_latitude", "51.19", "'address_latitude' should be a number"),
        ("address_latitude", True, "'address_latitude' should be a number"),
        ("date", "2012/03/08", "'date' should be a date"),
        ("date", "08-03-2012", "'date' should be a date"),
        ("date", 20120308, "'date' should be a date"),
        ("ts_lastupdate", "", "'ts_lastupdate' should be a timestamp"),
        ("ts_lastupdate", "yesterday", "'ts_lastupdate' should be a timestamp"),
        ("balance", "lots", "'balance' is not a number"),
        ("balance", None, "'balance' is not a number"),
        ("vatpercent", [21], "'vatpercent' is not a number"),
    ],
)
def test_type_errors_raise_decode_error(field: str, value: object, message: str) -> None:
    with pytest.raises(DecodeError, match=re.escape(message)) as info:
        structure(_record(**{field: value}), SalesInvoice)
    assert info.value.excerpt == repr(value)[:80]


def test_missing_field_raises_decode_error() -> None:
    record = _record()
    del record["balance"]
    with pytest.raises(DecodeError, match="missing field 'balance'"):
        structure(record, SalesInvoice)


@pytest.mark.parametrize("payload", [[1, 2], "invoice", None, 24])
def test_record_not_an_object(payload: object) -> None:
    with pytest.raises(DecodeError, match="should be a JSON object"):
        structure(payload, SalesInvoice)


def test_structure_many_raises_decode_error_on_a_bad_record() -> None:
    good = _record()
    with pytest.raises(DecodeError):
        structure_many([good, _record(id="x")], SalesInvoice)
    assert [i.id for i in structure_many([good, _record(id=25)], SalesInvoice)] == [24, 25]


@pytest.mark.parametrize(
    ("body", "what"),
    [
        (b"<html><body>502 Bad Gateway</body></html>", "not JSON"),
        (b'{"Content-Range":"0-0/1","Records":[{"id":', "not JSON"),
        (b"", "an empty body"),
        (b"  \n ", "an empty body"),
        (b"\xff\xfe{}", "not JSON"),
    ],
)
def test_decode_json_rejects_non_json(body: bytes, what: str) -> None:
    with pytest.raises(DecodeError, match=what) as info:
        decode_json(body)
    assert info.value.excerpt == " ".join(body.decode("utf-8", "replace").split())


def test_decode_json_redacts_secrets_from_the_excerpt() -> None:
    with pytest.raises(DecodeError) as info:
        decode_json(b"<p>bad token s3cr3t-token</p>", ["s3cr3t-token"])
    assert "s3cr3t-token" not in str(info.value)
    assert info.value.excerpt == "<p>bad token ***</p>"


# -- the vendor's page -----------------------------------------------------------------------


def _undo_publishing(text: str) -> str:
    for fancy, plain in (("–", "-"), ("“", '"'), ("”", '"'), ("’", "'"), ("‘", "'")):
        text = text.replace(fancy, plain)
    # ``…`` in an array stands for more records; drop it and the comma before it
    return re.sub(r",\s*…\s*(?=\])", "", text)


def _vendor_bodies() -> tuple[str, str]:
    if not VENDOR_PAGE.exists():
        pytest.skip(f"{VENDOR_PAGE} is not available here")
    text = _undo_publishing(VENDOR_PAGE.read_text(encoding="utf-8"))
    marker = "Success gives statuscode 200 And the following result\n"
    blocks = text.split(marker)
    list_body = blocks[1].split("\n/SalesInvoices/{id}\n")[0]
    one_body = blocks[2].split("\n/SalesInvoices/{id}/conclusion_html\n")[0]
    return list_body, one_body


@pytest.fixture
def vendor_list() -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(_vendor_bodies()[0])
    return payload


@pytest.fixture
def vendor_one() -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(_vendor_bodies()[1])
    return payload


@pytest.fixture
def mock() -> Iterator[aioresponses]:
    with aioresponses() as mocked:
        yield mocked


@pytest.fixture
async def client() -> AsyncIterator[BouwsoftClient]:
    async with BouwsoftClient(
        client_nr=115, access_token="tlPfWxfIADzSfklmGfzRq", base_url=BASE, max_retries=0
    ) as client:
        yield client


def test_vendor_page_extracts_to_json(
    vendor_list: dict[str, Any], vendor_one: dict[str, Any]
) -> None:
    assert vendor_list["Content-Range"] == "0-4/3412"
    assert [r["id"] for r in vendor_list["Records"]] == [24, 25]
    assert vendor_one["Content-Range"] == "0-0/1"
    assert [r["id"] for r in vendor_one["Records"]] == [16126]
    cr = parse_content_range(vendor_list["Content-Range"])
    assert (cr.first, cr.last, cr.total) == (0, 4, 3412)


def _check_invoice_24(invoice: SalesInvoice) -> None:
    assert invoice.id == 24
    assert invoice.company_name == "Bouwsoft"
    assert invoice.type == "FAKTUUR"
    assert invoice.nr == 20120002
    assert invoice.date == date(2012, 3, 8)
    assert invoice.expirationdate == date(2012, 3, 16)
    assert invoice.chargeableevent == date(2012, 3, 8)
    assert invoice.senttoaccountingsoftware is True
    assert invoice.senttoaccountingsoftware_ts is None
    assert invoice.concerning == "Leveren van parket: Bijbestelling"
    assert invoice.address_latitude == 0.0
    assert invoice.telephone1 == "+32 3 237 74 63 "
    assert invoice.email == ""
    assert invoice.basis == Decimal("165.0")
    assert invoice.vatpercent == Decimal(21)
    assert str(invoice.vatamount) == "34.65"
    assert str(invoice.amountinclvat) == "199.65"
    assert invoice.vatcode2 == "0M"
    assert invoice.vatcocontractor2 is True
    assert invoice.vatpercent4 == Decimal("12.5")
    assert invoice.vatamount5 == Decimal("34.65")
    assert invoice.cashdiscount_expirationdate is None
    assert invoice.cashdiscount_amount == Decimal(0)
    assert invoice.balance == Decimal("-1105.69")
    assert str(invoice.balance) == "-1105.69"
    assert invoice.approved_date is None
    assert invoice.rejected_date is None
    assert invoice.sent_date is None
    assert invoice.detail_sourcelist == "PARKET"
    assert invoice.ts_lastupdate == datetime(2019, 11, 26, 9, 43, 3)
    assert invoice.extra == {}


def _check_invoice_25(invoice: SalesInvoice) -> None:
    assert invoice.id == 25
    assert invoice.nr == 20120003
    assert invoice.expirationdate == date(2020, 12, 25)
    assert invoice.vatnr == "BE 0427.257.581"
    assert invoice.email == "info@sabbebvba.be"
    assert invoice.address_state == "West-Vlaanderen"
    assert invoice.basis == Decimal("4571.4")
    assert str(invoice.basis) == "4571.4"
    assert invoice.vatamount == Decimal("274.28")
    assert invoice.amountinclvat == Decimal("4845.68")
    assert invoice.basis3 == Decimal("4571.4")
    assert invoice.taxableamount3 == Decimal("4571.4")
    assert invoice.vatpercent3 == Decimal(6)
    assert invoice.vatpercent4 == Decimal("12.5")
    assert invoice.commercialdiscount_percent == Decimal(10)
    assert invoice.balance == Decimal("4745.68")
    assert invoice.lasteditedby == "DIRK"
    assert invoice.approved is True
    assert invoice.approved_date == date(2024, 7, 15)
    assert invoice.sent_date == date(2023, 4, 17)
    assert invoice.rejected_date is None
    assert invoice.detail_ordergroups is True
    assert invoice.ts_lastupdate == datetime(2025, 2, 12, 14, 29, 54)
    assert invoice.extra == {}


async def test_vendor_by_id_example_through_get(
    client: BouwsoftClient, vendor_one: dict[str, Any], mock: aioresponses
) -> None:
    mock.get(f"{BASE}/SalesInvoices/16126", body=json.dumps(vendor_one))
    invoice = await client.sales_invoices.get(16126)
    assert invoice.id == 16126
    assert invoice.company_id == 2
    assert invoice.company_name == "Groensoft"
    assert invoice.nr == 202400099
    assert invoice.date == date(2025, 2, 12)
    assert invoice.expirationdate == date(2025, 2, 22)
    assert invoice.structuredpaymentnotification == "000001612624"
    assert invoice.ledger == 700210
    assert invoice.address_salutation == "B.V."
    assert invoice.address_latitude == 51.19147
    assert invoice.address_longitude == 3.15141
    assert invoice.contact_id == 32334
    assert invoice.contact_name == "Gino Deblauwe"
    assert invoice.fax == "+32 50 45 40 80 "
    assert invoice.gsm == "+32 486 60 64 09"
    assert invoice.email == "gino@bouwsoft.be"
    assert invoice.project_pnr == 20170184
    assert invoice.project_name == "Warmtepomp plaatsen"
    assert invoice.yourreference == "testingref"
    assert invoice.basis == Decimal(0)
    assert invoice.vatcode3 == "21M"
    assert invoice.vatcocontractor3 is True
    assert invoice.vatpercent5 == Decimal(6)
    assert invoice.balance == Decimal(0)
    assert invoice.createdby == "DIRK"
    assert invoice.approved_date is None
    assert invoice.sent_date is None
    assert invoice.detail_sourcelist == ""
    assert invoice.ts_lastupdate == datetime(2025, 2, 12, 14, 30, 47)
    assert invoice.extra == {}


async def test_vendor_list_records_through_list(
    client: BouwsoftClient, vendor_list: dict[str, Any], mock: aioresponses
) -> None:
    consistent = {"Content-Range": "0-1/2", "Records": vendor_list["Records"]}
    mock.get(LIST_URL, body=json.dumps(consistent))
    invoices = [invoice async for invoice in client.sales_invoices.list(page_size=5)]
    assert [i.id for i in invoices] == [24, 25]
    _check_invoice_24(invoices[0])
    _check_invoice_25(invoices[1])


async def test_vendor_list_body_as_published_is_a_count_mismatch(
    client: BouwsoftClient, vendor_list: dict[str, Any], mock: aioresponses
) -> None:
    # the page announces 0-4 (five records) but, with the placeholder dropped, carries two
    mock.get(LIST_URL, body=json.dumps(vendor_list))
    with pytest.raises(DecodeError, match="announces 5 records but the page has 2"):
        async for _ in client.sales_invoices.pages(page_size=5):
            pass


async def test_vendor_list_body_count_reads_the_total(
    client: BouwsoftClient, vendor_list: dict[str, Any], mock: aioresponses
) -> None:
    mock.get(LIST_URL, body=json.dumps(vendor_list))
    assert await client.sales_invoices.count() == 3412


async def test_vendor_wire_floats_are_exact_through_the_raw_body(
    client: BouwsoftClient, mock: aioresponses
) -> None:
    # the bytes as the server prints them (not re-serialized by json.dumps)
    list_body, _ = _vendor_bodies()
    body = list_body.replace('"0-4/3412"', '"0-1/2"')
    assert "4571.399999999999636" in body
    assert "-1105.690000000000055" in body
    mock.get(LIST_URL, body=body)
    pages = [page async for page in client.sales_invoices.pages(page_size=5)]
    assert len(pages) == 1
    assert (pages[0].first, pages[0].last, pages[0].total) == (0, 1, 2)
    _check_invoice_24(pages[0].records[0])
    _check_invoice_25(pages[0].records[1])


# -- orjson, and nesting no parser can follow (issue 9 item 8) ---------------------------------

DEEP = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
AUTH = "https://charon.bouwsoft.be/api/v1"


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT])
def test_deep_nesting_is_a_decode_error_not_a_recursion_error(body: bytes) -> None:
    with pytest.raises(DecodeError, match="not JSON"):
        decode_json(body)
    assert try_decode_json(body) is None


class _OneBody:
    """A transport (the client's public seam) that answers every request with one body."""

    def __init__(self, body: bytes, status: int = 200) -> None:
        self.body = body
        self.status = status
        self.requests: list[Request] = []

    async def send(self, request: Request) -> Response:
        self.requests.append(request)
        return Response(
            status=self.status, headers={"Content-Type": "application/json"}, body=self.body
        )

    async def aclose(self) -> None:
        pass


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT])
async def test_deep_nesting_on_a_list_page_and_a_get(body: bytes) -> None:
    async with BouwsoftClient(
        client_nr=115, access_token="t0k3n", base_url=BASE, transport=_OneBody(body)
    ) as client:
        with pytest.raises(DecodeError):
            async for _ in client.sales_invoices.list():
                pass
        with pytest.raises(DecodeError):
            await client.sales_invoices.get(24)


async def test_deep_nesting_in_an_error_body_is_the_status_error() -> None:
    async with BouwsoftClient(
        client_nr=115, access_token="t0k3n", base_url=BASE, transport=_OneBody(DEEP_OBJECT, 400)
    ) as client:
        with pytest.raises(BadRequestError) as info:
            await client.sales_invoices.get(24)
    assert info.value.status == 400


async def test_deep_nesting_in_the_token_answer() -> None:
    transport = _OneBody(DEEP_OBJECT)
    async with BouwsoftClient(
        client_nr=115, refresh_token="r3fr3sh", auth_url=AUTH, transport=transport
    ) as client:
        with pytest.raises(DecodeError):
            await client.sales_invoices.get(24)
    assert "Authorize/AccessToken" in transport.requests[0].url


def test_a_number_past_a_double_is_read_exactly() -> None:
    # orjson refuses 1e400; the fallback reads it with an exact Decimal, and money stays exact
    payload = decode_json(b'{"basis1": 1e400, "nested": [0.1]}')
    assert payload == {"basis1": Decimal("1e400"), "nested": [Decimal("0.1")]}
    assert money_from_wire(payload["basis1"]) == Decimal(10) ** 400


@pytest.mark.parametrize("count", [1, 10])
@pytest.mark.parametrize("number", ["1e400", "-1e400", "NaN", "Infinity", "-Infinity"])
def test_a_float_field_refuses_a_number_no_double_holds(number: str, count: int) -> None:
    # 1e400 (past a double) read as inf, and NaN or Infinity (not JSON, but read by the stdlib
    # fallback), were kept in a float field: the JSON export wrote them as null, the CSV as
    # inf or nan. They are refused, as money refuses them
    record = render_invoice(invoice_ids(1)[0]).replace(
        '"address_latitude":', f'"address_latitude":{number},"zz_latitude":', 1
    )
    body = f"[{','.join([record] * count)}]".encode()
    with pytest.raises(DecodeError):
        structure_many(decode_json(body), SalesInvoice)
    with pytest.raises(DecodeError):
        sales_invoice_rows(decode_json(body))
    assert structure_many(decode_json(body.replace(number.encode(), b"1e-400")), SalesInvoice)


def test_money_beyond_28_digits_is_exact() -> None:
    # Decimal's default context holds 28 digits: rounding 1e30 used to raise InvalidOperation
    assert money_from_wire(1e30) == Decimal(10**30)
    assert money_from_wire(1.5e25) == Decimal(15 * 10**24)
    assert money_from_wire(123456789012345678.123456) == Decimal("123456789012345680")
    assert money_from_wire(Decimal("9" * 40 + ".123456")) == Decimal("9" * 40 + ".1235")


# -- what the vendor has been seen to answer (issue 12 section 3) ------------------------------


def _payment(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": 3149, "purchaseinvoice_id": 884, "purchaseinvoice_nr": 20160041,
        "salesinvoice_id": 0, "salesinvoice_type": "", "salesinvoice_nr": 0, "address_id": 328892,
        "address_name": "Bouwmaterialen NV", "paymentaccount_id": 1,
        "paymentaccount_nr": "BE67 0013 3231 34 87", "paymentaccount_name": "Use IT Group NV",
        "date": "2017-04-20", "amount": 100.049999999999997, "paymentmethod": "BANK",
        "paymentmethod_localized": "Bank", "advance": False, "iban": "BE38750608132972",
        "bic": "AXABBE22", "note": "", "docnr": "", "statementnr": "", "externalcode": "x-1",
        "externalsource": 0, "ts_lastupdate": "2025-02-12 14:26:20",
    }  # fmt: skip
    record.update(changes)
    return record


def test_a_digit_string_in_a_number_field_is_read_as_the_number() -> None:
    payment = structure(_payment(purchaseinvoice_nr="20160041", salesinvoice_nr=" 7 "), Payment)
    assert payment.purchaseinvoice_nr == 20160041
    assert payment.salesinvoice_nr == 7
    assert payment.extra == {}
    assert read_int("-12", "x") == -12


def test_a_number_in_a_text_field_is_read_as_its_exact_text() -> None:
    invoice = structure(
        _record(address_zipcode=8840, ordernr=12.5, vatcode=21, nr_add=100.049999999999997),
        SalesInvoice,
    )
    assert invoice.address_zipcode == "8840"
    assert invoice.ordernr == "12.5"
    assert invoice.vatcode == "21"
    assert invoice.nr_add == "100.05"


def test_einvoice_fields_of_the_newer_table_are_typed() -> None:
    invoice = structure(
        _record(
            einvoice_sent=True,
            einvoice_sent_ts="2026-05-07 09:21:28",
            einvoice_technical_status="Delivered",
            einvoice_transmissionid="peppol-1",
            einvoice_lasterrors="",
        ),
        SalesInvoice,
    )
    assert invoice.einvoice_sent is True
    assert invoice.einvoice_sent_ts == datetime(2026, 5, 7, 9, 21, 28)
    assert invoice.einvoice_sent_ts.tzinfo is None
    assert invoice.einvoice_technical_status == "Delivered"
    assert invoice.einvoice_transmissionid == "peppol-1"
    assert invoice.einvoice_lasterrors == ""
    assert invoice.extra == {}
    assert structure(_record(einvoice_sent_ts=""), SalesInvoice).einvoice_sent_ts is None
    with pytest.raises(DecodeError, match="einvoice_sent"):
        structure(_record(einvoice_sent="yes"), SalesInvoice)


def test_an_older_server_without_einvoice_fields() -> None:
    record = {k: v for k, v in _record().items() if not k.startswith("einvoice_")}
    invoice = structure(record, SalesInvoice)
    assert invoice.einvoice_sent is False
    assert invoice.einvoice_sent_ts is None
    assert invoice.einvoice_lasterrors == ""
    assert invoice.extra == {}
    # and a field the model does not know still lands in extra next to the missing ones
    assert structure({**record, "newer": 1.5}, SalesInvoice).extra == {"newer": Decimal("1.5")}


async def test_the_fake_serves_einvoice_fields_that_the_client_types() -> None:
    async with FakeBouwsoft(sales_invoices=200, strict=True) as fake, fake.client() as client:
        invoices = [i async for i in client.sales_invoices.list(page_size=50)]
    assert len(invoices) == 200
    sent = [i for i in invoices if i.einvoice_sent]
    assert sent
    assert all(isinstance(i.einvoice_sent_ts, datetime) for i in sent)
    assert all(i.einvoice_sent_ts is None for i in invoices if not i.einvoice_sent)
    assert all(i.extra == {} for i in invoices)


@pytest.mark.parametrize(
    "answer",
    [{"id": 3149, "unr": 1275}, {"id": 3495}, {"id": "3495"}],
)
def test_short_put_answers_are_record_changes(answer: dict[str, Any]) -> None:
    changes = structure_changes(answer, PurchaseInvoice)
    assert changes.id in (3149, 3495)
    assert changes.ts_lastupdate is None
    assert changes.extra == {}


def test_a_put_answer_with_a_huge_amount_reads_it_exactly() -> None:
    changes = structure_changes(
        decode_json(b'{"id": 884, "basis1": 1e30, "ts_lastupdate": "2025-02-12 14:26:20"}'),
        PurchaseInvoice,
    )
    assert changes.fields["basis1"] == Decimal(10**30)
    assert changes.ts_lastupdate == datetime(2025, 2, 12, 14, 26, 20)


# -- the field tables and the vendor's types ---------------------------------------------------

VENDOR_TYPES = [
    "tpLong", "tpString", "tpDate", "tpDateNullString", "tpBool", "tpDouble", "tpCurrency",
    "tpTime", "tpTelefoon", "tpEmail", "tpPercent", "tpCurrencyHD", "tpFax", "tpTimeDouble",
]  # fmt: skip


def test_every_vendor_type_has_one_rule_and_the_readme_shows_it() -> None:
    assert sorted(FIELD_TYPES) == sorted(VENDOR_TYPES)
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    for row in FIELD_TYPES.values():
        assert f"| `{row.name}` | {row.type_id} |" in readme, row.name


def test_the_model_is_the_field_table() -> None:
    for model, table in [
        (SalesInvoice, SALES_INVOICE_FIELDS),
        (PurchaseInvoice, PURCHASE_INVOICE_FIELDS),
        (Payment, PAYMENT_FIELDS),
    ]:
        names = [a.name for a in attrs.fields(model) if a.name not in ("id", "extra")]
        assert list(table) == names
    assert PURCHASE_INVOICE_FIELDS["nr_supplier"].length == 100
    assert PURCHASE_INVOICE_FIELDS["basis1"].writeable
    assert not PURCHASE_INVOICE_FIELDS["amountinclvat1"].writeable
    assert SALES_INVOICE_FIELDS["einvoice_sent_ts"].kind == "tpDateNullString"
    assert PAYMENT_FIELDS["amount"].kind == "tpCurrency"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"ledger": 2**31}, "32-bit"),
        ({"ledger": -(2**31) - 1}, "32-bit"),
        ({"basis1": Decimal("922337203685477.5808")}, "tpCurrency"),
        ({"basis1": Decimal("-922337203685477.5809")}, "tpCurrency"),
        ({"basis1": 10**15}, "tpCurrency"),
    ],
)
def test_out_of_range_numbers_are_refused_before_sending(
    fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        encode_write(PURCHASE_INVOICE_FIELDS, fields, resource="PurchaseInvoices")


def test_the_edges_of_the_ranges_are_sent() -> None:
    columns, _ = encode_write(
        PURCHASE_INVOICE_FIELDS,
        {
            "ledger": 2**31 - 1,
            "company_id": -(2**31),
            "basis1": Decimal("922337203685477.5807"),
            "basis2": Decimal("-922337203685477.5808"),
        },
        resource="PurchaseInvoices",
    )
    assert columns == (
        "ledger=2147483647,company_id=-2147483648,basis1=922337203685477.5807,"
        "basis2=-922337203685477.5808"
    )


# -- the export's rows: without models, the same as with them (issue 10 item 2) -----------------

_EDGES: list[dict[str, Any]] = [
    {"basis": 100.049999999999997, "vatamount": 1e20, "balance": 1e30, "advance": -0.0},
    {"basis": 0, "vatamount": 5, "amountinclvat": 0.123456, "balance": "12.30"},
    {"vatpercent": 12.5, "vatpercent1": 21, "cashdiscount_percent": 1e-7},
    {"nr": "20160041", "pricedecimals": 2.0, "ledger": " 70000 "},
    {"address_zipcode": 8840, "ordernr": 12.5, "vatcode": 21},
    {"address_latitude": 0, "address_longitude": 51.19147, "shippingaddress_latitude": -3},
    {"date": "", "expirationdate": "2012-03-08", "sent_date": "", "approved_date": "2024-02-29"},
    {"ts_lastupdate": "2025-02-12T14:29:54", "senttoaccountingsoftware_ts": "2020-01-02 03:04:05"},
    {"einvoice_sent": True, "einvoice_sent_ts": "2026-05-07 09:21:28"},
    {"new_total": 100.049999999999997, "nested": {"a": [1.1, 2, None, "é"]}, "flag": False},
    {"note_ünïcode": "Élec Dubois \u2013 \U0001f600", "concerning": 'quote " and \\ and \n'},
    {"big": 12345678901234567890, "tiny": 5e-324, "text": ""},
    {"date": " 2012-03-08", "expirationdate": "2012-03-08T00:00:00", "sent_date": "2012-03-08 "},
    {
        "ts_lastupdate": "2020-01-02 03:04:05.500",
        "senttoaccountingsoftware_ts": "2020-01-02T03:04:05Z",
    },
    {"ts_lastupdate": "2020-01-02 03:04:05+01:00", "vatamount": 7, "basis": -12, "vatpercent": 0},
]


def _edge_records(count: int) -> list[dict[str, Any]]:
    records = []
    for k, invoice_id in enumerate(invoice_ids(count)):
        record = json.loads(render_invoice(invoice_id))
        if k % 5 == 0:
            record.update(_EDGES[(k // 5) % len(_EDGES)])
        if k % 3 == 0:  # an older server: no e-invoice fields
            for key in [key for key in record if key.startswith("einvoice_")]:
                del record[key]
        records.append(record)
    return records


def invoice_row(invoice: SalesInvoice) -> dict[str, Any]:
    """The typed path: an invoice's model as a row (its fields under their wire names, then the
    fields the model does not know; Decimal as exact text, dates as ISO)."""
    row = attrs.asdict(invoice, recurse=False)
    row.update(row.pop("extra"))
    plain: dict[str, Any] = _plain_value(row, ROW_TEXT)
    return plain


@pytest.mark.parametrize(("count", "page_size"), [(3000, 500), (1000, 37), (120, 1)])
def test_rows_without_models_equal_the_rows_of_the_models(count: int, page_size: int) -> None:
    records = _edge_records(count)
    for start in range(0, len(records), page_size):
        page = records[start : start + page_size]
        typed = [invoice_row(invoice) for invoice in structure_many(page, SalesInvoice)]
        wire_order = [list(record) for record in page]
        fast = sales_invoice_rows(page)
        assert len(fast) == len(typed)
        for expected, got, keys in zip(typed, fast, wire_order, strict=True):
            assert got == expected
            assert {k: type(v) for k, v in got.items()} == {k: type(v) for k, v in expected.items()}
            # the server's order, then the model fields it left out
            assert list(got)[: len(keys)] == keys


def test_a_page_reads_each_value_as_its_field_reader_does() -> None:
    # a page is converted column by column, each distinct value once, plain amounts, ints and
    # canonical dates in C loops: each value must still come out as its reader reads it alone
    records = _edge_records(1500)
    structurer = _structurer(SalesInvoice)
    for start in range(0, len(records), 500):
        page = records[start : start + 500]
        for record, invoice in zip(page, structure_many(page, SalesInvoice), strict=True):
            for name, scalar in structurer.scalars.items():
                if name in record:
                    got, alone = getattr(invoice, name), scalar.read(record[name], name)
                    assert (type(got), got) == (type(alone), alone)
                    if isinstance(got, Decimal):  # the same digits (a page's -0.0 may be 0.0)
                        assert got.as_tuple().exponent == alone.as_tuple().exponent


def _fields_of(invoice: SalesInvoice) -> list[tuple[type, str]]:
    # each value's class and repr: Decimal("100.05") and Decimal("100.050") differ here
    return [(type(v), repr(v)) for v in (*attrs.astuple(invoice, recurse=False), invoice.extra)]


_BAD_VALUES: list[dict[str, Any]] = [
    {"id": "x"},
    {"id": True},
    {"id": 24.5},
    {"company_name": True},
    {"company_name": [5]},
    {"approved": 1},
    {"approved": "true"},
    {"address_latitude": "51.19"},
    {"balance": "lots"},
    {"balance": None},
    {"balance": float("nan")},
    {"vatpercent": [21]},
    {"date": "2012/03/08"},
    {"date": 20120308},
    {"date": "2012-02-30"},
    {"approved_date": "\uff12\uff10\uff11\uff12-03-08"},  # fullwidth digits
    {"ts_lastupdate": ""},
    {"ts_lastupdate": "2019-13-26 09:43:03"},
    {"einvoice_sent_ts": 5},
]


def test_a_page_of_one_reads_as_a_page_of_many() -> None:
    # a small page is read record by record, a larger one column by column: the same records
    # give the same models and the same errors either way (issue 10, request overhead)
    edges = [*_EDGES, {"sent_date": None, "senttoaccountingsoftware_ts": None}]
    records = _edge_records(300)
    uniform = [json.loads(render_invoice(invoice_ids(1)[0])) | edge for edge in edges]
    pages = [records, *([record] * 20 for record in uniform)]
    for page in pages:
        many = structure_many(page, SalesInvoice)
        for record, invoice in zip(page, many, strict=True):
            (alone,) = structure_many([record], SalesInvoice)
            assert _fields_of(alone) == _fields_of(invoice)
    good = records[:20]
    for bad in _BAD_VALUES:
        record = {**good[1], **bad}
        with pytest.raises(DecodeError) as alone:
            structure_many([record], SalesInvoice)
        for page in ([*good, record], [record] * 20):
            with pytest.raises(DecodeError) as in_page:
                structure_many(page, SalesInvoice)
            assert (str(in_page.value), in_page.value.excerpt) == (
                str(alone.value),
                alone.value.excerpt,
            )
    missing = {k: v for k, v in good[0].items() if k != "balance"}
    for page in ([missing], [*good, missing], [missing] * 20):
        with pytest.raises(DecodeError, match="missing field 'balance'"):
            structure_many(page, SalesInvoice)
    for page in ([5], [*good, 5]):
        with pytest.raises(DecodeError, match="should be a JSON object"):
            structure_many(page, SalesInvoice)


# each of these in one column of a page: a column of one value is read once
_ONE_VALUE: list[dict[str, Any]] = [
    {"basis": 0.0, "vatpercent": 0, "address_latitude": 0},
    {"basis": -0.0, "vatpercent": 0.0, "address_latitude": -0.0},
    {"basis": 0, "vatpercent": 21, "address_latitude": 3},
    {"basis": 12345678901234567890123, "vatpercent": 12345678901234567890123},
    {"basis": 1e-5, "vatpercent": 1e-5, "advance": 1e-7},
    {"basis": 100.049999999999997, "vatpercent": 12.5, "balance": 1e20},
    {"basis": "12.30", "vatpercent": " 21 ", "nr": "20160041", "pricedecimals": 2.0},
    {"date": "2012-03-08", "sent_date": "", "approved_date": " 2012-03-08"},
    {"ts_lastupdate": "2020-01-02 03:04:05", "senttoaccountingsoftware_ts": ""},
]
# columns of several classes: 0 == 0.0 == -0.0, but they do not read alike
_MIXED: list[dict[str, Any]] = [
    {"basis": 0.0, "vatpercent": 0, "advance": -0.0, "balance": 0},
    {"basis": 0, "vatpercent": 0.0, "advance": 0.0, "balance": 12345678901234567890123},
    {"basis": -0.0, "vatpercent": 0, "advance": 0, "balance": "0"},
    {"basis": 0, "vatpercent": 0.0, "advance": 1e-7, "balance": 1e-5},
]


def test_a_column_of_one_value_or_of_mixed_classes_reads_as_each_value_alone() -> None:
    for page_size in (20, 1):
        for edge in _ONE_VALUE:
            # records of their own (not one object many times) with equal values
            page = [json.loads(json.dumps(record | edge)) for record in _edge_records(40)]
            for record in page[:page_size]:
                (alone,) = structure_many([record], SalesInvoice)
                (in_page,) = [i for i in structure_many(page, SalesInvoice) if i.id == alone.id]
                assert _fields_of(in_page) == _fields_of(alone)
            rows = sales_invoice_rows(json.loads(json.dumps(page)))
            assert rows == [invoice_row(i) for i in structure_many(page, SalesInvoice)]
    page = [json.loads(json.dumps(r | _MIXED[k % 4])) for k, r in enumerate(_edge_records(40))]
    for record, invoice in zip(page, structure_many(page, SalesInvoice), strict=True):
        (alone,) = structure_many([record], SalesInvoice)
        assert _fields_of(alone) == _fields_of(invoice)
    assert {str(i.basis) for i in structure_many(page, SalesInvoice)} == {"0.0", "0"}


def test_a_float_field_keeps_the_sign_of_zero_in_a_column_of_mixed_classes() -> None:
    # 0 == 0.0 == -0.0: a column of ints and floats was read through one table keyed by
    # (value, class), where -0.0 and 0.0 are one key; a float field (kept as it came when read
    # alone) took whichever sign came first, across the fields of the table too
    signs = [{"address_latitude": 0, "shippingaddress_latitude": 0.0, "address_longitude": 1}]
    signs += [{"address_latitude": -0.0, "shippingaddress_latitude": -0.0}]
    signs += [{"address_latitude": 0.0, "shippingaddress_latitude": 0}]
    for size in (20, 7, 2):
        page = [r | signs[k % 3] for k, r in enumerate(_edge_records(size))]
        for record, invoice in zip(page, structure_many(page, SalesInvoice), strict=True):
            (alone,) = structure_many([record], SalesInvoice)
            assert _fields_of(invoice) == _fields_of(alone)
            assert repr(invoice.address_latitude) == repr(float(record["address_latitude"]))
        rows = sales_invoice_rows([dict(record) for record in page])
        for record, row in zip(page, rows, strict=True):
            for name in ("address_latitude", "shippingaddress_latitude"):
                assert repr(row[name]) == repr(float(record[name]))


# edge values per reader, for the pages of test_pages_of_edge_values_read_as_records_alone
_NUMBERS: list[Any] = [0, 0.0, -0.0, 1, 1.0, -1, 2**60, 2**70, 1e-5, 100.049999999999997, 1e16]
_NUMBERS += [123.45678, 4571.4, -12.5, 0.30000000000000004, 21, 99.99995, 0.00005, 2.0**60]
_NUMBERS += ["12.50", " 7 ", "1E+2", "-0", "0.00005", Decimal("12.50"), Decimal("12.5")]
_NUMBERS += [Decimal("1E+2"), Decimal("-0"), Decimal("4571.399999999999636"), Decimal("0.0")]
_PAGE_EDGES: dict[str, list[Any]] = {
    "money_from_wire": _NUMBERS,
    "exact_decimal": _NUMBERS,
    "read_float": [0, 0.0, -0.0, 1, 1.0, 2**60, 2**70, 1e16, 1e-5, 51.2, Decimal("-0")],
    "read_int": [0, 1, 1.0, -0.0, 0.0, 2**60, 2**70, "42", " 7", 2.0**52, "-0", Decimal("5.0")],
    "read_text": ["", "x", 0, 1, 1.0, -0.0, 2**70, 1e16, 123.45678, 1e-5, "0", Decimal("1.50")],
    "read_bool": [True, False],
    "read_optional_date": ["", None, "2012-03-08", "2012-03-08 00:00:00", " 2012-03-08"],
    "read_date": ["2012-03-08", " 2012-03-08 ", "2012-03-08T00:00:00", "2012-03-09"],
    "read_optional_timestamp": ["", None, "2025-02-12 14:29:54", "2025-02-12T14:29:54Z"],
    "read_timestamp": ["2025-02-12 14:29:54", "2025-02-12T14:29:54+02:00"],
}
# values one reader refuses
_PAGE_BAD: dict[str, list[Any]] = {
    "money_from_wire": [True, "x", [1], "NaN"],
    "exact_decimal": [False, "abc"],
    "read_float": ["1.5", True, None],
    "read_int": [True, 1.5, 2.0**60, "1.0"],
    "read_text": [True, None, [1]],
    "read_bool": [0, 1, "true", None],
    "read_optional_date": ["2012-13-01", 0],
    "read_date": ["", None],
    "read_optional_timestamp": ["2025-02-30 00:00:00", 5],
    "read_timestamp": ["", None],
}


def _edge_page(rng: random.Random, size: int) -> list[dict[str, Any]]:
    structurer = _structurer(SalesInvoice)
    page = [invoice_dict(i) for i in rng.sample(range(24, 100_000), size)]
    for name, scalar in structurer.scalars.items():
        edges, mode = _PAGE_EDGES[scalar.read.__name__], rng.random()
        if mode < 0.15:  # one value in the whole column
            value = rng.choice(edges)
            for record in page:
                record[name] = value
        elif mode < 0.3:  # two values, often equal ones of two classes (0 and -0.0)
            pair = rng.sample(edges, 2)
            for record in page:
                record[name] = rng.choice(pair)
        elif mode < 0.45:  # a few edge values among the usual ones
            for record in page:
                if rng.random() < 0.3:
                    record[name] = rng.choice(edges)
    if rng.random() < 0.2:  # one bad value
        name, scalar = rng.choice(list(structurer.scalars.items()))
        rng.choice(page)[name] = rng.choice(_PAGE_BAD[scalar.read.__name__])
    optional = sorted(structurer.known - structurer.required)
    every = rng.random() < 0.5
    if rng.random() < 0.25:  # optional fields left out (by every record or by some)
        left_out = rng.sample(optional, rng.randint(1, len(optional)))
        for record in page:
            if every or rng.random() < 0.5:
                for name in left_out:
                    del record[name]
    if rng.random() < 0.25:  # unknown fields
        for record in page:
            if every or rng.random() < 0.5:
                record["zz_new"] = rng.choice([1.1, -0.0, 0, "x", 1e16, [1.5, {"a": 0.1}], None])
    if rng.random() < 0.25:  # another order of the keys (the same for every record, or not)
        order = list(page[0])
        rng.shuffle(order)
        for k, record in enumerate(page):
            keys = list(record)
            if every:
                keys = [key for key in order if key in record] + sorted(set(keys) - set(order))
            else:
                rng.shuffle(keys)
            page[k] = {key: record[key] for key in keys}
    return page


def _page_text(page: list[dict[str, Any]], rng: random.Random) -> bytes:
    """The page as a server would print it: floats often with 15 decimals, ints past 64 bits
    as digits, now and then a number past a double (read then with Decimal fractions)."""

    def printed(value: Any) -> Any:
        if isinstance(value, float) and abs(value) < 1e15 and rng.random() < 0.5:
            return orjson.Fragment(wire_value(value))
        if isinstance(value, int | Decimal) and not isinstance(value, bool) and abs(value) > 2**62:
            return orjson.Fragment(str(value))
        if isinstance(value, list):
            return [printed(item) for item in value]
        if isinstance(value, dict):
            return {key: printed(item) for key, item in value.items()}
        return value

    records = [{key: printed(value) for key, value in r.items()} for r in page]
    if rng.random() < 0.15:
        rng.choice(records)["zz_big"] = orjson.Fragment("1e400")
    return orjson.dumps(records, default=str)


def _same(a: Any, b: Any) -> bool:
    """Equal, of one class, with the same digits (Decimal) and sign (float)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, Decimal | float):
        return repr(a) == repr(b)
    if isinstance(a, Mapping):
        return a.keys() == b.keys() and all(_same(a[key], b[key]) for key in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(map(_same, a, b))
    return bool(a == b)


def _error(read: Any) -> tuple[Any, str | None]:
    try:
        return read(), None
    except DecodeError as exc:
        return None, str(exc)


def _field_errors(record: dict[str, Any]) -> set[str]:
    """What each field of ``record`` raises read alone."""
    structurer, errors = _structurer(SalesInvoice), set()
    for name, default in zip(structurer.names, structurer.defaults, strict=True):
        value, scalar = record.get(name, default), structurer.scalars[name]
        if type(value) is not scalar.exact:
            errors.add(_error(lambda v=value, n=name, s=scalar: s.read(v, n))[1])
    return errors - {None}


def _check_edge_page(page: list[dict[str, Any]], fresh: Callable[[], list[Any]]) -> int:
    many, page_error = _error(lambda: structure_many(page, SalesInvoice))
    rows, rows_error = _error(lambda: sales_invoice_rows(fresh()))
    alone = [_error(lambda r=r: structure_many([r], SalesInvoice)) for r in page]
    assert [_error(lambda r=r: structure(r, SalesInvoice))[1] for r in page] == [
        error for _, error in alone
    ]
    errors = [(record, error) for record, (_, error) in zip(page, alone, strict=True) if error]
    if errors:
        assert page_error is not None
        assert rows_error is not None
        if len(errors) == 1:  # one bad record: the page names one of its bad fields
            bad = _field_errors(errors[0][0])
            assert {errors[0][1], page_error, rows_error} <= bad
            if len(bad) == 1:
                assert page_error == rows_error == errors[0][1]
        return 0
    assert (page_error, rows_error) == (None, None)
    for record, invoice, (single, _), row in zip(page, many, alone, rows, strict=True):
        assert _fields_of(invoice) == _fields_of(single[0])
        got = attrs.asdict(invoice, recurse=False)
        for name, value in attrs.asdict(single[0], recurse=False).items():
            assert _same(got[name], value), (name, record.get(name), got[name], value)
        # the row: the model's values written out, the unknown fields as plain data
        expected = invoice_row(invoice)
        assert row.keys() == expected.keys()
        for name, value in expected.items():
            assert _same(row[name], value), (name, record.get(name), row[name], value)
        assert list(row)[: len(record)] == list(record)
    return len(page)


def test_pages_of_edge_values_read_as_records_alone() -> None:
    # pages of 1 to 50 records with edge values mixed into their columns (one value, equal
    # values of two classes, a few among the usual ones), fields left out, unknown fields and
    # other key orders: read as a page (column by column from 8 records), each record read
    # alone and ``structure`` give the same values with the same digits, and rows write them
    rng = random.Random(20261121)
    checked = 0
    for k in range(56):
        page = _edge_page(rng, (1, 7, 8, 9, 50, 2, 16)[k % 7])
        checked += _check_edge_page(page, lambda page=page: copy.deepcopy(page))
        body = _page_text(page, rng)
        checked += _check_edge_page(decode_json(body), lambda body=body: decode_json(body))
    assert checked > 300, checked


def test_a_page_of_floats_reads_each_as_alone() -> None:
    # a page's distinct floats are written by orjson in one go (not repr one by one): when the
    # fast path takes them, each is the Decimal its reader gives alone (digits and exponent),
    # and the text decimal_text writes of it; small ones orjson writes without repr's exponent
    rng = random.Random(7)
    cents = [rng.randrange(-(10**9), 10**9) / 100 for _ in range(300)]
    floats = cents + [rng.uniform(-1e6, 1e6) for _ in range(100)] + [2.5e-05, 1e-05, 5e-05]
    floats += [0.0001, -0.0, 1e15 + 0.5, 9999999999999998.0, 1e16, 1.5e-06, 0.30000000000000004]
    taken = 0
    for reader, money in ((money_from_wire, True), (exact_decimal, False)):
        fast = SCALARS[Money if money else Rate].fast
        assert fast is not None
        for values in [cents, *([value] for value in floats)]:
            read = fast(float, values, False)
            if read is None:
                continue
            taken += len(values)
            alone = [reader(value, "x") for value in values]
            assert [(str(d), d.as_tuple()) for d in read] == [(str(d), d.as_tuple()) for d in alone]
            assert fast(float, values, True) == [decimal_text(d) for d in alone]
    assert taken > 600, taken


@pytest.mark.parametrize(
    "bad",
    [{"basis": True}, {"vatpercent": False}, {"approved": 1}, {"date": "2012-02-30"}],
)
def test_a_column_of_one_bad_value_raises_what_one_record_raises(bad: dict[str, Any]) -> None:
    page = [json.loads(json.dumps(record | bad)) for record in _edge_records(20)]
    with pytest.raises(DecodeError) as alone:
        structure_many(page[:1], SalesInvoice)
    with pytest.raises(DecodeError) as in_page:
        structure_many(page, SalesInvoice)
    assert (str(in_page.value), in_page.value.excerpt) == (str(alone.value), alone.value.excerpt)
    assert repr(next(iter(bad.values()))) in str(alone.value.excerpt)


def test_rows_raise_what_the_models_raise() -> None:
    good = _edge_records(3)
    bads: list[dict[str, Any]] = [
        {"id": "x"},
        {"balance": "lots"},
        {"date": "2012/03/08"},
        {"approved": 1},
        {"date": "2012-02-30"},
        {"approved_date": "\uff12\uff10\uff11\uff12-03-08"},  # fullwidth digits
        {"ts_lastupdate": "2019-13-26 09:43:03"},
        {"senttoaccountingsoftware_ts": "2019-01-26 25:43:03"},
    ]
    for bad in bads:
        page = [*good, {**good[0], **bad}]
        with pytest.raises(DecodeError) as typed:
            structure_many(page, SalesInvoice)
        with pytest.raises(DecodeError) as fast:
            sales_invoice_rows(page)
        assert str(fast.value) == str(typed.value)
    with pytest.raises(DecodeError, match="missing field 'balance'"):
        sales_invoice_rows([{k: v for k, v in good[0].items() if k != "balance"}])


@pytest.mark.parametrize("file_format", ["jsonl", "csv"])
def test_both_writer_paths_write_the_same_file(file_format: str) -> None:
    records = _edge_records(2000)
    head, page_pieces, _ = _LAYOUTS[file_format]
    by_model, by_row = bytearray(head), bytearray(head)
    for start in range(0, len(records), 500):
        page = records[start : start + 500]
        typed = [invoice_row(i) for i in structure_many(page, SalesInvoice)]
        by_model += b"".join(page_pieces(typed, start))
        by_row += b"".join(page_pieces(sales_invoice_rows(page), start))
    if file_format == "csv":
        assert by_row == by_model
    else:
        # the same objects; keys in the server's order rather than the model's
        assert [json.loads(line) for line in by_row.splitlines()] == [
            json.loads(line) for line in by_model.splitlines()
        ]
        # and in meaning what the stdlib encoder wrote before orjson
        lines = by_row.decode().splitlines()
        assert len(lines) == len(records)
        for line, invoice in zip(lines, structure_many(records, SalesInvoice), strict=True):
            old = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode(
                invoice_row(invoice)
            )
            assert json.loads(line) == json.loads(old)


@pytest.mark.parametrize("strict", [False, True])
async def test_rows_over_http_are_the_rows_of_list(strict: bool) -> None:
    async with FakeBouwsoft(sales_invoices=1500, strict=strict) as fake, fake.client() as client:
        typed = [invoice_row(i) async for i in client.sales_invoices.list(page_size=200)]
        rows = [row async for row in client.sales_invoices.rows(page_size=200)]
        assert rows == typed
        parallel = [
            row
            async for row in client.sales_invoices.rows(
                page_size=100, concurrency=4, filter="type eq 'FAKTUUR'"
            )
        ]
    faktuur = [row for row in typed if row["type"] == "FAKTUUR"]
    assert sorted(parallel, key=lambda row: row["id"]) == faktuur
    assert isinstance(rows[0]["basis"], str)
    assert rows[0]["ts_lastupdate"] == typed[0]["ts_lastupdate"]


async def test_the_export_writes_what_the_models_say(tmp_path: Path) -> None:
    out = tmp_path / "invoices.jsonl"
    async with FakeBouwsoft(sales_invoices=1200, strict=True) as fake, fake.client() as client:
        written = await export_sales_invoices(
            client.sales_invoices, out, concurrency=3, page_size=100
        )
        typed = {i.id: invoice_row(i) async for i in client.sales_invoices.list()}
    lines = out.read_text(encoding="utf-8").splitlines()
    assert written == len(lines) == len(typed) == 1200
    for line in lines:
        row = json.loads(line)
        assert row == typed[row["id"]]


@pytest.mark.parametrize("name", ["missing/invoices.jsonl", "", "."])
async def test_an_export_to_a_name_that_cannot_be_written_sends_nothing(
    tmp_path: Path, name: str
) -> None:
    async with FakeBouwsoft(sales_invoices=10) as fake, fake.client() as client:
        out = str(tmp_path / name) if name else name
        with pytest.raises(OutputError):
            await export_sales_invoices(client.sales_invoices, out)
    assert fake.requests == []


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT])
async def test_deep_nesting_over_http_is_typed_on_every_path(body: bytes) -> None:
    # the same four paths against the fake over real HTTP (issue 9 item 8)
    json_type = {"Content-Type": "application/json"}
    async with FakeBouwsoft(sales_invoices=30) as fake, fake.client() as client:
        fake.add_fault(status=200, body=body, headers=json_type, path_contains="/Authorize")
        with pytest.raises(DecodeError):
            await client.sales_invoices.count()
        fake.add_fault(status=200, body=body, headers=json_type, path_contains="/SalesInv")
        with pytest.raises(DecodeError):
            async for _ in client.sales_invoices.list():
                pass
        fake.add_fault(status=200, body=body, headers=json_type, path_contains="/SalesInv")
        with pytest.raises(DecodeError):
            await client.sales_invoices.get(fake.invoice_ids[0])
        fake.add_fault(status=400, body=body, headers=json_type, path_contains="/SalesInv")
        with pytest.raises(BadRequestError):
            await client.sales_invoices.get(fake.invoice_ids[0])
