"""The fake's reading of the list filter: ``field op value`` joined by ``and``.

It follows the same assumed OData-like grammar the client writes (see ``_protocol``): ``eq ne gt
ge lt le``, numbers bare, text in single quotes with ``''`` for a quote, ``True``/``False``.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

__all__ = ["Condition", "FilterSyntaxError", "matches", "parse_filter"]

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}
_TOKEN = re.compile(
    r"\s*(?:(?P<field>[A-Za-z_][A-Za-z0-9_]*)\s+(?P<op>eq|ne|gt|ge|lt|le)\s+"
    r"(?P<value>-?\d+(?:\.\d+)?|'(?:[^']|'')*'|True|False)\s*)"
)

Condition = tuple[str, str, Any]


class FilterSyntaxError(ValueError):
    pass


def parse_filter(text: str) -> list[Condition]:
    conditions: list[Condition] = []
    for index, part in enumerate(re.split(r"\s+and\s+(?=(?:[^']*'[^']*')*[^']*$)", text.strip())):
        match = _TOKEN.fullmatch(part)
        if match is None:
            raise FilterSyntaxError(f"can't parse filter part {index + 1}: {part!r}")
        raw = match["value"]
        value: Any
        if raw.startswith("'"):
            value = raw[1:-1].replace("''", "'")
        elif raw in ("True", "False"):
            value = raw == "True"
        else:
            value = Decimal(raw)
        conditions.append((match["field"], match["op"], value))
    return conditions


def _comparable(field_value: Any, literal: Any) -> tuple[Any, Any]:
    if isinstance(literal, bool) or isinstance(field_value, bool):
        if not (isinstance(literal, bool) and isinstance(field_value, bool)):
            raise FilterSyntaxError("a boolean field is compared with True or False")
        return field_value, literal
    if isinstance(literal, Decimal):
        if not isinstance(field_value, (int, float, Decimal)):
            raise FilterSyntaxError("a text field is compared with a quoted value")
        number = (
            Decimal(repr(field_value)) if isinstance(field_value, float) else Decimal(field_value)
        )
        return number, literal
    if not isinstance(field_value, str):
        raise FilterSyntaxError("a number field is compared with a bare number")
    return field_value, literal


def matches(conditions: list[Condition], value_of: Callable[[str], Any]) -> bool:
    for field, op, literal in conditions:
        left, right = _comparable(value_of(field), literal)
        if not _OPS[op](left, right):
            return False
    return True
