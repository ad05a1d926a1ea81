"""Marker types the converter reads, and the one table of the vendor's field types.

``Money`` is the vendor's ``tpCurrency`` (fixed-point, at most 4 decimals, sent on the wire as a
binary float such as ``100.049999999999997``); ``Rate`` is a ``tpDouble`` or ``tpPercent`` that
takes part in money arithmetic (VAT and discount percentages), kept exact as its shortest decimal
form. Both are ``Decimal`` at run time.

A record model declares each field's vendor type beside its Python type
(``basis1: Annotated[Money, Wire("tpCurrency", writeable=True)]``): the model is the one field
table of its resource. The write validation (``_fields``), the export columns and the schema check
read that table; ``FIELD_TYPES`` below says which Python types each vendor type allows.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, NewType

import attrs

__all__ = ["FIELD_TYPES", "FieldType", "Kind", "Money", "Rate", "Wire"]

Money = NewType("Money", Decimal)
Rate = NewType("Rate", Decimal)

Kind = Literal[
    "tpLong",
    "tpString",
    "tpDate",
    "tpDouble",
    "tpBool",
    "tpDateNullString",
    "tpTime",
    "tpCurrency",
    "tpTelefoon",
    "tpEmail",
    "tpPercent",
    "tpCurrencyHD",
    "tpFax",
    "tpTimeDouble",
]


@attrs.frozen
class Wire:
    """A model field's row of the vendor's field table: type name, length, writeable.

    ``length`` is the most characters a text takes (0: no limit); ``writeable`` fields may be
    sent in a ``columns`` write, the others are computed by the server.
    """

    kind: Kind
    length: int = 0
    writeable: bool = False
    required: bool = False


@attrs.frozen
class FieldType:
    """One row of ``FIELD_TYPES``: a vendor type, its id, the Python types a model may give it."""

    name: Kind
    type_id: int
    python: tuple[Any, ...]


# One row per vendor type (type ids as the vendor's newer tables number them); how each is read
# and written is the README's "Field types" table. Tests check that every model field's Python
# type is one its vendor type allows.
FIELD_TYPES: dict[str, FieldType] = {
    row.name: row
    for row in [
        FieldType("tpLong", 1, (int,)),
        FieldType("tpString", 2, (str,)),
        FieldType("tpDate", 3, (date | None, date, datetime)),
        FieldType("tpDouble", 4, (Rate, float)),
        FieldType("tpBool", 5, (bool,)),
        FieldType("tpDateNullString", 6, (date | None, datetime | None)),
        FieldType("tpTime", 7, (str,)),
        FieldType("tpCurrency", 8, (Money,)),
        FieldType("tpTelefoon", 9, (str,)),
        FieldType("tpEmail", 10, (str,)),
        FieldType("tpPercent", 13, (Rate,)),
        FieldType("tpCurrencyHD", 14, (Decimal,)),
        FieldType("tpFax", 15, (str,)),
        FieldType("tpTimeDouble", 20, (float,)),
    ]
}
