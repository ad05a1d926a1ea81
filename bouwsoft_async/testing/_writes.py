"""The vendor's write rules as FakeBouwsoft reads them: ``columns``, typing, derived amounts.

VAT lines and totals are computed from ``basis1..5``, ``vatpercent1..5``, ``commercialdiscount``
and ``cashdiscount_amount`` the way the vendor's examples show; money is Decimal inside and
printed as the vendor's binary floats on the wire.
"""

from __future__ import annotations

import re
import sys
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from aiohttp import web

from ._invoices import wire_number
from ._server import Refusal
from ._tables import PURCHASE_INVOICES, FieldRow

__all__ = ["blank_record", "read_columns", "recompute", "render_record"]

_CENT = Decimal("0.01")
# one ``name=value`` of ``columns``: text in single quotes (``''`` is a quote), True/False, a number
_COLUMN = re.compile(r"([A-Za-z_]\w*)=(?:'((?:[^']|'')*)'|(True|False)|(-?\d+(?:\.\d+)?))(?:,|\Z)")
_COLUMNS = re.compile(f"(?:{_COLUMN.pattern})*")
# a new record's fields before the columns are applied, by type; text and dates are ""
_BLANK = {"tpLong": 0, "tpBool": False, "tpCurrency": Decimal(0), "tpDouble": Decimal(0)}
# the largest magnitude each numeric storage type holds (Delphi's Longint, Currency and Double)
_LIMITS = {
    "tpLong": Decimal(2**31),
    "tpCurrency": Decimal("922337203685477.5808"),
    "tpDouble": Decimal(sys.float_info.max),
}
_DOUBLES = frozenset(
    name for name, spec in PURCHASE_INVOICES.items() if spec.type_name == "tpDouble"
)


def read_columns(
    request: web.Request, table: dict[str, FieldRow], writeable: frozenset[str] | None = None
) -> dict[str, Any]:
    """The ``columns`` parameter, each value checked against the field's row of ``table``."""
    text = request.query.get("columns")
    if text is None:
        raise Refusal(400, "the columns parameter is missing")
    if not _COLUMNS.fullmatch(text):
        raise Refusal(400, f"can't read columns {text!r}")
    values: dict[str, Any] = {}
    for name, quoted, flag, number in _COLUMN.findall(text):
        spec = table.get(name)
        if spec is None:
            raise Refusal(400, f"unknown field {name}")
        if not spec.writeable or (writeable is not None and name not in writeable):
            raise Refusal(400, f"field {name} is not writeable")
        value: Any
        if flag:
            value = flag == "True"
        elif number:
            value = Decimal(number)
        else:
            value = quoted.replace("''", "'")
        values[name] = _typed(spec, value)
    return values


def _typed(spec: FieldRow, value: Any) -> Any:
    kind = spec.type_name
    wanted: type[Any] = (
        str if kind in ("tpString", "tpDate") else bool if kind == "tpBool" else Decimal
    )
    if type(value) is not wanted:
        raise Refusal(400, f"{spec.name} ({kind}) can't take {value!r}")
    if kind == "tpDate":
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError as exc:
            raise Refusal(400, f"{spec.name}: {exc}") from None
    if kind in _LIMITS and not -_LIMITS[kind] <= value < _LIMITS[kind]:
        raise Refusal(400, f"{spec.name} ({kind}) can't hold {value}")
    # a Delphi string's Length: UTF-16 code units (a character past U+FFFF is two)
    if spec.length and len(value.encode("utf-16-le")) // 2 > spec.length:
        raise Refusal(400, f"{spec.name} is longer than {spec.length}")
    if kind == "tpLong":
        if value != value.to_integral_value():
            raise Refusal(400, f"{spec.name} takes an integer")
        return int(value)
    if kind == "tpCurrency" and value != value.quantize(Decimal("0.0001")):
        raise Refusal(400, f"{spec.name} has more than 4 decimals")
    return value


def render_record(record: dict[str, Any]) -> dict[str, Any]:
    """The record for orjson: a Decimal as the vendor's binary float (a whole tpDouble: an int)."""
    return {name: _wire(name, value) for name, value in record.items() if not name.startswith("_")}


def _wire(name: str, value: Any) -> Any:
    if not isinstance(value, Decimal):
        return value
    # a whole double as an int ("commercialdiscount": 5), while a double holds it exactly
    if name in _DOUBLES and value == value.to_integral_value() and abs(value) <= 2**53:
        return int(value)
    return wire_number(float(value))


def blank_record(
    record_id: int, table: dict[str, FieldRow], today: date, **fields: Any
) -> dict[str, Any]:
    """A new record before its columns: blanks by type, dated ``today`` (the fake's clock)."""
    record: dict[str, Any] = {"id": record_id}
    record.update({name: _BLANK.get(spec.type_name, "") for name, spec in table.items()})
    record.update(date=today.isoformat(), **fields)
    return record


def recompute(record: dict[str, Any], paid_set: bool, *, stamp: str) -> None:
    """Derived fields, as the vendor's examples show them; ``stamp`` the new ts_lastupdate."""
    discount = 1 - record["commercialdiscount"] / 100
    cash = record["cashdiscount_amount"]
    lines = range(1, 6)
    breakdown = any(record[f"basis{n}"] != 0 for n in lines)
    if breakdown:
        for n in lines:
            excl = (record[f"basis{n}"] * discount).quantize(_CENT, ROUND_HALF_UP)
            taxable = excl - (cash if n == 1 else 0)
            vat = (taxable * record[f"vatpercent{n}"] / 100).quantize(_CENT, ROUND_HALF_UP)
            record[f"amountexclvat{n}"] = excl
            record[f"taxableamount{n}"] = taxable
            record[f"vatamount{n}"] = vat
            record[f"amountinclvat{n}"] = excl + vat
        if cash and record["amountexclvat1"]:
            record["cashdiscount"] = (cash / record["amountexclvat1"] * 100).quantize(
                Decimal("0.000001")
            )
        record["totalsbasedonvatcodebreakdown"] = True
        record["amountexclvat_total"] = sum((record[f"basis{n}"] for n in lines), Decimal(0))
        record["vatamount_total"] = sum((record[f"vatamount{n}"] for n in lines), Decimal(0))
        record["amountinclvat_total"] = sum(
            (record[f"amountinclvat{n}"] for n in lines), Decimal(0)
        )
    else:
        record["amountinclvat_total"] = record["amountexclvat_total"] + record["vatamount_total"]
    if paid_set and record["paid"]:
        record["amountpaid"] = record["amountinclvat_total"] - cash
    record["amountoutstanding"] = record["amountinclvat_total"] - record["_paid_by_payments"]
    record["ts_lastupdate"] = stamp
