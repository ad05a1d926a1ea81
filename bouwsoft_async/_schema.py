"""The server's field tables (``GET /<Resource>/FieldInfo/``) and the check against the client's.

No vendor page shows a FieldInfo answer, so it is read tolerantly, here and nowhere else: the
usual ``{"Content-Range", "Records"}`` wrapper or a bare list; each row's keys spelled as the
vendor's table titles (``Field Name``, ``Type Id``, ``Type Name``, ``Length``, ``Required``,
``Writeable``, ``Force Write``, ``Link``) or as lower-case API names (``name``, ``typeid``,
``typename``, ...); flags as ``Yes``/``No``, ``true``/``false`` or JSON booleans.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, Literal

import attrs

from ._convert import decode_json
from ._core import Core
from ._errors import DecodeError, ValidationError
from ._fields import FIELD_TABLES
from ._types import FIELD_TYPES

__all__ = [
    "FieldInfo",
    "SchemaDifference",
    "check_schema",
    "compare_tables",
    "fetch_field_info",
    "read_field_info",
]

Change = Literal["added", "removed", "changed"]


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
    """How the server's table of ``resource`` differs from the client's at ``field``:
    ``"added"`` (only the server has it), ``"removed"`` (only the client) or ``"changed"``
    (``detail`` says what, as ``client -> server``)."""

    resource: str
    field: str
    change: Change
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
_YES = frozenset({"yes", "true", "1", "y", "ja"})
_NO = frozenset({"no", "false", "0", "n", "nee", ""})


def _flag(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return bool(value) if value in (0, 1) else None
    if isinstance(value, str):
        text = value.strip().lower()
        return True if text in _YES else False if text in _NO else None
    return None


def _number(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value):
        return int(value)
    return None


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _row(raw: object, type_names: Mapping[int, str]) -> FieldInfo:
    if not isinstance(raw, Mapping):
        raise DecodeError("a FieldInfo row is not an object", excerpt=repr(raw)[:120])
    known: dict[str, Any] = {}
    spelled: dict[str, str] = {}  # attribute -> the key as the server spelled it
    extra: dict[str, Any] = {}
    for key, value in raw.items():
        attribute = _KEYS.get(re.sub(r"[\s_]", "", str(key)).lower())
        if attribute is None or attribute in known:
            extra[str(key)] = value
        else:
            known[attribute] = value
            spelled[attribute] = str(key)
    name = _text(known.get("name"))
    if name is None:
        raise DecodeError("a FieldInfo row without a field name", excerpt=repr(raw)[:120])
    type_id = _number(known.get("type_id"))
    type_name = _text(known.get("type"))
    if type_name is not None and not type_name.startswith("tp"):
        # the older pages' JSON type (Number, String): not a vendor type name
        extra[spelled["type"]] = known["type"]
        type_name = None
    if type_name is None and type_id is not None:
        type_name = type_names.get(type_id)
    return FieldInfo(
        name=name,
        type=type_name,
        type_id=type_id,
        length=_number(known.get("length")),
        required=_flag(known.get("required")),
        writeable=_flag(known.get("writeable")),
        force_write=_flag(known.get("force_write")),
        link=_text(known.get("link")),
        extra=MappingProxyType(extra),
    )


def read_field_info(payload: object, type_names: Mapping[int, str]) -> list[FieldInfo]:
    """A FieldInfo answer as typed rows (pure: no I/O). ``type_names`` names a type by its id
    when a row gives only the id. An answer that is no list of rows raises DecodeError."""
    rows = payload.get("Records") if isinstance(payload, Mapping) else payload
    if not isinstance(rows, list):
        raise DecodeError(
            "expected a list of fields, bare or as Records", excerpt=repr(payload)[:120]
        )
    return [_row(row, type_names) for row in rows]


@attrs.frozen(kw_only=True)
class ClientField:
    """What the schema check needs of one row of the client's own table."""

    name: str
    type: str
    length: int
    writeable: bool


def compare_tables(
    resource: str, client: Iterable[ClientField], server: Iterable[FieldInfo]
) -> list[SchemaDifference]:
    """The differences between the client's table of ``resource`` and the server's (pure).

    ``id`` (the key, not listed by every page) is left out. A type is compared wherever the
    server names one; length and writeability only for fields the client writes, where they
    decide what the client sends.
    """
    mine = {field.name: field for field in client if field.name != "id"}
    theirs = {field.name: field for field in server if field.name != "id"}
    differences = [
        SchemaDifference(resource=resource, field=name, change="removed")
        for name in mine
        if name not in theirs
    ]
    for name, row in theirs.items():
        own = mine.get(name)
        if own is None:
            detail = f"type {row.type}" if row.type else ""
            differences.append(
                SchemaDifference(resource=resource, field=name, change="added", detail=detail)
            )
            continue
        changes = []
        if row.type is not None and row.type != own.type:
            changes.append(f"type {own.type} -> {row.type}")
        if own.writeable:
            if row.writeable is not None and not row.writeable:
                changes.append("writeable Yes -> No")
            if row.length is not None and row.length != own.length:
                changes.append(f"length {own.length} -> {row.length}")
        if changes:
            differences.append(
                SchemaDifference(
                    resource=resource, field=name, change="changed", detail="; ".join(changes)
                )
            )
    return differences


_RESOURCE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")


_TYPE_NAMES = {row.type_id: row.name for row in FIELD_TYPES.values()}


async def fetch_field_info(core: Core, resource: str) -> list[FieldInfo]:
    """``GET /<resource>/FieldInfo/``: the server's field table of ``resource``."""
    if not isinstance(resource, str) or not _RESOURCE_NAME.fullmatch(resource):
        raise ValidationError(
            f"{resource!r} is not a resource name such as 'SalesInvoices'", field="resource"
        )
    response = await core.request("GET", (resource, "FieldInfo", ""), idempotent=True)
    return read_field_info(decode_json(response.body, core.secrets()), _TYPE_NAMES)


async def check_schema(core: Core) -> list[SchemaDifference]:
    """Compare the server's table of every resource the client models with the client's own."""
    async with asyncio.TaskGroup() as group:
        tasks = {
            resource: group.create_task(fetch_field_info(core, resource))
            for resource in FIELD_TABLES
        }
    differences: list[SchemaDifference] = []
    for resource, table in FIELD_TABLES.items():
        own = [
            ClientField(name=s.name, type=s.kind, length=s.length, writeable=s.writeable)
            for s in table.values()
        ]
        differences.extend(compare_tables(resource, own, tasks[resource].result()))
    return differences
