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

# the comparisons: operator.eq for "eq" and so on
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    name: getattr(operator, name) for name in ("eq", "ne", "gt", "ge", "lt", "le")
}
STRICT_OPERATORS = frozenset({"eq", "ne", "gt"})

_TOKEN = re.compile(
    r"\s*(?:(?P<paren>[()])|(?P<text>'(?:[^']|'')*')|(?P<number>-?\d+(?:\.\d+)?)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*)|(?P<other>\S+))"
)

# ("cond", field, op, value) | ("and", (node, ...)) | ("or", (node, ...))
Node = tuple[Any, ...]


class FilterSyntaxError(ValueError):
    pass


def _condition(tokens: list[tuple[str, str]], operators: frozenset[str]) -> Node:
    if len(tokens) < 3:
        raise FilterSyntaxError("the filter ends too early")
    (field_kind, field), (_, op), (value_kind, raw) = tokens
    if field_kind != "word":
        raise FilterSyntaxError(f"expected a field name, not {field!r}")
    if op not in _OPS:
        raise FilterSyntaxError(f"unknown operator {op!r}")
    if op not in operators:
        raise FilterSyntaxError(f"this server does not know the operator {op!r}")
    value: Any
    if value_kind == "text":
        value = raw[1:-1].replace("''", "'")
    elif value_kind == "number":
        value = Decimal(raw)
    elif value_kind == "word" and raw.lower() in ("true", "false"):
        value = raw.lower() == "true"
    else:
        raise FilterSyntaxError(f"can't read the value {raw!r}")
    return ("cond", field, op, value)


def _tree(expression: ast.expr, conditions: list[Node]) -> Node:
    if isinstance(expression, ast.BoolOp):
        kind = "and" if isinstance(expression.op, ast.And) else "or"
        return (kind, tuple(_tree(part, conditions) for part in expression.values))
    if isinstance(expression, ast.Name):
        return conditions[int(expression.id.removeprefix("c"))]
    raise FilterSyntaxError("conditions must be joined by and/or")


def parse_filter(text: str, *, strict: bool = False) -> Node:
    """The filter as a tree; FilterSyntaxError for anything this server cannot read."""
    tokens = []
    for match in _TOKEN.finditer(text):
        kind = str(match.lastgroup)
        tokens.append((kind, match[kind]))
    # each condition becomes a name c<i>; Python's own grammar then reads and/or (``and``
    # first) and the parentheses around them
    operators = STRICT_OPERATORS if strict else frozenset(_OPS)
    conditions: list[Node] = []
    words: list[str] = []
    while tokens:
        kind, token = tokens[0]
        if kind == "paren" or token.lower() in ("and", "or"):
            words.append(token.lower())
            del tokens[0]
        else:
            conditions.append(_condition(tokens[:3], operators))
            words.append(f"c{len(conditions) - 1}")
            del tokens[:3]
    try:
        expression = ast.parse(" ".join(words), mode="eval").body
    except SyntaxError:
        raise FilterSyntaxError(f"can't read the filter {text!r}") from None
    return _tree(expression, conditions)


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
