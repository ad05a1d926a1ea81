"""What the vendor has been seen to answer to writes, over real HTTP against the fake and the
strict fake (issue 12 sections 3 and 4): never an exception that hides an applied write."""

from __future__ import annotations

import json
import logging
from datetime import date
from decimal import Decimal

import attrs
import pytest

from bouwsoft_async import (
    BadRequestError,
    BouwsoftClient,
    DecodeError,
    NotFoundError,
    PurchaseInvoice,
    ServerError,
    ValidationError,
    WriteAppliedError,
)
from bouwsoft_async._convert import unstructure
from bouwsoft_async.testing import FakeBouwsoft


async def new_invoice(client: BouwsoftClient) -> PurchaseInvoice:
    return await client.purchase_invoices.create(
        company_id=1, address_id=328892, date=date(2017, 4, 20)
    )


def answer(record: dict[str, object]) -> bytes:
    return json.dumps({"RecordChanges": [record]}).encode()


async def test_a_payment_answer_in_the_older_shape_is_read(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    invoice = await new_invoice(client)
    payment = await client.payments.create(purchaseinvoice_id=invoice.id, amount=Decimal("5"))
    assert payment.amount == Decimal("5")
    # the strict fake answers "purchaseinvoice_nr": "202000122": read as the number it is
    assert payment.purchaseinvoice_nr == invoice.nr
    assert "purchaseinvoice_nr" not in payment.extra
    assert await client.payments.get(payment.id) is not None


async def test_a_put_answer_without_ts_lastupdate(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    invoice = await new_invoice(client)
    changes = await client.purchase_invoices.update(invoice.id, basis1=Decimal("110"))
    assert changes.fields["vatamount1"] == Decimal("23.1")
    updated = changes.apply_to(invoice)
    assert updated.vatamount1 == Decimal("23.1")
    if fake.strict:
        assert changes.ts_lastupdate is None
        assert updated.ts_lastupdate == invoice.ts_lastupdate
    else:
        assert updated.ts_lastupdate == changes.ts_lastupdate


async def test_the_shortest_put_answer(client: BouwsoftClient, fake: FakeBouwsoft) -> None:
    invoice = await new_invoice(client)
    fake.add_fault(status=200, body=b'{"RecordChanges":[{"id":%d}]}' % invoice.id,
                   method="PUT", after_handling=True)  # fmt: skip
    changes = await client.purchase_invoices.update(invoice.id, concerning="kort")
    assert changes.id == invoice.id
    assert changes.fields == {}
    assert changes.ts_lastupdate is None
    assert fake.purchase_invoices[invoice.id]["concerning"] == "kort"


async def test_an_unreadable_value_is_kept_raw_with_a_warning(
    client: BouwsoftClient, fake: FakeBouwsoft, caplog: pytest.LogCaptureFixture
) -> None:
    invoice = await new_invoice(client)
    record = {
        "id": 903, "purchaseinvoice_id": invoice.id, "purchaseinvoice_nr": invoice.nr,
        "salesinvoice_id": 0, "salesinvoice_type": "", "salesinvoice_nr": 0, "address_id": 0,
        "address_name": "", "paymentaccount_id": 0, "paymentaccount_nr": "",
        "paymentaccount_name": "", "date": "no date", "amount": 5.0, "paymentmethod": "",
        "paymentmethod_localized": "", "advance": False, "iban": "", "bic": "", "note": "",
        "docnr": "", "statementnr": "", "externalcode": "", "externalsource": 0,
        "ts_lastupdate": "2026-05-07 09:21:28",
    }  # fmt: skip
    fake.add_fault(status=201, body=answer(record), method="POST", path_contains="/Payments",
                   after_handling=True)  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="bouwsoft_async"):
        payment = await client.payments.create(purchaseinvoice_id=invoice.id, amount=Decimal(5))
    assert payment.id == 903
    assert payment.amount == Decimal(5)
    assert payment.date is None
    assert payment.extra["date"] == "no date"
    assert "date" in caplog.text
    assert "applied" in caplog.text
    assert len(fake.payments) == 1

    unreadable = answer({"id": invoice.id, "basis1": "lots", "concerning": "x"})
    fake.add_fault(status=200, method="PUT", after_handling=True, body=unreadable)
    changes = await client.purchase_invoices.update(invoice.id, concerning="x")
    assert changes.fields == {"concerning": "x"}
    assert changes.extra == {"basis1": "lots"}
    assert changes.apply_to(invoice).extra["basis1"] == "lots"


@pytest.mark.parametrize(
    "body",
    [b"<html>Created</html>", b"", b'{"RecordChanges": []}', b'{"RecordChanges": [{"x": 1}]}'],
)
async def test_an_answer_that_cannot_be_read_says_the_write_was_applied(
    client: BouwsoftClient, fake: FakeBouwsoft, body: bytes
) -> None:
    await client.payments.count()  # the token first
    fake.add_fault(status=201, body=body, method="POST", after_handling=True)
    with pytest.raises(WriteAppliedError, match="applied") as info:
        await client.payments.create(amount=Decimal("5"), note="n")
    assert info.value.body == body
    assert info.value.status == 201
    assert dict(info.value.sent) == {"amount": Decimal(5), "note": "n"}
    assert fake.access_token not in str(info.value)
    assert len(fake.payments) == 1
    assert len(fake.requests_to("POST", "/Payments")) == 1


async def test_an_idempotent_create_reads_an_unreadable_answer_back(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    await client.payments.count()
    fake.add_fault(status=201, body=b"<html>Created</html>", method="POST", after_handling=True)
    payment = await client.payments.create(
        amount=Decimal("5"), externalcode="sync-html", idempotent=True
    )
    assert payment.externalcode == "sync-html"
    assert len(fake.payments) == 1


async def test_apply_to_keeps_what_the_write_set_when_the_answer_leaves_it_out(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    # a PUT whose first try was applied and whose answer was lost goes again: the second answer
    # changes nothing (the id alone), yet the caller's copy must show what the write set
    invoice = await new_invoice(client)
    fake.add_fault(status=502, method="PUT", after_handling=True)
    changes = await client.purchase_invoices.update(
        invoice.id, basis1=Decimal("110"), date=date(2018, 1, 2), concerning="x"
    )
    assert len(fake.requests_to("PUT", "/PurchaseInvoices")) == 2
    assert "basis1" not in changes.fields
    assert changes.sent == {"basis1": Decimal("110"), "date": date(2018, 1, 2), "concerning": "x"}
    updated = changes.apply_to(invoice)
    assert (updated.basis1, updated.date, updated.concerning) == (
        Decimal("110"),
        date(2018, 1, 2),
        "x",
    )
    stored = await client.purchase_invoices.get(invoice.id)
    assert (stored.basis1, stored.date, stored.concerning) == (
        updated.basis1,
        updated.date,
        updated.concerning,
    )
    # typed as the record types it: an amount given as an int is a Decimal in the copy
    payment = await client.payments.create(amount=Decimal("100"))
    changes = await client.payments.update(payment.id, amount=120)
    assert type(changes.sent["amount"]) is Decimal
    assert type(changes.apply_to(payment).amount) is Decimal


async def test_apply_to_refuses_a_record_of_another_resource_with_the_same_id(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    # ids are per resource: an invoice's changes applied to the payment that shares its id gave
    # the payment the invoice's date and ts_lastupdate and its other fields in extra, silently
    invoice = await new_invoice(client)
    payment = attrs.evolve(await client.payments.create(amount=Decimal(5)), id=invoice.id)
    changes = await client.purchase_invoices.update(invoice.id, date=date(2018, 1, 2), nr=7)
    with pytest.raises(ValueError, match="PurchaseInvoice, not a Payment"):
        changes.apply_to(payment)  # type: ignore[arg-type]
    assert changes.apply_to(invoice).date == date(2018, 1, 2)


async def test_apply_to_drops_the_raw_value_a_field_now_read_replaces(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    # a create answered basis1 as "lots" (None in the field, raw in extra); an update then set
    # basis1 and its answer read as 110, yet the copy kept extra["basis1"] == "lots" beside it
    await client.purchase_invoices.count()
    stored = await new_invoice(client)
    # the next invoice's answer: as the first reads, but two values unreadable
    unreadable = {**unstructure(stored), "id": stored.id + 1, "basis1": "lots"}
    unreadable["ts_lastupdate"] = "soon"
    del unreadable["extra"]
    fake.add_fault(status=201, body=answer(unreadable), method="POST", after_handling=True)
    invoice = await new_invoice(client)
    assert invoice.id in fake.purchase_invoices
    assert (invoice.basis1, invoice.extra["basis1"]) == (None, "lots")
    assert invoice.extra["ts_lastupdate"] == "soon"
    changes = await client.purchase_invoices.update(invoice.id, basis1=Decimal("110"))
    updated = changes.apply_to(invoice)
    assert updated.basis1 == Decimal("110")
    assert "basis1" not in updated.extra
    assert ("ts_lastupdate" in updated.extra) is fake.strict  # the strict fake answers none
    unchanged = await client.purchase_invoices.update(invoice.id, concerning="x")
    assert unchanged.apply_to(updated).extra == updated.extra


async def test_get_refuses_an_answer_holding_another_record(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    # GET /Payments/<id> answered by another payment (a server or a cache in front of it
    # answering the wrong URL) was returned as the payment asked for, without a word
    wanted = await client.payments.create(amount=Decimal(5), externalcode="wanted")
    other = await client.payments.create(amount=Decimal(9), externalcode="other")
    record = unstructure(other)
    del record["extra"]
    body = json.dumps({"Content-Range": "0-0/1", "Records": [record]}).encode()
    fake.add_fault(status=200, body=body, method="GET", path_contains=f"/Payments/{wanted.id}")
    with pytest.raises(DecodeError, match=f"{other.id}") as info:
        await client.payments.get(wanted.id)
    assert str(wanted.id) in str(info.value)
    assert await client.payments.get(wanted.id) == wanted


async def test_an_update_answered_about_another_record_says_it_was_applied(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    # PUT /PurchaseInvoices/<id> answered with another invoice's id and totals was returned as
    # this invoice's changes: changes.fields["amountinclvat_total"] was the other's, silently
    invoice = await new_invoice(client)
    other = await new_invoice(client)
    foreign = answer({"id": other.id, "basis1": 999.0, "amountinclvat_total": 1208.79})
    fake.add_fault(status=200, method="PUT", after_handling=True, body=foreign)
    with pytest.raises(WriteAppliedError, match=f"about record {other.id}") as info:
        await client.purchase_invoices.update(invoice.id, basis1=Decimal("110"))
    assert info.value.body == foreign
    assert fake.purchase_invoices[invoice.id]["basis1"] == Decimal(110)  # applied
    payment = await client.payments.create(amount=Decimal(5))
    fake.add_fault(status=200, method="PUT", after_handling=True,
                   body=answer({"id": payment.id + 1, "amount": 6.0}))  # fmt: skip
    with pytest.raises(WriteAppliedError, match="applied"):
        await client.payments.update(payment.id, amount=Decimal(6))
    assert fake.payments[payment.id]["amount"] == Decimal(6)
    assert len(fake.requests_to("PUT", "/Payments")) == 1


async def test_update_a_payment(client: BouwsoftClient, fake: FakeBouwsoft) -> None:
    payment = await client.payments.create(amount=Decimal("100"), externalcode="p-1")
    changes = await client.payments.update(
        payment.id, amount=Decimal("-50"), paymentaccount_id=1, iban="BE38750608132972"
    )
    assert fake.requests_to("PUT", "/Payments")[0].query == {
        "columns": "amount=-50,paymentaccount_id=1,iban='BE38750608132972'"
    }
    assert changes.id == payment.id
    assert changes.fields["amount"] == Decimal("-50")
    assert changes.fields["paymentaccount_id"] == 1
    assert changes.ts_lastupdate is None
    updated = changes.apply_to(payment)
    assert updated.amount == Decimal("-50")
    assert updated.iban == "BE38750608132972"
    assert (await client.payments.get(payment.id)).amount == Decimal("-50")
    before = len(fake.requests)
    for wrong in ({"note": "x"}, {"externalcode": "y"}, {"paymentaccount_nr": "z"}, {}):
        with pytest.raises(ValidationError):
            await client.payments.update(payment.id, **wrong)
    assert len(fake.requests) == before


async def test_delete_a_purchase_invoice(client: BouwsoftClient, fake: FakeBouwsoft) -> None:
    invoice = await new_invoice(client)
    assert await client.purchase_invoices.delete(invoice.id) is True
    assert invoice.id not in fake.purchase_invoices
    assert await client.purchase_invoices.delete(invoice.id) is False  # already gone
    with pytest.raises(NotFoundError):
        await client.purchase_invoices.get(invoice.id)
    with pytest.raises(ValidationError):
        await client.purchase_invoices.delete(0)


async def test_a_delete_whose_answer_was_lost_is_done(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    invoice = await new_invoice(client)
    fake.drop_connection_after_write(method="DELETE", path_contains="/PurchaseInvoices")
    # the retry (aiohttp's or the client's) finds it gone: no error, and it is gone
    assert await client.purchase_invoices.delete(invoice.id) is False
    assert invoice.id not in fake.purchase_invoices
    assert len(fake.requests_to("DELETE", "/PurchaseInvoices")) == 2


async def test_a_delete_that_did_not_arrive_is_sent_again(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    invoice = await new_invoice(client)
    fake.add_fault(status=None, method="DELETE")
    assert await client.purchase_invoices.delete(invoice.id) is True
    assert invoice.id not in fake.purchase_invoices


VENDOR_ERROR = (
    b'{"RecordChanges":[{"Code":400,"Description":"Could not create a new record",'
    b'"Message":"Bad Request",'
    b'"RequestId":"115-1d64fa85-2d7e-4f9d-a397-10ed1dc09df7-250212-142620"}]}'
)


@pytest.mark.parametrize("status", [200, 201, 400])
async def test_the_vendors_error_record_is_an_error_whatever_the_status(
    client: BouwsoftClient, fake: FakeBouwsoft, status: int
) -> None:
    await client.payments.count()
    fake.add_fault(status=status, body=VENDOR_ERROR, method="POST")
    with pytest.raises(BadRequestError) as info:
        await client.purchase_invoices.create(company_id=1)
    assert info.value.status == 400
    assert info.value.message == "Could not create a new record"
    assert info.value.request_id == "115-1d64fa85-2d7e-4f9d-a397-10ed1dc09df7-250212-142620"
    assert fake.purchase_invoices == {}


async def test_an_error_record_in_a_put_answer(client: BouwsoftClient, fake: FakeBouwsoft) -> None:
    invoice = await new_invoice(client)
    fake.add_fault(status=200, method="PUT",
                   body=b'{"RecordChanges":[{"Code":500,"Description":"Locked"}]}')  # fmt: skip
    with pytest.raises(ServerError, match="Locked") as info:
        await client.purchase_invoices.update(invoice.id, concerning="x")
    assert info.value.status == 500


async def test_the_raw_answer_of_an_applied_write_carries_no_secret() -> None:
    secret = "s3cret+XYZ/1="
    echo = b"<p>applied for s3cret+XYZ/1= (s3cret%2BXYZ%2F1%3D)</p>"
    async with (
        FakeBouwsoft(sales_invoices=1, refresh_token=secret) as fake,
        fake.client() as client,
    ):
        await client.payments.count()
        fake.add_fault(status=201, body=echo, method="POST", after_handling=True)
        with pytest.raises(WriteAppliedError) as info:
            await client.payments.create(amount=Decimal(1))
    assert b"s3cret" not in info.value.body
    assert info.value.body.startswith(b"<p>applied for ***")
    assert "s3cret" not in str(info.value)


async def test_a_huge_amount_in_an_applied_put_answer_is_read_exactly(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    # issue 9 item 10: 1e30 raised InvalidOperation after the server had applied the write
    invoice = await new_invoice(client)
    fake.add_fault(status=200, method="PUT", after_handling=True,
                   body=answer({"id": invoice.id, "basis1": 1e30}))  # fmt: skip
    changes = await client.purchase_invoices.update(invoice.id, basis1=Decimal("110"))
    assert changes.fields["basis1"] == Decimal(10**30)


@pytest.mark.parametrize(
    "fields",
    [{"ledger": 2**31}, {"basis1": Decimal("922337203685477.5808")}, {"basis1": 10**15}],
)
async def test_out_of_range_numbers_are_refused_and_nothing_is_sent(
    client: BouwsoftClient, fake: FakeBouwsoft, fields: dict[str, object]
) -> None:
    invoice = await new_invoice(client)
    before = len(fake.requests)
    with pytest.raises(ValidationError):
        await client.purchase_invoices.update(invoice.id, **fields)
    assert len(fake.requests) == before
