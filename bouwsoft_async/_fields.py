"""The field tables of the resources, and the validation and encoding of writes against them.

A resource's field table is its model (``_models``): each field's annotation carries its row of
the vendor's table (``_types.Wire``: type, length, writeable). A write is checked field by field
against its table before anything is sent: unknown field, read-only field, wrong type, text too
long, a number out of the vendor type's range, money with more than 4 decimals all raise
ValidationError.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

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
    if isinstance(value, str) and wire.length and len(value) > wire.length:
        raise ValidationError(
            f"{name} is at most {wire.length} characters, got {len(value)}", field=name
        )
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValidationError(f"{name} must be a finite number, not {value}", field=name)
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
