"""The field tables of the resources, and the validation and encoding of writes against them.

A resource's field table is its model (``_models``): each field's annotation carries its row of
the vendor's table (type, length, writeable). ``field_table`` reads those rows; the vendor types'
rules are ``_types.FIELD_TYPES``. A write is checked field by field against its table before
anything is sent: unknown field, read-only field, wrong type, text too long, a number out of the
vendor type's range, money with more than 4 decimals all raise ValidationError.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import attrs

from ._errors import ValidationError
from ._models import Payment, PurchaseInvoice, SalesInvoice
from ._protocol import MAX_CURRENCY_DECIMALS, encode_columns, encode_value
from ._types import FIELD_TYPES, Kind, Wire

__all__ = [
    "FIELD_TABLES",
    "PAYMENT_FIELDS",
    "PURCHASE_INVOICE_FIELDS",
    "SALES_INVOICE_FIELDS",
    "FieldSpec",
    "encode_write",
    "field_table",
]

# tpLong is the vendor's (Delphi) 32-bit signed integer
LONG_MIN, LONG_MAX = -(2**31), 2**31 - 1
# tpCurrency is Delphi's Currency: a 64-bit integer of ten-thousandths
CURRENCY_MAX = Decimal("922337203685477.5807")
CURRENCY_MIN = Decimal("-922337203685477.5808")


@attrs.frozen(kw_only=True)
class FieldSpec:
    """One row of a resource's field table: the vendor's row and the model's Python type."""

    name: str
    kind: Kind
    type_id: int
    length: int
    required: bool
    writeable: bool
    python_type: Any


def field_table(model: type) -> Mapping[str, FieldSpec]:
    """The field table a model declares, in field order (``extra`` and unannotated fields are
    not rows). Raises TypeError when a field's Python type is not one its vendor type allows."""
    hints = typing.get_type_hints(model, include_extras=True)
    table: dict[str, FieldSpec] = {}
    for attribute in attrs.fields(model):
        hint = hints[attribute.name]
        wires = [m for m in getattr(hint, "__metadata__", ()) if isinstance(m, Wire)]
        if not wires:
            continue
        wire = wires[-1]
        python_type = hint.__origin__
        rule = FIELD_TYPES[wire.kind]
        if python_type not in rule.python:
            raise TypeError(f"{model.__name__}.{attribute.name}: {wire.kind} is not {python_type}")
        table[attribute.name] = FieldSpec(
            name=attribute.name,
            kind=wire.kind,
            type_id=rule.type_id,
            length=wire.length,
            required=wire.required,
            writeable=wire.writeable,
            python_type=python_type,
        )
    return MappingProxyType(table)


SALES_INVOICE_FIELDS = field_table(SalesInvoice)
PURCHASE_INVOICE_FIELDS = field_table(PurchaseInvoice)
PAYMENT_FIELDS = field_table(Payment)
# by the resource's path name, as FieldInfo and the schema check name them
FIELD_TABLES: Mapping[str, Mapping[str, FieldSpec]] = MappingProxyType(
    {
        "SalesInvoices": SALES_INVOICE_FIELDS,
        "PurchaseInvoices": PURCHASE_INVOICE_FIELDS,
        "Payments": PAYMENT_FIELDS,
    }
)

_TEXT_KINDS = frozenset({"tpString", "tpTime", "tpTelefoon", "tpEmail", "tpFax"})
_DATE_KINDS = frozenset({"tpDate", "tpDateNullString"})
_NUMBER_KINDS = frozenset({"tpCurrency", "tpDouble", "tpPercent", "tpCurrencyHD", "tpTimeDouble"})


def _check_type(spec: FieldSpec, value: Any) -> None:
    def wrong(expected: str) -> ValidationError:
        return ValidationError(
            f"{spec.name} ({spec.kind}) must be {expected}, not {type(value).__name__} {value!r}",
            field=spec.name,
        )

    if value is None:
        raise ValidationError(
            f"{spec.name}: None can't be sent (leave the field out to keep it as it is)",
            field=spec.name,
        )
    kind = spec.kind
    if kind == "tpLong":
        if isinstance(value, bool) or not isinstance(value, int):
            raise wrong("an int")
        if not LONG_MIN <= value <= LONG_MAX:
            raise ValidationError(
                f"{spec.name} (tpLong, 32-bit) must be from {LONG_MIN} to {LONG_MAX}, not {value}",
                field=spec.name,
            )
    elif kind == "tpBool":
        if not isinstance(value, bool):
            raise wrong("a bool")
    elif kind in _DATE_KINDS:
        if isinstance(value, datetime) or not isinstance(value, date):
            raise wrong("a datetime.date")
    elif kind in _TEXT_KINDS:
        if not isinstance(value, str):
            raise wrong("a str")
        if spec.length and len(value) > spec.length:
            raise ValidationError(
                f"{spec.name} is at most {spec.length} characters, got {len(value)}",
                field=spec.name,
            )
    elif kind in _NUMBER_KINDS:
        # money never travels through float; a float here is a rounding bug waiting to happen
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            raise wrong("a Decimal or an int (floats are refused: use Decimal)")
        if isinstance(value, Decimal) and not value.is_finite():
            raise ValidationError(
                f"{spec.name} must be a finite number, not {value}", field=spec.name
            )
        if kind == "tpCurrency" and not CURRENCY_MIN <= value <= CURRENCY_MAX:
            raise ValidationError(
                f"{spec.name} (tpCurrency) must be from {CURRENCY_MIN} to {CURRENCY_MAX}, "
                f"not {value}",
                field=spec.name,
            )
    else:  # pragma: no cover - every vendor type of FIELD_TYPES is handled above
        raise AssertionError(kind)


def encode_write(
    table: Mapping[str, FieldSpec], fields: Mapping[str, Any], *, resource: str
) -> tuple[str, dict[str, Any]]:
    """Validate ``fields`` against ``table`` and encode them as the ``columns`` parameter.

    Returns the parameter text and the fields as sent (in the caller's order).
    """
    if not fields:
        raise ValidationError(f"a write to {resource} needs at least one field")
    encoded: list[tuple[str, str]] = []
    for name, value in fields.items():
        spec = table.get(name)
        if spec is None:
            raise ValidationError(f"{resource} has no field {name!r}", field=name)
        if not spec.writeable:
            raise ValidationError(
                f"{resource}.{name} is computed by the server and is not writeable", field=name
            )
        _check_type(spec, value)
        max_decimals = MAX_CURRENCY_DECIMALS if spec.kind == "tpCurrency" else None
        encoded.append((name, encode_value(value, field=name, max_decimals=max_decimals)))
    return encode_columns(encoded), dict(fields)
