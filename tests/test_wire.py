"""The wire form over real HTTP: query strings exactly as the vendor writes them (RFC 3986)."""

from __future__ import annotations

import enum
from datetime import datetime, time
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote

import aiohttp
import pytest
import yarl

from bouwsoft_async import BadRequestError, BouwsoftClient, ValidationError, condition
from bouwsoft_async._protocol import encode_query
from bouwsoft_async._transport import AiohttpTransport, Request
from bouwsoft_async.testing import FakeBouwsoft, FakeRamBase, invoice_dict
from bouwsoft_async.testing._server import parse_query_strictly


def test_the_strict_reading_keeps_a_plus() -> None:
    assert parse_query_strictly("filter=id+gt%2025&x=%27a%2Bb%27") == [
        ("filter", "id+gt 25"),
        ("x", "'a+b'"),
    ]
    assert parse_query_strictly("") == []
    for bad in ("a=%zz", "a=%2", "a=b c", "a=%ff"):
        with pytest.raises(ValueError):  # noqa: PT011
            parse_query_strictly(bad)


async def test_the_strict_fake_reads_plus_as_plus() -> None:
    async with FakeBouwsoft(sales_invoices=50, strict=True) as fake:
        headers = {"Clientnr": "115", "AccessToken": "fake-access-token"}
        async with aiohttp.ClientSession() as session:
            url = yarl.URL(f"{fake.url}/SalesInvoices/?limit=5&filter=id+gt+25", encoded=True)
            async with session.get(url, headers=headers) as response:
                assert response.status == 400  # "id+gt+25" is no filter
            url = yarl.URL(f"{fake.url}/SalesInvoices/?limit=5&filter=id%20gt%2025", encoded=True)
            async with session.get(url, headers=headers) as response:
                assert response.status == 200
            url = yarl.URL(f"{fake.url}/SalesInvoices/?limit=%zz", encoded=True)
            async with session.get(url, headers=headers) as response:
                assert response.status == 400
        assert [r.query.get("filter") for r in fake.requests] == ["id+gt+25", "id gt 25", None]
        assert fake.requests[1].raw_query == "limit=5&filter=id%20gt%2025"


# -- the client's query strings, as they reach a server that only percent-decodes --------------

# every ``columns`` example of the vendor pages (shared/api-docs), publishing artefacts undone
VENDOR_COLUMNS = [
    "purchaseinvoice_id=208,amount=100.05",
    "company_id=1,address_id=328892,date='2017-04-20'",
    "company_id=1,address_id=328892,date='2017-04-20',basis1=100",
    "company_id=1,address_id=328892,date='2017-04-20',amountexclvat_total=100,vatamount_total=21",
    "basis1=110",
    "amountexclvat_total=110,vatamount_total=23.1",
    "paymentnotification='000/0005/13490',expirationdate='2017-04-21',commercialdiscount=5,"
    "cashdiscount=3,basis1=150.55,cashdiscount_amount=4.8,cashdiscount_approved=True,paid=True",
]
_PUBLISHING = str.maketrans({"\u2013": "-", "\u2019": "'", "\u2018": "'"})


def test_the_columns_examples_are_the_vendor_pages() -> None:
    here = Path(__file__).resolve()
    docs = next(
        (p / "shared" / "api-docs" for p in here.parents if (p / "shared" / "api-docs").is_dir()),
        None,
    )
    if docs is None:
        pytest.skip("the vendor pages are not beside this checkout")
    found = [
        line.split("ParameterValue: ", 1)[1].strip().translate(_PUBLISHING)
        for page in sorted(docs.glob("*.txt"))
        for line in page.read_text(encoding="utf-8").splitlines()
        if line.startswith("ParameterName: columns, ParameterValue: ")
    ]
    assert found == VENDOR_COLUMNS


@pytest.mark.parametrize("columns", VENDOR_COLUMNS)
async def test_columns_reach_the_server_exactly(columns: str) -> None:
    async with FakeBouwsoft(sales_invoices=10, strict=True) as fake:
        transport = AiohttpTransport()
        try:
            await transport.send(
                Request(
                    method="POST",
                    url=f"{fake.url}/PurchaseInvoices",
                    params={"columns": columns},
                    headers={"Clientnr": "115", "AccessToken": "fake-access-token"},
                )
            )
        finally:
            await transport.aclose()
        (seen,) = fake.requests
    assert "+" not in seen.raw_query
    assert seen.raw_query.startswith("columns=")
    assert unquote(seen.raw_query.removeprefix("columns=")) == columns
    assert seen.query == {"columns": columns}


