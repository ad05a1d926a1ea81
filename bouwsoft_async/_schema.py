"""The server's field tables (``GET /<Resource>/FieldInfo/``) read, and compared with the client's
(pure; ``BouwsoftClient.field_info`` and ``check_schema`` fetch them).

No vendor page shows a FieldInfo answer, so it is read tolerantly, here and nowhere else: the
usual ``{"Content-Range", "Records"}`` wrapper or a bare list; each row's keys spelled as the
vendor's table titles (``Field Name``, ``Type Id``, ``Type Name``, ``Length``, ``Required``,
``Writeable``, ``Force Write``, ``Link``) or as lower-case API names (``name``, ``typeid``,
``typename``, ...); flags as ``Yes``/``No``, ``true``/``false`` or JSON booleans.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, Literal

import attrs

from ._errors import DecodeError
from ._protocol import digits_value, parse_content_range
from ._types import FIELD_TYPES, Wire

__all__ = ["FieldInfo", "SchemaDifference", "compare_tables", "read_field_info"]


@attrs.frozen(kw_only=True)
class FieldInfo:
    """One row of a server's field table. ``type`` is the vendor's type name (``"tpCurrency"``);
    a column the server did not send is None. ``extra`` keeps columns this client does not know."""

    name: str
    type: str | None
    type_id: int | None
    length: int | None
    required: bool | None
    writeable: bool | None
    force_write: bool | None
    link: str | None
    extra: Mapping[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.frozen(kw_only=True)
class SchemaDifference:
    """How the server's table of ``resource`` differs from the client's at ``field``
    (``detail``, for a change, says ``client -> server``)."""

    resource: str
    field: str
    change: Literal["added", "removed", "changed"]
    detail: str = ""

    def __str__(self) -> str:
        detail = f": {self.detail}" if self.detail else ""
        return f"{self.resource}.{self.field} {self.change}{detail}"


# a row's key, lower-cased without spaces or underscores, -> the FieldInfo attribute
_KEYS = {
    "fieldname": "name",
    "name": "name",
    "typename": "type",
    "type": "type",
    "typeid": "type_id",
    "length": "length",
    "required": "required",
    "writeable": "writeable",
    "writable": "writeable",
    "forcewrite": "force_write",
    "link": "link",
}
# str() of a flag, lower-cased: JSON booleans and 0/1 read like the words
_YES = frozenset({"yes", "true", "1", "y", "ja"})
_NO = frozenset({"no", "false", "0", "n", "nee", ""})
_TYPE_NAMES: dict[int | None, str] = {row.type_id: row.name for row in FIELD_TYPES.values()}


def _flag(value: object) -> bool | None:
    text = str(value).strip().lower()
    return True if text in _YES else False if text in _NO else None


def _number(value: object) -> int | None:
    if type(value) is int:
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return digits_value(value)
    return None


def _text(value: object) -> str | None:
    return None if value is None else str(value).strip() or None


def _row(raw: object) -> FieldInfo:
    if not isinstance(raw, Mapping):
        raise DecodeError("a FieldInfo row is not an object", excerpt=repr(raw)[:120])
    known: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in raw.items():
        attribute = _KEYS.get(re.sub(r"[\s_]", "", str(key)).lower())
        type_name = _text(value) if attribute == "type" else None
        # unknown, repeated, or the older pages' JSON type (Number, String): kept in extra
        if (
            attribute is None
            or attribute in known
            or (type_name and not type_name.startswith("tp"))
        ):
            extra[str(key)] = value
        else:
            known[attribute] = value
    name = _text(known.get("name"))
    if name is None:
        raise DecodeError("a FieldInfo row without a field name", excerpt=repr(raw)[:120])
    type_id = _number(known.get("type_id"))
    return FieldInfo(
        name=name,
        type=_text(known.get("type")) or _TYPE_NAMES.get(type_id),
        type_id=type_id,
        length=_number(known.get("length")),
        required=_flag(known.get("required")),
        writeable=_flag(known.get("writeable")),
        force_write=_flag(known.get("force_write")),
        link=_text(known.get("link")),
        extra=MappingProxyType(extra),
    )


def read_field_info(payload: object) -> list[FieldInfo]:
    """A FieldInfo answer as typed rows (pure: no I/O); no list of rows raises DecodeError."""
    rows = payload.get("Records") if isinstance(payload, Mapping) else payload
    if not isinstance(rows, list):
        raise DecodeError(
            "expected a list of fields, bare or as Records", excerpt=repr(payload)[:120]
        )
    if isinstance(payload, Mapping) and "Content-Range" in payload:
        # a table cut short (a page of a longer one) would show each field it left out as removed
        total = parse_content_range(payload["Content-Range"]).total
        if total != len(rows):
            raise DecodeError(
                f"a FieldInfo answer with {len(rows)} of {total} fields",
                excerpt=repr(payload["Content-Range"])[:120],
            )
    return [_row(row) for row in rows]


def compare_tables(
    resource: str, client: Mapping[str, Wire], server: Iterable[FieldInfo]
) -> list[SchemaDifference]:
    """The differences between the client's table of ``resource`` and the server's (pure);
    ``id`` (the key, not listed by every page) is left out."""
    theirs = {row.name: row for row in server if row.name != "id"}
    differences = [
        SchemaDifference(resource=resource, field=name, change="removed")
        for name in client
        if name != "id" and name not in theirs
    ]
    for name, row in theirs.items():
        own = client.get(name)
        if own is None:
            detail = f"type {row.type}" if row.type else ""
            differences.append(
                SchemaDifference(resource=resource, field=name, change="added", detail=detail)
            )
            continue
        changes = []
        if row.type is not None and row.type != own.kind:
            changes.append(f"type {own.kind} -> {row.type}")
        elif row.type is None and row.type_id is not None:
            # only an id, of a type this client does not know: a change all the same
            changes.append(f"type {own.kind} -> type id {row.type_id}")
        if own.writeable and row.writeable is False:
            changes.append("writeable Yes -> No")
        if own.writeable and row.length is not None and row.length != own.length:
            changes.append(f"length {own.length} -> {row.length}")
        if changes:
            differences.append(
                SchemaDifference(
                    resource=resource, field=name, change="changed", detail="; ".join(changes)
                )
            )
    return differences
