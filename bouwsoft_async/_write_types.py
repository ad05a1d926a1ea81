"""The keyword arguments of the writes, typed for mypy: the writeable fields of the resource's
field table, typed as the validation accepts them (``tests/test_write_types.py`` checks both)."""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import TypedDict

__all__ = ["PaymentFields", "PaymentUpdateFields", "PurchaseInvoiceFields"]


class PaymentFields(TypedDict, total=False):
    """What ``payments.create`` sends (``POST /Payments``)."""

    purchaseinvoice_id: int
    salesinvoice_id: int
    address_id: int
    paymentaccount_id: int
    date: _dt.date
    amount: Decimal | int
    iban: str
    bic: str
    note: str
    docnr: str
    statementnr: str
    externalcode: str


class PaymentUpdateFields(TypedDict, total=False):
    """What ``payments.update`` may change (``PUT /Payments/{id}``)."""

    amount: Decimal | int
    paymentaccount_id: int
    iban: str
    bic: str


class PurchaseInvoiceFields(TypedDict, total=False):
    """What ``purchase_invoices.create`` and ``update`` send (POST/PUT ``/PurchaseInvoices``)."""

    company_id: int
    nr: int
    date: _dt.date
    expirationdate: _dt.date
    nr_supplier: str
    concerning: str
    paymentnotification: str
    ledger: int
    depreciation: Decimal | int
    accountnumber: str
    address_id: int
    address_name: str
    address_address: str
    address_countrycode: str
    address_zipcode: str
    address_vatnr: str
    commercialdiscount: Decimal | int
    cashdiscount: Decimal | int
    cashdiscount_amount: Decimal | int
    cashdiscount_approved: bool
    basis1: Decimal | int
    vatid1: int
    vatcode1: str
    vatpercent1: Decimal | int
    vatcocontractor1: bool
    basis2: Decimal | int
    vatid2: int
    vatcode2: str
    vatpercent2: Decimal | int
    vatcocontractor2: bool
    basis3: Decimal | int
    vatid3: int
    vatcode3: str
    vatpercent3: Decimal | int
    vatcocontractor3: bool
    basis4: Decimal | int
    vatid4: int
    vatcode4: str
    vatpercent4: Decimal | int
    vatcocontractor4: bool
    basis5: Decimal | int
    vatid5: int
    vatcode5: str
    vatpercent5: Decimal | int
    vatcocontractor5: bool
    amountexclvat_total: Decimal | int
    vatamount_total: Decimal | int
    paid: bool
