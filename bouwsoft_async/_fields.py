"""The field tables of the resources, the writes' typed keyword arguments, and the validation
and encoding of writes against the tables.

A resource's field table is its model (``_models``): each field's annotation carries its row of
the vendor's table (``_types.Wire``: type, length, writeable). A write is checked field by field
before anything is sent (the README's "Validation before sending").
"""

from __future__ import annotations

import datetime as _dt
import typing
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any, TypedDict

import attrs

from ._errors import ValidationError
from ._models import Payment, PurchaseInvoice, SalesInvoice
from ._protocol import MAX_CURRENCY_DECIMALS, encode_value
from ._types import FIELD_TYPES, Wire

__all__ = [
    "FIELD_TABLES",
    "PAYMENT_FIELDS",
    "PURCHASE_INVOICE_FIELDS",
    "SALES_INVOICE_FIELDS",
    "PaymentFields",
    "PaymentUpdateFields",
    "PurchaseInvoiceFields",
    "encode_write",
    "field_table",
]


def field_table(model: type) -> Mapping[str, Wire]:
    """The field table a model declares, in field order (``extra`` and unannotated fields are
    not rows). Raises TypeError when a field's Python type is not one its vendor type allows."""
    hints = typing.get_type_hints(model, include_extras=True)
    table: dict[str, Wire] = {}
    for attribute in attrs.fields(model):
        hint = hints[attribute.name]
        wires = [m for m in getattr(hint, "__metadata__", ()) if isinstance(m, Wire)]
        if wires:
            if hint.__origin__ not in FIELD_TYPES[wires[-1].kind].python:
                raise TypeError(f"{model.__name__}.{attribute.name} is not {wires[-1].kind}")
            table[attribute.name] = wires[-1]
    return MappingProxyType(table)


SALES_INVOICE_FIELDS = field_table(SalesInvoice)
PURCHASE_INVOICE_FIELDS = field_table(PurchaseInvoice)
PAYMENT_FIELDS = field_table(Payment)
# by the resource's path name, as FieldInfo and the schema check name them
FIELD_TABLES: Mapping[str, Mapping[str, Wire]] = MappingProxyType(
    {
        "SalesInvoices": SALES_INVOICE_FIELDS,
        "PurchaseInvoices": PURCHASE_INVOICE_FIELDS,
        "Payments": PAYMENT_FIELDS,
    }
)


# The keyword arguments of the writes, typed for mypy: the writeable fields of the field table,
# typed as the validation accepts them (tests/test_write_types.py checks both).
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


# tpDouble, tpPercent and tpTimeDouble are binary floats, and every float on the vendor's pages
# is printed with at most 15 decimals: a value is sent only if it comes back as it was sent
_BINARY_FLOATS = frozenset({"tpDouble", "tpPercent", "tpTimeDouble"})
_PRINTED_DECIMALS = 15


def _check_binary_float(name: str, wire: Wire, value: Any) -> None:
    held = float(Decimal(value))  # the nearest double (inf past its range)
    if held - held != 0.0 or (printed := Decimal(repr(held))) != value:
        raise ValidationError(
            f"{name} ({wire.kind}) is a binary float, which holds {value} as {held!r}",
            field=name,
        )
    if -int(printed.as_tuple().exponent) > _PRINTED_DECIMALS:
        raise ValidationError(
            f"{name} ({wire.kind}) is a binary float printed with {_PRINTED_DECIMALS} decimals, "
            f"which can't show {value}",
            field=name,
        )


def _check_type(name: str, wire: Wire, value: Any) -> None:
    if value is None:
        raise ValidationError(
            f"{name}: None can't be sent (leave the field out to keep it as it is)", field=name
        )
    rule = FIELD_TYPES[wire.kind]
    if (
        not isinstance(value, rule.accepts)
        or isinstance(value, datetime)
        or (isinstance(value, bool) and wire.kind != "tpBool")
    ):
        raise ValidationError(
            f"{name} ({wire.kind}) must be {rule.expected}, not {type(value).__name__} {value!r}",
            field=name,
        )
    if isinstance(value, str) and wire.length and len(value) > wire.length // 2:
        # ASSUMPTION (the strictest server the evidence allows): a Length counts characters as
        # a Delphi string or an SQL Server nvarchar does, in UTF-16 code units, so a character
        # past U+FFFF (an emoji) is two; counted as code points, 250 emoji would be cut or refused
        units = len(value.encode("utf-16-le", "surrogatepass")) // 2
        if units > wire.length:
            counted = "" if units == len(value) else " (a character past U+FFFF, an emoji, is 2)"
            raise ValidationError(
                f"{name} is at most {wire.length} characters, got {units}{counted}", field=name
            )
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValidationError(f"{name} must be a finite number, not {value}", field=name)
    if wire.kind in _BINARY_FLOATS:
        _check_binary_float(name, wire, value)
    if rule.bounds is not None:
        low, high, size = rule.bounds
        if not low <= value <= high:
            raise ValidationError(
                f"{name} ({wire.kind}, {size}) must be from {low} to {high}, not {value}",
                field=name,
            )


def encode_write(
    table: Mapping[str, Wire], fields: Mapping[str, Any], *, resource: str
) -> tuple[str, dict[str, Any]]:
    """Validate ``fields`` against ``table`` and encode them as the ``columns`` parameter.

    Returns the parameter text and the fields as sent (in the caller's order).
    """
    if not fields:
        raise ValidationError(f"a write to {resource} needs at least one field")
    encoded = []
    for name, value in fields.items():
        wire = table.get(name)
        if wire is None:
            raise ValidationError(f"{resource} has no field {name!r}", field=name)
        if not wire.writeable:
            raise ValidationError(
                f"{resource}.{name} is computed by the server and is not writeable", field=name
            )
        _check_type(name, wire, value)
        max_decimals = MAX_CURRENCY_DECIMALS if wire.kind == "tpCurrency" else None
        encoded.append(f"{name}={encode_value(value, field=name, max_decimals=max_decimals)}")
    return ",".join(encoded), dict(fields)
