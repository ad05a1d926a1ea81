"""The write path over real HTTP against FakeBouwsoft."""

from __future__ import annotations

import base64
import hashlib
import io
import random
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

from bouwsoft_async import (
    BadRequestError,
    BouwsoftClient,
    NotFoundError,
    Payment,
    PurchaseInvoice,
    ServerError,
    ValidationError,
    WriteOutcomeUnknown,
)
from bouwsoft_async._fields import PAYMENT_FIELDS, PURCHASE_INVOICE_FIELDS
from bouwsoft_async._types import Wire
from bouwsoft_async.testing import FakeBouwsoft


async def new_invoice(client: BouwsoftClient) -> PurchaseInvoice:
    return await client.purchase_invoices.create(
        company_id=1, address_id=328892, date=date(2017, 4, 20)
    )


async def test_create_update_upload_and_pay(client: BouwsoftClient, fake: FakeBouwsoft) -> None:
    invoice = await new_invoice(client)
    assert invoice.id == 884
    assert invoice.nr == 202000122
    assert invoice.date == date(2017, 4, 20)
    assert invoice.expirationdate == date(2017, 5, 20)
    assert invoice.amountinclvat_total == Decimal(0)
    assert fake.requests_to("POST", "/PurchaseInvoices")[0].query == {
        "columns": "company_id=1,address_id=328892,date='2017-04-20'"
    }

    changes = await client.purchase_invoices.update(invoice.id, basis1=Decimal("110"))
    assert changes.id == invoice.id
    assert changes.fields["vatamount1"] == Decimal("23.1")
    assert str(changes.fields["vatamount1"]) == "23.1"
    assert changes.fields["amountinclvat_total"] == Decimal("133.1")
    assert changes.fields["amountoutstanding"] == Decimal("133.1")
    assert "company_id" not in changes.fields  # only what changed
    updated = changes.apply_to(invoice)
    assert updated.basis1 == Decimal("110")
    assert updated.vatamount1 == Decimal("23.1")
    # the strict fake answers a PUT without ts_lastupdate, as the older vendor pages show
    assert updated.ts_lastupdate == (changes.ts_lastupdate or invoice.ts_lastupdate)
    assert updated.company_id == invoice.company_id
    assert invoice.basis1 == Decimal(0)  # the original is untouched
    fetched = await client.purchase_invoices.get(invoice.id)
    assert fetched == attrs.evolve(updated, ts_lastupdate=fetched.ts_lastupdate)

    uploaded = await client.purchase_invoices.upload(
        invoice.id, b"%PDF-1.7 scan", filename="scan.pdf"
    )
    assert uploaded.name == "scan.pdf"
    assert uploaded.size == len(b"%PDF-1.7 scan")
    assert uploaded.checksum == base64.b64encode(hashlib.sha256(b"%PDF-1.7 scan").digest()).decode()
    assert uploaded.is_downloadable is True
    assert fake.uploads[invoice.id][0]["content"] == b"%PDF-1.7 scan"

    payment = await client.payments.create(purchaseinvoice_id=invoice.id, amount=Decimal("100.05"))
    assert payment.amount == Decimal("100.05")
    assert payment.purchaseinvoice_nr == invoice.nr
    paid = await client.purchase_invoices.get(invoice.id)
    assert paid.amountpaid == Decimal("100.05")
    assert paid.amountoutstanding == Decimal("33.05")
    assert paid.paid is False
    await client.payments.create(purchaseinvoice_id=invoice.id, amount=Decimal("33.05"))
    assert (await client.purchase_invoices.get(invoice.id)).paid is True


