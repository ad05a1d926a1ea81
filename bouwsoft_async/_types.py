"""Marker types the converter reads, and the one table of the vendor's field types.

``Money`` is the vendor's ``tpCurrency`` (fixed-point, at most 4 decimals, sent on the wire as a
binary float such as ``100.049999999999997``); ``Rate`` is a ``tpDouble`` or ``tpPercent`` that
takes part in money arithmetic (VAT and discount percentages), kept exact as its shortest decimal
form. Both are ``Decimal`` at run time.

A record model declares each field's vendor type beside its Python type
(``basis1: Annotated[Money, Wire("tpCurrency", writeable=True)]``): the model is the one field
table of its resource. The write validation (``_fields``), the export columns and the schema check
read that table; ``FIELD_TYPES`` below says how each vendor type is read and written.
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


@attrs.frozen(kw_only=True)
class FieldType:
    """One row of ``FIELD_TYPES``: how a vendor type is read and written."""

    name: Kind
    type_id: int
    # the Python types a model may give a field of this vendor type
    python: tuple[Any, ...]
    reading: str
    writing: str


# The rules, one row per vendor type (type ids as the vendor's newer tables number them). The
# README's "Field types" table is this one; tests check that every model field's Python type is
# one its vendor type allows.
_ROWS = [
    FieldType(
        name="tpLong",
        type_id=1,
        python=(int,),
        reading="int; a whole float (2.0) or a digit string ('20160041') as that int",
        writing="an int from -2147483648 to 2147483647 (32-bit signed), bare",
    ),
    FieldType(
        name="tpString",
        type_id=2,
        python=(str,),
        reading="str; a number as its exact decimal text (8840 -> '8840')",
        writing="a str of at most Length characters (0: any), in single quotes",
    ),
    FieldType(
        name="tpDate",
        type_id=3,
        python=(date | None, date, datetime),
        reading="date from YYYY-MM-DD ('' -> None); ts_lastupdate: naive datetime "
        "from YYYY-MM-DD HH:MM:SS",
        writing="a datetime.date as 'YYYY-MM-DD' (never a datetime)",
    ),
    FieldType(
        name="tpDouble",
        type_id=4,
        python=(Rate, float),
        reading="a percentage or factor used with money: exact Decimal of the shortest form; "
        "coordinates: float",
        writing="a Decimal or an int, bare (floats refused)",
    ),
    FieldType(
        name="tpBool",
        type_id=5,
        python=(bool,),
        reading="bool from true/false",
        writing="a bool as True/False",
    ),
    FieldType(
        name="tpDateNullString",
        type_id=6,
        python=(date | None, datetime | None),
        reading="'' -> None; else a date YYYY-MM-DD, or a naive datetime for a timestamp field "
        "(einvoice_sent_ts)",
        writing="a datetime.date as 'YYYY-MM-DD'",
    ),
    FieldType(
        name="tpTime",
        type_id=7,
        python=(str,),
        reading="str as sent (no page shows the format)",
        writing="a str, in single quotes",
    ),
    FieldType(
        name="tpCurrency",
        type_id=8,
        python=(Money,),
        reading="Decimal: the float's shortest form, rounded half-even to 4 decimals "
        "(100.049999999999997 -> 100.05); out-of-range values read exactly",
        writing="a Decimal or an int with at most 4 decimals, within +-922337203685477.5807",
    ),
    FieldType(
        name="tpTelefoon",
        type_id=9,
        python=(str,),
        reading="as tpString",
        writing="as tpString",
    ),
    FieldType(
        name="tpEmail",
        type_id=10,
        python=(str,),
        reading="as tpString",
        writing="as tpString",
    ),
    FieldType(
        name="tpPercent",
        type_id=13,
        python=(Rate,),
        reading="exact Decimal of the shortest form (12.5 -> 12.5)",
        writing="a Decimal or an int, bare (floats refused)",
    ),
    FieldType(
        name="tpCurrencyHD",
        type_id=14,
        python=(Decimal,),
        reading="exact Decimal of the shortest form, not rounded (the decimals are undocumented)",
        writing="a finite Decimal or an int, bare (floats refused)",
    ),
    FieldType(
        name="tpFax",
        type_id=15,
        python=(str,),
        reading="as tpString",
        writing="as tpString",
    ),
    FieldType(
        name="tpTimeDouble",
        type_id=20,
        python=(float,),
        reading="float (a time as a number; an int becomes a float)",
        writing="a Decimal or an int, bare (floats refused)",
    ),
]
FIELD_TYPES: dict[str, FieldType] = {row.name: row for row in _ROWS}