async def test_filters_go_out_with_percent_20() -> None:
    async with FakeBouwsoft(sales_invoices=30, strict=True) as fake, fake.client() as client:
        with pytest.raises(BadRequestError):  # the fake has no order_id: only the wire counts
            await client.sales_invoices.count(filter="order_id eq 67")
        assert "filter=order_id%20eq%2067" in fake.requests[-1].raw_query.split("&")
        assert await client.sales_invoices.count(filter="concerning ne 'a+b c'") == 30
        assert "filter=concerning%20ne%20%27a%2Bb%20c%27" in fake.requests[-1].raw_query
        assert fake.requests[-1].query["filter"] == "concerning ne 'a+b c'"
        before = len(fake.requests)
        pages = client.sales_invoices.pages(page_size=5)
        first = await anext(pages)
        await pages.aclose()
        assert [r.id for r in first.records][:1] == [24]
        assert fake.requests[before].raw_query == "limit=5&sort=id"
        ids = [invoice.id async for invoice in client.sales_invoices.list(page_size=7)]
        assert len(ids) == 30  # every page after the first narrows with "id gt N": read right
        assert all("+" not in r.raw_query for r in fake.requests)


async def test_rambase_dollar_parameters_are_percent_encoded() -> None:
    async with FakeRamBase(db="ACME NO+1", strict=True) as fake, fake.client() as rb:
        item = await rb.payments.add_item(100123, total_amount=Decimal("1"))
        assert item.payment_item_id == 1
    posts = [r for r in fake.requests if "/items" in r.path]
    assert posts[0].raw_query == "$format=json&$db=ACME%20NO%2B1"


def test_encode_query_is_rfc_3986() -> None:
    assert encode_query({"filter": "order_id eq 67"}) == "filter=order_id%20eq%2067"
    assert encode_query({"limit": "5", "sort": "id"}) == "limit=5&sort=id"
    assert encode_query({"x": "a+b c'(d)é~_.-"}) == "x=a%2Bb%20c%27%28d%29%C3%A9~_.-"
    assert encode_query({"$db": "A B"}) == "$db=A%20B"


def test_text_that_is_not_unicode_is_refused_not_changed() -> None:
    with pytest.raises(ValidationError, match="filter"):
        encode_query({"filter": "externalcode eq 'bank-\udc801'"})


async def test_a_filter_before_the_year_1000_and_a_blank_filter_mean_what_they_say() -> None:
    # since= before the year 1000 was sent "'998-12-31 ...'", which sorts after "'2019-..." as
    # text: every record missed; a blank filter went out as is on the first page (a 400) though
    # the narrowed pages read it as no filter
    async with FakeBouwsoft(sales_invoices=30, strict=True) as fake, fake.client() as client:
        assert len([r async for r in client.sales_invoices.list(since=datetime(999, 1, 1))]) == 30
        assert await client.sales_invoices.count(since=datetime(999, 1, 1)) == 30
        assert "%270998-12-31%2023%3A59%3A59%27" in fake.requests[-1].raw_query
        assert len([r async for r in client.sales_invoices.list(filter="  ", page_size=7)]) == 30
        assert await client.sales_invoices.count(filter=" ") == 30
        assert "filter" not in fake.requests[-1].query


@pytest.mark.parametrize("op", ["gt", "ge", "lt", "le"])
async def test_a_timestamp_with_a_fraction_filters_as_it_reads(op: str) -> None:
    # over HTTP, against the fake's own reading of the filter: the stamps have whole seconds,
    # so comparing them with T + 0.5 s must select exactly what the comparison says
    async with FakeBouwsoft(sales_invoices=200) as fake, fake.client() as client:
        stamps = {
            i: datetime.fromisoformat(invoice_dict(i)["ts_lastupdate"]) for i in fake.invoice_ids
        }
        moment = sorted(stamps.values())[100].replace(microsecond=500000)
        compare = {"gt": "__gt__", "ge": "__ge__", "lt": "__lt__", "le": "__le__"}[op]
        expected = sorted(i for i, stamp in stamps.items() if getattr(stamp, compare)(moment))
        walked = [
            invoice.id
            async for invoice in client.sales_invoices.list(
                filter=condition("ts_lastupdate", op, moment)
            )
        ]
    assert 0 < len(expected) < 200
    assert walked == expected


class Account(int, enum.Enum):  # a user's table of ids: str() of a member is its name
    BANK = 7


class Percent(float, enum.Enum):
    HALF = 0.5