async def test_the_vendors_discount_example(client: BouwsoftClient) -> None:
    invoice = await new_invoice(client)
    changes = await client.purchase_invoices.update(
        invoice.id,
        paymentnotification="000/0005/13490",
        expirationdate=date(2017, 4, 21),
        commercialdiscount=5,
        cashdiscount=3,
        basis1=Decimal("150.55"),
        cashdiscount_amount=Decimal("4.8"),
        cashdiscount_approved=True,
        paid=True,
    )
    assert changes.fields["amountexclvat1"] == Decimal("143.02")
    assert changes.fields["taxableamount1"] == Decimal("138.22")
    assert changes.fields["vatamount1"] == Decimal("29.03")
    assert changes.fields["amountinclvat1"] == Decimal("172.05")
    assert changes.fields["amountexclvat_total"] == Decimal("150.55")
    assert changes.fields["amountpaid"] == Decimal("167.25")
    assert changes.fields["expirationdate"] == date(2017, 4, 21)


async def test_totals_without_breakdown(client: BouwsoftClient) -> None:
    invoice = await new_invoice(client)
    changes = await client.purchase_invoices.update(
        invoice.id, amountexclvat_total=110, vatamount_total=Decimal("23.1")
    )
    assert changes.fields["amountinclvat_total"] == Decimal("133.1")


async def test_upload_from_a_path_and_a_file_object_and_replace(
    client: BouwsoftClient, fake: FakeBouwsoft, tmp_path: Path
) -> None:
    invoice = await new_invoice(client)
    pdf = tmp_path / "factuur 2017-04.pdf"
    pdf.write_bytes(b"%PDF" + bytes(range(256)) * 40)
    from_path = await client.purchase_invoices.upload(invoice.id, pdf)
    assert from_path.name == "factuur 2017-04.pdf"
    assert from_path.size == pdf.stat().st_size
    with pdf.open("rb") as handle:
        from_file = await client.purchase_invoices.upload(invoice.id, handle)
    assert from_file.checksum == from_path.checksum
    assert len(fake.uploads[invoice.id]) == 2
    replaced = await client.purchase_invoices.replace_upload(
        invoice.id, io.BytesIO(b"new"), filename="tptypeput.txt"
    )
    assert replaced.size == 3
    assert [f["name"] for f in fake.uploads[invoice.id]] == ["tptypeput.txt"]
    with pytest.raises(NotFoundError):
        await client.purchase_invoices.upload(999_999, b"x", filename="x.txt")


async def test_payments_read_back(client: BouwsoftClient) -> None:
    invoice = await new_invoice(client)
    created = [
        await client.payments.create(
            purchaseinvoice_id=invoice.id, amount=Decimal(n), externalcode=f"bank-{n}"
        )
        for n in range(1, 8)
    ]
    assert await client.payments.count() == 7
    assert await client.payments.get(created[2].id) == created[2]
    walked = [p async for p in client.payments.list(page_size=3)]
    assert walked == created
    big = [p.amount async for p in client.payments.list(filter="amount gt 4")]
    assert big == [Decimal(5), Decimal(6), Decimal(7)]
    found = await client.payments.find_by_externalcode("bank-4")
    assert found == created[3]
    assert await client.payments.find_by_externalcode("nope") is None


