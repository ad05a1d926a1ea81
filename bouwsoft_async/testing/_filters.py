"""The fake's reading of the list filter: comparisons joined by ``and``/``or``, in parentheses.

An independent reading of the vendor's evidence (it never imports the client's filter code):
``field op value`` where a value is a bare number, text in single quotes with ``''`` for a quote,
or a boolean (``true``/``false``, any case); ``and`` binds tighter than ``or``, both in any case;
parentheses group. A strict server (``FakeBouwsoft(strict=True)``) knows only the operators seen
in the vendor's pages and the production clients, ``eq ne gt``, and refuses ``ge lt le``.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

__all__ = [
    "STRICT_OPERATORS",
    "Condition",
    "FilterSyntaxError",
    "Node",
    "conjuncts",
    "fields_of",
    "matches",
    "parse_filter",
]

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}
STRICT_OPERATORS = frozenset({"eq", "ne", "gt"})

_LEXER = re.compile(
    r"\s*(?:(?P<open>\()|(?P<close>\))|(?P<text>'(?:[^']|'')*')|(?P<number>-?\d+(?:\.\d+)?)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*))"
)

# ("cond", field, op, value) | ("and", (node, ...)) | ("or", (node, ...))
Node = tuple[Any, ...]
Condition = Node


class FilterSyntaxError(ValueError):
    pass


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _LEXER.match(text, position)
        if match is None or match.end() == position:
            raise FilterSyntaxError(f"can't read the filter at {text[position : position + 20]!r}")
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match[kind]))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str, operators: frozenset[str]) -> None:
        self.tokens = _tokens(text)
        self.index = 0
        self.operators = operators

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise FilterSyntaxError("the filter ends too early")
        self.index += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token[0] == "word" and token[1].lower() == word:
            self.index += 1
            return True
        return False

    def expression(self) -> Node:
        parts = [self.conjunction()]
        while self.keyword("or"):
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else ("or", tuple(parts))

    def conjunction(self) -> Node:
        parts = [self.operand()]
        while self.keyword("and"):
            parts.append(self.operand())
        return parts[0] if len(parts) == 1 else ("and", tuple(parts))

    def operand(self) -> Node:
        kind, text = self.take()
        if kind == "open":
            inner = self.expression()
            if self.take()[0] != "close":
                raise FilterSyntaxError("a parenthesis is not closed")
            return inner
        if kind != "word":
            raise FilterSyntaxError(f"expected a field name, not {text!r}")
        op_kind, op = self.take()
        if op_kind != "word" or op not in _OPS:
            raise FilterSyntaxError(f"unknown operator {op!r}")
        if op not in self.operators:
            raise FilterSyntaxError(f"this server does not know the operator {op!r}")
        value_kind, raw = self.take()
        value: Any
        if value_kind == "text":
            value = raw[1:-1].replace("''", "'")
        elif value_kind == "number":
            value = Decimal(raw)
        elif value_kind == "word" and raw.lower() in ("true", "false"):
            value = raw.lower() == "true"
        else:
            raise FilterSyntaxError(f"can't read the value {raw!r}")
        return ("cond", text, op, value)


def parse_filter(text: str, *, strict: bool = False) -> Node:
    """The filter as a tree; FilterSyntaxError for anything this server cannot read."""
    parser = _Parser(text, STRICT_OPERATORS if strict else frozenset(_OPS))
    tree = parser.expression()
    if parser.peek() is not None:
        raise FilterSyntaxError(f"unexpected {parser.peek()[1]!r}")  # type: ignore[index]
    return tree


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