async def test_an_int_enum_goes_out_as_its_number(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    # str(Account.BANK) is 'Account.BANK': it went out as paymentaccount_id=Account.BANK (a 400
    # after sending) and in a filter as "paymentaccount_id eq Account.BANK"; a float Enum in a
    # filter raised decimal.InvalidOperation
    invoice = await client.purchase_invoices.create(company_id=1)
    payment = await client.payments.create(
        purchaseinvoice_id=invoice.id, paymentaccount_id=Account.BANK, amount=Account.BANK
    )
    assert unquote(fake.requests[-1].raw_query) == (
        f"columns=purchaseinvoice_id={invoice.id},paymentaccount_id=7,amount=7"
    )
    assert fake.payments[payment.id]["paymentaccount_id"] == 7
    assert payment.amount == Decimal(7)
    await client.payments.update(payment.id, paymentaccount_id=Account.BANK)
    assert unquote(fake.requests[-1].raw_query) == "columns=paymentaccount_id=7"
    bank = condition("paymentaccount_id", "eq", Account.BANK)
    assert [p.id async for p in client.payments.list(filter=bank)] == [payment.id]
    assert fake.requests[-1].query["filter"] == "paymentaccount_id eq 7"
    assert condition("amount", "gt", Percent.HALF) == "amount gt 0.5"


class Invoice(int, enum.Enum):
    SCAFFOLDING = 884  # the fake's first purchase invoice


async def test_an_int_enum_id_names_its_record(client: BouwsoftClient, fake: FakeBouwsoft) -> None:
    # the path was /PurchaseInvoices/Invoice.SCAFFOLDING: get, update and upload raised
    # NotFoundError, and delete() answered False ("already gone") while the invoice stayed
    invoice = await client.purchase_invoices.create(company_id=1)
    assert invoice.id == Invoice.SCAFFOLDING
    assert (await client.purchase_invoices.get(Invoice.SCAFFOLDING)).id == invoice.id
    await client.purchase_invoices.update(Invoice.SCAFFOLDING, nr=5)
    await client.purchase_invoices.upload(Invoice.SCAFFOLDING, b"x", filename="a.pdf")
    assert await client.purchase_invoices.delete(Invoice.SCAFFOLDING) is True
    assert [r.path for r in fake.requests[-4:]] == [
        "/api/v1/PurchaseInvoices/884",
        "/api/v1/PurchaseInvoices/884",
        "/api/v1/PurchaseInvoices/884/Upload",
        "/api/v1/PurchaseInvoices/884",
    ]
    assert fake.purchase_invoices == {}


class Payment(int, enum.Enum):
    ACME = 100123  # FakeRamBase's payment


async def test_an_int_enum_payment_id_names_its_payment_in_rambase() -> None:
    async with FakeRamBase() as fake, fake.client() as rb:
        item = await rb.payments.add_item(Payment.ACME, total_amount=Decimal(1))
    assert item.payment_item_id == 1
    assert [r.path for r in fake.requests][-1] == "/finance/payments/100123/items"


async def test_a_date_field_is_compared_with_a_date_not_a_timestamp(
    client: BouwsoftClient,
) -> None:
    # datetime is a date subclass: condition("date", "eq", <a datetime at midnight>) was written
    # as the timestamp '2012-03-08 00:00:00', which the server compared with the date's text: no
    # invoice of that day matched (and "ge" left the day out), without a word
    invoices = [invoice async for invoice in client.sales_invoices.list()]
    day, stamp = invoices[3].date, invoices[3].ts_lastupdate
    assert day is not None
    on_day = condition("date", "eq", day)
    assert [i.id async for i in client.sales_invoices.list(filter=on_day)] == [
        i.id for i in invoices if i.date == day
    ]
    for field in ("date", "expirationdate", "approved_date", "cashdiscount_expirationdate"):
        with pytest.raises(ValidationError, match=r"datetime\.date") as info:
            condition(field, "eq", datetime.combine(day, time()))
        assert info.value.field == field
    # a timestamp field takes a datetime, as before
    at_stamp = condition("ts_lastupdate", "eq", stamp)
    assert [i.id async for i in client.sales_invoices.list(filter=at_stamp)] == [
        i.id for i in invoices if i.ts_lastupdate == stamp
    ]
    assert condition("einvoice_sent_ts", "gt", stamp).startswith("einvoice_sent_ts gt '")


async def test_a_timestamp_field_is_not_compared_equal_to_a_day(client: BouwsoftClient) -> None:
    # condition("ts_lastupdate", "eq", <a date>) went out as "ts_lastupdate eq '2019-01-03'",
    # which no stamp equals: "what changed that day" answered nothing, without a word
    invoices = [invoice async for invoice in client.sales_invoices.list()]
    day = invoices[3].ts_lastupdate.date()
    assert [i async for i in client.sales_invoices.list(filter=f"ts_lastupdate eq '{day}'")] == []
    for field, op in [("ts_lastupdate", "eq"), ("ts_lastupdate", "ne"), ("einvoice_sent_ts", "eq")]:
        with pytest.raises(ValidationError, match="no day equals") as info:
            condition(field, op, day)
        assert info.value.field == field
    # an order against a day is still written (and a date field compared with a day, as before)
    assert condition("ts_lastupdate", "gt", day) == f"ts_lastupdate gt '{day}'"
    assert condition("date", "eq", day) == f"date eq '{day}'"