async def test_idempotent_payment_across_a_dropped_connection_exists_once(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    invoice = await new_invoice(client)
    fake.drop_connection_after_write(path_contains="/Payments")
    payment = await client.payments.create(
        purchaseinvoice_id=invoice.id, amount=Decimal("100.05"),
        externalcode="sync-7f3a", idempotent=True,
    )  # fmt: skip
    assert [p["externalcode"] for p in fake.payments.values()] == ["sync-7f3a"]
    assert payment.externalcode == "sync-7f3a"
    assert payment.id == next(iter(fake.payments))
    assert len(fake.requests_to("POST", "/Payments")) == 1
    assert (await client.purchase_invoices.get(invoice.id)).amountpaid == Decimal("100.05")


async def test_idempotent_payment_is_sent_again_when_it_did_not_land(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    invoice = await new_invoice(client)
    # the connection drops before the fake applies anything
    fake.add_fault(status=None, method="POST", path_contains="/Payments")
    payment = await client.payments.create(
        purchaseinvoice_id=invoice.id, amount=Decimal("5"), externalcode="sync-2", idempotent=True
    )
    assert len(fake.payments) == 1
    assert len(fake.requests_to("POST", "/Payments")) == 2
    assert payment.amount == Decimal(5)


async def test_plain_post_across_a_dropped_connection_is_unknown_and_sent_once(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    invoice = await new_invoice(client)
    fake.drop_connection_after_write(path_contains="/Payments")
    with pytest.raises(WriteOutcomeUnknown) as info:
        await client.payments.create(purchaseinvoice_id=invoice.id, amount=Decimal("9.99"))
    assert dict(info.value.sent) == {"purchaseinvoice_id": invoice.id, "amount": Decimal("9.99")}
    assert len(fake.requests_to("POST", "/Payments")) == 1
    assert len(fake.payments) == 1  # it did land; the caller is told it can't know


async def test_post_after_503_is_sent_again_and_lands_once(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    fake.add_fault(status=503, method="POST", path_contains="/PurchaseInvoices")
    invoice = await new_invoice(client)
    assert len(fake.purchase_invoices) == 1
    assert invoice.id in fake.purchase_invoices


async def test_put_across_a_dropped_connection_is_retried(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    invoice = await new_invoice(client)
    fake.drop_connection_after_write(method="PUT", path_contains="/PurchaseInvoices")
    changes = await client.purchase_invoices.update(invoice.id, basis1=Decimal("110"))
    assert len(fake.requests_to("PUT", "/PurchaseInvoices")) == 2
    # the second PUT changed nothing new but the timestamp: the answer says so honestly
    assert "vatamount1" not in changes.fields
    assert (await client.purchase_invoices.get(invoice.id)).vatamount1 == Decimal("23.1")


async def test_error_statuses_map_with_the_servers_message(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    with pytest.raises(BadRequestError, match="no such purchase invoice") as info:
        await client.payments.create(purchaseinvoice_id=424242, amount=Decimal(1))
    assert info.value.status == 400
    with pytest.raises(NotFoundError):
        await client.purchase_invoices.update(424242, basis1=Decimal(1))
    fake.add_fault(status=500, body=b"<html><b>Internal</b> error</html>", method="POST")
    with pytest.raises(ServerError, match="Internal") as server_error:
        await new_invoice(client)
    assert server_error.value.status == 500
    assert len(fake.purchase_invoices) == 0
    assert len(fake.requests_to("POST", "/PurchaseInvoices")) == 1


async def test_invalid_writes_send_nothing(client: BouwsoftClient, fake: FakeBouwsoft) -> None:
    before = len(fake.requests)
    with pytest.raises(ValidationError, match="bic"):
        await client.payments.create(amount=Decimal(1), bic="ABCDEFGHIJKL")
    with pytest.raises(ValidationError, match="not writeable"):
        await client.purchase_invoices.update(884, amountinclvat_total=Decimal(1))
    with pytest.raises(ValidationError, match="floats are refused"):
        await client.purchase_invoices.create(basis1=12.5)
    assert len(fake.requests) == before


@pytest.mark.parametrize(
    ("field", "value", "held"),
    [
        ("vatpercent1", Decimal("21.000000000000000001"), "as 21.0"),
        ("commercialdiscount", Decimal("0.12345678901234567890"), "as 0.12345678901234568"),
        ("depreciation", 2**53 + 1, "as 9007199254740992.0"),
        ("cashdiscount", Decimal("1E+400"), "as inf"),
        ("vatpercent2", 10**400, "as inf"),
        ("vatpercent3", Decimal("0.30000000000000004"), "15 decimals"),
        ("vatpercent4", Decimal("1E-16"), "15 decimals"),
    ],
    ids=lambda value: str(value)[:30],
)
async def test_a_rate_the_server_cannot_give_back_is_refused_not_rounded(
    client: BouwsoftClient, fake: FakeBouwsoft, field: str, value: Decimal | int, held: str
) -> None:
    # a tpDouble is a binary float the server prints with 15 decimals: 21.000000000000000001
    # was sent, stored as 21.0 and read back as 21.0 without a word; 10**400 was sent and the
    # server could not store or print it at all
    invoice = await new_invoice(client)
    before = len(fake.requests)
    with pytest.raises(ValidationError, match="binary float") as info:
        await client.purchase_invoices.update(invoice.id, **{field: value})
    assert info.value.field == field
    assert held in str(info.value)
    with pytest.raises(ValidationError, match="binary float"):
        await client.purchase_invoices.create(**{field: value})
    assert len(fake.requests) == before


@pytest.mark.parametrize(
    "value",
    [Decimal("21.5000"), Decimal("0.1"), Decimal("12.000000000000002"), 2**53, 10**30,
     Decimal("-1E-15"), Decimal("-0"), -6],
    ids=str,
)  # fmt: skip
async def test_a_rate_the_server_gives_back_is_sent_and_read_back_as_given(
    client: BouwsoftClient, fake: FakeBouwsoft, value: Decimal | int
) -> None:
    invoice = await new_invoice(client)
    changes = await client.purchase_invoices.update(invoice.id, depreciation=value)
    assert changes.fields["depreciation"] == value
    assert changes.apply_to(invoice).depreciation == value
    assert (await client.purchase_invoices.get(invoice.id)).depreciation == value


async def test_a_length_counts_as_the_server_counts(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    # a Length counts UTF-16 code units, as a Delphi string or an nvarchar does: an emoji is 2.
    # 126 emoji (126 characters in Python, 252 units) went out as an externalcode of at most
    # 250, for the server to refuse or cut: a cut key is never found again by its look-up
    key = "\U0001f4b6" * 125  # 250 units: the most the field takes
    before = len(fake.requests)
    for too_long in (key + "k", "\U0001f4b6" * 126):
        with pytest.raises(ValidationError, match="at most 250 characters, got 25") as info:
            await client.payments.create(amount=Decimal(1), externalcode=too_long, idempotent=True)
        assert info.value.field == "externalcode"
    with pytest.raises(ValidationError, match="bic is at most 11"):
        await client.payments.create(amount=Decimal(1), bic="BE\U0001f4b6" * 3)
    with pytest.raises(ValidationError, match="address_countrycode"):
        # the flag of Belgium: 2 characters in Python, 4 units, in a field of 2
        await client.purchase_invoices.create(address_countrycode="\U0001f1e7\U0001f1ea")
    assert len(fake.requests) == before
    payment = await client.payments.create(amount=Decimal(1), externalcode=key, idempotent=True)
    assert fake.payments[payment.id]["externalcode"] == payment.externalcode == key
    again = await client.payments.create(amount=Decimal(1), externalcode=key, idempotent=True)
    assert again.id == payment.id
    invoice = await client.purchase_invoices.create(concerning="\u00e9" * 250)
    assert invoice.concerning == "\u00e9" * 250  # two bytes in UTF-8, one unit in UTF-16


async def test_the_fakes_stamps_follow_its_clock() -> None:
    # a test that freezes the fake's clock sees its writes stamped at that moment, so a
    # ``since=`` walk over them is predictable
    frozen = datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC)
    local = frozen.astimezone().replace(tzinfo=None)
    async with FakeBouwsoft(clock=lambda: frozen) as fake, fake.client() as client:
        invoice = await new_invoice(client)
        payment = await client.payments.create(purchaseinvoice_id=invoice.id, amount=Decimal(1))
        uploaded = await client.purchase_invoices.upload(invoice.id, b"x", filename="a.pdf")
        changed = await client.payments.update(payment.id, amount=Decimal(2))
        stored = await client.payments.get(payment.id)
    assert invoice.ts_lastupdate == payment.ts_lastupdate == stored.ts_lastupdate == local
    assert changed.id == payment.id
    assert uploaded.server_modified == uploaded.client_modified == frozen


# -- a seeded property test of the columns encoding: what the fake stores is what was given ----

_MONEY_EDGES = [
    "0", "-0", "-0.00", "0.0000", "0.0001", "-0.0001", "1.5", "100.05", "-1105.69", "1.50000",
    "1E+2", "12345E-4", "99999999999.9999", "922337203685477.5807", "-922337203685477.5808",
]  # fmt: skip
_MONEY_OUTSIDE = [
    "922337203685477.5808", "-922337203685477.5809", "1E+15", "0.00001", "1.00005",
    "1.00000000000000000000000000001", "Infinity", "NaN",
]  # fmt: skip
_TEXT_BITS = [
    " ", ",", "=", "'", "''", '"', "+", "%", "%20", "&", "#", "é", "ß", "\U0001f600", "a", "Z",
    "0", "O'Brien", "a=b,c='d'", "\\", "/", "?", ";", "|",
]  # fmt: skip
_SEED, _ROUNDS = 4, 200
_TPLONG_EDGES = [0, 1, -1, 2**31 - 1, -(2**31), 2**31 - 2, -(2**31) + 1]


def _money(rng: random.Random) -> Decimal:
    if rng.random() < 0.3:
        return Decimal(rng.choice(_MONEY_EDGES))
    whole = rng.choice([0, 1, 9, 10 ** rng.randint(1, 14), rng.randint(0, 922337203685477)])
    decimals = rng.randint(0, 4)
    frac = "".join(rng.choice("0123456789") for _ in range(decimals))
    sign = rng.choice(["", "-"])
    return Decimal(f"{sign}{whole}.{frac}" if frac else f"{sign}{whole}")


def _rate(rng: random.Random) -> Decimal | int:
    if rng.random() < 0.2:
        return rng.choice([0, 21, -6, 100])
    decimals = rng.randint(0, 4)
    return Decimal(rng.randint(-999999, 999999)).scaleb(-decimals)


def _units(text: str) -> int:
    """The length the server counts: UTF-16 code units (an emoji is 2)."""
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, limit: int) -> str:
    while _units(text) > limit:
        text = text[:-1]
    return text


def _text(rng: random.Random, length: int) -> str:
    limit = length or 300
    shape = rng.random()
    if shape < 0.1:
        return ""
    if shape < 0.25:  # exactly the limit, of quotes, commas and multi-byte characters
        text = _cut("".join(rng.choice(_TEXT_BITS)[0] for _ in range(limit)), limit)
        return text + "x" * (limit - _units(text))
    text = "".join(rng.choice(_TEXT_BITS) for _ in range(rng.randint(1, 8)))
    if rng.random() < 0.3:
        text = f"  {text} "
    return _cut(text[:limit], limit)


def _value(rng: random.Random, wire: Wire) -> Any:
    kind = wire.kind
    if kind == "tpCurrency":
        return _money(rng)
    if kind == "tpDouble":
        return _rate(rng)
    if kind == "tpLong":
        return rng.choice(_TPLONG_EDGES) if rng.random() < 0.5 else rng.randint(-1000, 10**6)
    if kind == "tpBool":
        return rng.random() < 0.5
    if kind == "tpDate":
        return date(rng.randint(1900, 2099), rng.randint(1, 12), rng.randint(1, 28))
    assert kind == "tpString", kind
    return _text(rng, wire.length)


def _invalid(rng: random.Random, table: Mapping[str, Wire], names: list[str]) -> dict[str, Any]:
    """One field that the client must refuse before sending anything."""
    name = rng.choice(names)
    wire = table[name]
    bad: list[Any] = [None, 1.5]
    if wire.kind == "tpCurrency":
        bad += [Decimal(v) for v in _MONEY_OUTSIDE]
    elif wire.kind == "tpLong":
        bad += [2**31, -(2**31) - 1, True, Decimal(1)]
    elif wire.kind == "tpString" and wire.length:
        bad += ["x" * (wire.length + 1), "é" * (wire.length + 1), "'" * (wire.length + 1)]
    elif wire.kind == "tpString":
        bad += ["a\nb", "\udc80"]
    elif wire.kind == "tpDate":
        bad += ["2017-04-20", datetime(2017, 4, 20, tzinfo=UTC)]
    elif wire.kind == "tpBool":
        bad += [1, "True"]
    return {name: rng.choice(bad)}


def _assert_exact(name: str, given: Any, got: Any, where: str) -> None:
    if isinstance(given, bool):
        assert got is given, (where, name, given, got)
    elif isinstance(given, (int, Decimal)):
        assert type(got) in (int, Decimal), (where, name, given, got)  # never a float
        assert got == given, (where, name, given, got)
    elif isinstance(given, date):
        assert got in (given, given.isoformat()), (where, name, given, got)
    else:
        assert type(got) is str, (where, name, given, got)
        assert got == given, (where, name, given, got)


def _float_exact(value: Any) -> bool:
    """A value the vendor's binary-float answer can carry exactly (15 significant digits)."""
    return not isinstance(value, Decimal) or abs(value) < Decimal("1E+11")


# the fake fills these from other fields (the vendor's derived amounts and defaults)
def _derived(fields: Mapping[str, Any], record: Mapping[str, Any]) -> set[str]:
    skip = {"paid", "cashdiscount"}
    if any(record[f"basis{n}"] != 0 for n in range(1, 6)):
        skip |= {"amountexclvat_total", "vatamount_total"}
    if fields.get("address_id") and not fields.get("address_name"):
        skip |= {"address_name", "address_address", "address_zipcode"}
    return skip


async def test_columns_round_trip_edge_values(client: BouwsoftClient, fake: FakeBouwsoft) -> None:
    rng = random.Random(_SEED)
    pi_names = [n for n, w in PURCHASE_INVOICE_FIELDS.items() if w.writeable]
    pay_names = [n for n, w in PAYMENT_FIELDS.items() if w.writeable and n != "purchaseinvoice_id"]
    put_names = ["amount", "paymentaccount_id", "iban", "bic"]
    invoices: dict[int, PurchaseInvoice] = {}
    payments: dict[int, Payment] = {}
    for round_ in range(_ROUNDS):
        kind = rng.choice(["pi", "pi-put", "pay", "pay-put", "invalid"])
        if kind == "invalid" or (kind.endswith("put") and not (invoices and payments)):
            table, names = rng.choice(
                [(PURCHASE_INVOICE_FIELDS, pi_names), (PAYMENT_FIELDS, pay_names)]
            )
            fields = {n: _value(rng, table[n]) for n in rng.sample(names, 3)}
            fields.update(_invalid(rng, table, names))
            sent = len(fake.requests)
            endpoint = client.payments if table is PAYMENT_FIELDS else client.purchase_invoices
            with pytest.raises(ValidationError):
                await endpoint.create(**fields)
            assert len(fake.requests) == sent, (round_, fields)
            continue
        # the endpoint, its field table, the names drawn from and how many at most, the fake's
        # records and the models written so far
        endpoint: Any
        written: dict[int, Any]
        if kind.startswith("pi"):
            names = pi_names
            endpoint, table, most = client.purchase_invoices, PURCHASE_INVOICE_FIELDS, 12
            store, written = fake.purchase_invoices, invoices
        else:
            names = put_names if kind == "pay-put" else pay_names
            endpoint, table, most = client.payments, PAYMENT_FIELDS, 4
            store, written = fake.payments, payments
        fields = {n: _value(rng, table[n]) for n in rng.sample(names, rng.randint(1, most))}
        if kind in ("pi", "pay"):
            model = await endpoint.create(**fields)
        else:
            record_id = rng.choice(list(written))
            changes = await endpoint.update(record_id, **fields)
            model = changes.apply_to(written[record_id])
        stored = store[model.id]
        written[model.id] = model
        raw = fake.requests[-1].raw_query
        assert "+" not in raw, raw
        assert " " not in raw, raw
        skip = _derived(fields, stored) if kind.startswith("pi") else set()
        for name, given in fields.items():
            if name in skip:
                continue
            _assert_exact(name, given, stored[name], f"stored {round_}")
            if _float_exact(given):
                _assert_exact(name, given, getattr(model, name), f"model {round_}")
        for value in stored.values():
            assert not isinstance(value, float), stored
    assert len(invoices) > 5
    assert len(payments) > 5
