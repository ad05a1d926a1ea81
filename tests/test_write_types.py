"""The writes' keyword arguments are typed from the field tables (issue 13): the TypedDicts agree
with the tables, and mypy refuses a wrong field, a float amount or a mixed-in flag."""

from __future__ import annotations

import datetime
import textwrap
import typing
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from mypy import api as mypy_api

from bouwsoft_async import PaymentFields, PaymentUpdateFields, PurchaseInvoiceFields
from bouwsoft_async._fields import PAYMENT_FIELDS, PURCHASE_INVOICE_FIELDS
from bouwsoft_async._payments import UPDATE_FIELDS

# what the validation accepts for each vendor type
PYTHON_TYPE = {
    "tpLong": int,
    "tpString": str,
    "tpDate": datetime.date,
    "tpBool": bool,
    "tpCurrency": Decimal | int,
    "tpDouble": Decimal | int,
}


@pytest.mark.parametrize(
    ("typed", "table"),
    [
        (PaymentFields, PAYMENT_FIELDS),
        (PaymentUpdateFields, UPDATE_FIELDS),
        (PurchaseInvoiceFields, PURCHASE_INVOICE_FIELDS),
    ],
)
def test_the_typed_dicts_are_the_writeable_fields_of_the_tables(typed: Any, table: Any) -> None:
    hints = typing.get_type_hints(typed)
    writeable = {name: spec for name, spec in table.items() if spec.writeable}
    assert set(hints) == set(writeable)
    for name, spec in writeable.items():
        assert hints[name] == PYTHON_TYPE[spec.kind], name
    assert not typed.__required_keys__


def test_mypy_checks_the_write_arguments(tmp_path: Path) -> None:
    source = tmp_path / "use.py"
    source.write_text(
        textwrap.dedent(
            """
            from datetime import date
            from decimal import Decimal

            from bouwsoft_async import BouwsoftClient


            async def use(client: BouwsoftClient) -> None:
                await client.payments.create(purchaseinvoice_id=1, amount=Decimal("1"))
                await client.payments.create(amount=Decimal("1"), externalcode="k", idempotent=True)
                await client.purchase_invoices.create(company_id=1, date=date(2017, 4, 20))
                await client.purchase_invoices.update(1, basis1=Decimal("110"), paid=True)
                await client.payments.update(1, amount=-50, iban="BE38750608132972")
                await client.payments.create(amount=1.5)  # line 14: a float
                await client.payments.create(amont=Decimal("1"))  # line 15: no such field
                await client.payments.create(amount=Decimal(1), idempotent="yes")  # line 16
                await client.payments.update(1, note="x")  # line 17: not changeable
                await client.purchase_invoices.create(amountinclvat_total=Decimal(1))  # line 18
            """
        )
    )
    out, _, status = mypy_api.run(
        ["--strict", "--no-incremental", "--cache-dir", str(tmp_path / "cache"), str(source)]
    )
    assert status == 1, out
    flagged = sorted({int(line.split(":")[1]) for line in out.splitlines() if ": error:" in line})
    assert flagged == [14, 15, 16, 17, 18], out
