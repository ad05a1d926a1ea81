"""The write path over real HTTP against FakeBouwsoft."""

from __future__ import annotations

import base64
import hashlib
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

from bouwsoft_async import (
    BadRequestError,
    BouwsoftClient,
    NotFoundError,
    PurchaseInvoice,
    ServerError,
    ValidationError,
    WriteOutcomeUnknown,
)
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
