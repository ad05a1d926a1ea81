"""The fake's reading of the list filter: comparisons joined by ``and``/``or``, in parentheses.

An independent reading of the vendor's evidence (it never imports the client's filter code):
``field op value`` where a value is a bare number, text in single quotes with ``''`` for a quote,
or a boolean (``true``/``false``, any case); ``and`` binds tighter than ``or``, both in any case;
parentheses group. A strict server (``FakeBouwsoft(strict=True)``) knows only the operators seen
in the vendor's pages and the production clients, ``eq ne gt``, and refuses ``ge lt le``.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

__all__ = ["FilterSyntaxError", "Node", "conjuncts", "fields_of", "matches", "parse_filter"]

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    name: getattr(operator, name) for name in ("eq", "ne", "gt", "ge", "lt", "le")
}
STRICT_OPERATORS = frozenset({"eq", "ne", "gt"})
# one token: a condition ``field op value``, a joint (and, or, a parenthesis) or anything else
_TOKEN = re.compile(
    r"\s*(?:(\w+)\s+(\w+)\s+('(?:[^']|'')*'|-?\d+(?:\.\d+)?|(?i:true|false)\b)"
    r"|((?i:and|or)\b|[()])|(\S+))"
)

# ("cond", field, op, value) | ("and", (node, ...)) | ("or", (node, ...))
Node = tuple[Any, ...]


class FilterSyntaxError(ValueError):
    pass


def parse_filter(text: str, *, strict: bool = False) -> Node:
    """The filter as a tree; FilterSyntaxError for anything this server cannot read."""
    conditions: list[Node] = []
    words = []  # each condition becomes a name c<i>, for Python's grammar to read and/or
    for field, op, raw, joint, other in _TOKEN.findall(text):
        if other:
            raise FilterSyntaxError(f"can't read {other!r}")
        if joint:
            words.append(joint.lower())
            continue
        if op not in _OPS or (strict and op not in STRICT_OPERATORS):
            raise FilterSyntaxError(f"this server does not know the operator {op!r}")
        value: Any
        if raw.startswith("'"):
            value = raw[1:-1].replace("''", "'")
        elif raw.lower() in ("true", "false"):
            value = raw.lower() == "true"
        else:
            value = Decimal(raw)
        conditions.append(("cond", field, op, value))
        words.append(f"c{len(conditions) - 1}")
    try:
        expression = ast.parse(" ".join(words), mode="eval").body
    except SyntaxError:
        raise FilterSyntaxError(f"can't read the filter {text!r}") from None
    return _tree(expression, conditions)


def _tree(expression: ast.expr, conditions: list[Node]) -> Node:
    if isinstance(expression, ast.BoolOp):
        kind = "and" if isinstance(expression.op, ast.And) else "or"
        return (kind, tuple(_tree(part, conditions) for part in expression.values))
    if isinstance(expression, ast.Name):
        return conditions[int(expression.id.removeprefix("c"))]
    raise FilterSyntaxError("conditions must be joined by and/or")


def conjuncts(tree: Node) -> list[Node]:
    """The parts of a top-level ``and`` (the tree itself when it is something else)."""
    return list(tree[1]) if tree[0] == "and" else [tree]


def fields_of(tree: Node) -> set[str]:
    if tree[0] == "cond":
        return {tree[1]}
    return set().union(*(fields_of(part) for part in tree[1]))


def _comparable(field_value: Any, literal: Any) -> tuple[Any, Any]:
    if isinstance(literal, bool) or isinstance(field_value, bool):
        if not (isinstance(literal, bool) and isinstance(field_value, bool)):
            raise FilterSyntaxError("a boolean field is compared with true or false")
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


def matches(tree: Node, value_of: Callable[[str], Any]) -> bool:
    kind = tree[0]
    if kind == "cond":
        _, field, op, literal = tree
        left, right = _comparable(value_of(field), literal)
        return _OPS[op](left, right)
    if kind == "and":
        return all(matches(part, value_of) for part in tree[1])
    return any(matches(part, value_of) for part in tree[1])
