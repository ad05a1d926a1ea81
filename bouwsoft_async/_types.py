"""Marker types the converter reads, and the one table of the vendor's field types.

``Money`` is the vendor's ``tpCurrency`` (fixed-point, at most 4 decimals, sent on the wire as a
binary float such as ``100.049999999999997``); ``Rate`` is a ``tpDouble`` or ``tpPercent`` that
takes part in money arithmetic (VAT and discount percentages), kept exact as its shortest decimal
form. Both are ``Decimal`` at run time.

A record model declares each field's vendor type beside its Python type
(``basis1: Annotated[Money, Wire("tpCurrency", writeable=True)]``): the model is the one field
table of its resource. The write validation (``_fields``), the export columns and the schema check
read that table; ``FIELD_TYPES`` below is the one rule per vendor type, read and written.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, NewType

import attrs

__all__ = ["FIELD_TYPES", "FieldType", "Money", "Rate", "Wire"]

Money = NewType("Money", Decimal)
Rate = NewType("Rate", Decimal)


@attrs.frozen
class Wire:
    """A model field's row of the vendor's field table: type name, length, writeable.

    ``length`` is the most characters a text takes (0: no limit); ``writeable`` fields may be
    sent in a ``columns`` write, the others are computed by the server.
    """

    kind: str  # a name in FIELD_TYPES (field_table checks it)
    length: int = 0
    writeable: bool = False


@attrs.frozen
class FieldType:
    """One row of ``FIELD_TYPES``: a vendor type, its id, the Python types a model may give it,
    the types a write accepts (``expected`` says them) and the range of a bounded type."""

    name: str
    type_id: int
    python: tuple[Any, ...]
    accepts: tuple[type, ...]
    expected: str
    bounds: tuple[Any, Any, str] | None = None


# money never travels through float
_TEXT = ((str,), "a str")
_DATE = ((date,), "a datetime.date")
_NUMBER = ((int, Decimal), "a Decimal or an int (floats are refused: use Decimal)")
# One row per vendor type (type ids as the vendor's newer tables number them); how each is read
# and written is the README's "Field types" table. The vendor's types are Delphi's: tpLong is a
# 32-bit signed integer, tpCurrency Delphi's Currency, a 64-bit integer of ten-thousandths.
FIELD_TYPES: dict[str, FieldType] = {
    row.name: row
    for row in [
        FieldType("tpLong", 1, (int,), (int,), "an int", (-(2**31), 2**31 - 1, "32-bit")),
        FieldType("tpString", 2, (str,), *_TEXT),
        FieldType("tpDate", 3, (date | None, date, datetime), *_DATE),
        FieldType("tpDouble", 4, (Rate, float), *_NUMBER),
        FieldType("tpBool", 5, (bool,), (bool,), "a bool"),
        FieldType("tpDateNullString", 6, (date | None, datetime | None), *_DATE),
        FieldType("tpTime", 7, (str,), *_TEXT),
        FieldType(
            "tpCurrency",
            8,
            (Money,),
            *_NUMBER,
            (Decimal("-922337203685477.5808"), Decimal("922337203685477.5807"), "64-bit"),
        ),
        FieldType("tpTelefoon", 9, (str,), *_TEXT),
        FieldType("tpEmail", 10, (str,), *_TEXT),
        FieldType("tpPercent", 13, (Rate,), *_NUMBER),
        FieldType("tpCurrencyHD", 14, (Decimal,), *_NUMBER),
        FieldType("tpFax", 15, (str,), *_TEXT),
        FieldType("tpTimeDouble", 20, (float,), *_NUMBER),
    ]
}
