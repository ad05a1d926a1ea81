"""What every Bouwsoft write shares: validated ``columns``, the RecordChanges answer, files.

After a 2xx the write WAS applied, so reading its answer never hides that: a value that can't be
read as its type is kept raw in the record's ``extra`` (a warning is logged), and an answer that
can't be read at all raises WriteAppliedError, which says so and carries the raw answer.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import IO, Any, TypeVar, Union

import aiohttp
import attrs

from ._convert import decode_json, structure, structure_changes
from ._core import Core
from ._errors import (
    DecodeError,
    NotFoundError,
    ValidationError,
    WriteAppliedError,
)
from ._fields import FieldSpec, encode_write
from ._models import RecordChanges
from ._protocol import (
    check_upload_filename,
    error_for_status,
    excerpt,
    redact,
    redact_bytes,
    vendor_error_of,
)
from ._transport import Response

__all__ = [
    "FileInput",
    "delete_record",
    "post_columns",
    "post_record",
    "put_changes",
    "read_file_input",
    "send_file",
]

T = TypeVar("T")
FileInput = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, IO[bytes]]
logger = logging.getLogger("bouwsoft_async")


@attrs.frozen(kw_only=True)
class _Sent:
    """A write as sent, for what its answer raises."""

    method: str
    path: Sequence[str | int]
    fields: Mapping[str, Any]

    @property
    def path_text(self) -> str:
        return "/" + "/".join(map(str, self.path))

    def applied_error(self, message: str, response: Response, core: Core) -> WriteAppliedError:
        return WriteAppliedError(
            message,
            method=self.method,
            path=self.path_text,
            status=response.status,
            body=redact_bytes(response.body, core.secrets()),
            sent=self.fields,
        )


def _answer_record(response: Response, core: Core, sent: _Sent) -> dict[str, Any]:
    """The one record of a 2xx write answer ``{"RecordChanges": [record]}``."""
    try:
        payload = decode_json(response.body, core.secrets())
    except DecodeError as exc:
        raise sent.applied_error("its answer is not JSON", response, core) from exc
    vendor = vendor_error_of(payload)
    if vendor is not None:
        # an error record is an error whatever the HTTP status: never read as a created record
        secrets = core.secrets()
        raise error_for_status(
            vendor.code,
            method=sent.method,
            path=sent.path_text,
            excerpt=excerpt(response.body, secrets),
            message=redact(vendor.description, secrets)[:200],
            request_id=redact(vendor.request_id, secrets)[:120] if vendor.request_id else None,
        )
    records = payload.get("RecordChanges") if isinstance(payload, Mapping) else None
    if not isinstance(records, list) or len(records) != 1 or not isinstance(records[0], dict):
        raise sent.applied_error(
            'its answer is not {"RecordChanges": [one record]}', response, core
        )
    record: dict[str, Any] = records[0]
    return record


def _warn_unreadable(sent: _Sent, unreadable: Mapping[str, Any]) -> None:
    if unreadable:
        logger.warning(
            "%s %s was applied; answer fields kept raw in extra, unreadable: %s",
            sent.method,
            sent.path_text,
            ", ".join(sorted(unreadable)),
        )


def _read_changes(
    record: dict[str, Any], cls: type[T], response: Response, core: Core, sent: _Sent
) -> RecordChanges[T]:
    try:
        changes = structure_changes(record, cls)
    except DecodeError as exc:
        raise sent.applied_error("its answer has no readable id", response, core) from exc
    _warn_unreadable(sent, changes.extra)
    return changes


def _read_record(
    record: dict[str, Any], cls: type[T], response: Response, core: Core, sent: _Sent
) -> T:
    """The whole record of a write answer; field by field if it does not read as a whole."""
    try:
        return structure(record, cls)
    except DecodeError:
        pass
    changes = _read_changes(record, cls, response, core, sent)
    model: Any = cls
    names = [a.name for a in attrs.fields(model) if a.name != "extra"]
    missing = [name for name in names if name not in record and name != "id"]
    if missing:
        logger.warning(
            "%s %s was applied; its answer lacks %s (None in the record)",
            sent.method,
            sent.path_text,
            ", ".join(missing),
        )
    values = {name: changes.fields.get(name) for name in names}
    values["id"] = changes.id
    if "ts_lastupdate" in values:
        values["ts_lastupdate"] = changes.ts_lastupdate
    extra = {k: v for k, v in changes.fields.items() if k not in values}
    extra.update(changes.extra)
    # an unreadable value is None in its typed field and raw in extra: never a guessed value
    return model(**values, extra=MappingProxyType(extra))  # type: ignore[no-any-return]


async def post_record(
    core: Core,
    path: Sequence[str | int],
    table: Mapping[str, FieldSpec],
    fields: Mapping[str, Any],
    cls: type[T],
) -> T:
    """Validate and POST ``fields``; the answer is the whole new record.

    Never retried once it may have reached the server: WriteOutcomeUnknown instead.
    """
    columns, sent = encode_write(table, fields, resource=str(path[0]))
    return await post_columns(core, path, columns, sent, cls)


async def post_columns(
    core: Core,
    path: Sequence[str | int],
    columns: str,
    sent: Mapping[str, Any],
    cls: type[T],
    *,
    retry: bool = True,
) -> T:
    """POST already validated ``columns``; the answer is the whole new record. ``retry=False``
    sends one attempt, for a caller that drives its attempts through ``Core.retrying``."""
    response = await core.request(
        "POST", path, params={"columns": columns}, idempotent=False, sent=sent, retry=retry
    )
    what = _Sent(method="POST", path=path, fields=sent)
    return _read_record(_answer_record(response, core, what), cls, response, core, what)


async def put_changes(
    core: Core,
    path: Sequence[str | int],
    table: Mapping[str, FieldSpec],
    fields: Mapping[str, Any],
    cls: type[T],
) -> RecordChanges[T]:
    """Validate and PUT ``fields``; the answer is what changed. A PUT sets absolute values, so
    sending it twice has the effect of sending it once: it is retried like a GET."""
    columns, sent = encode_write(table, fields, resource=str(path[0]))
    response = await core.request(
        "PUT", path, params={"columns": columns}, idempotent=True, sent=sent
    )
    what = _Sent(method="PUT", path=path, fields=sent)
    return _read_changes(_answer_record(response, core, what), cls, response, core, what)


async def delete_record(core: Core, path: Sequence[str | int]) -> bool:
    """``DELETE`` a record: True if the server said it removed it (any 2xx, body ignored),
    False if it said there is no such record (404).

    A DELETE removes the same record however often it arrives, so it is retried like a PUT (and
    aiohttp itself resends it once on a dropped keep-alive connection). A retry after a try that
    was applied gets 404: hence "already gone" is False, not an error. ASSUMPTION (see the
    README): Bouwsoft never reuses an id, so a repeated DELETE can't remove another record.
    """
    try:
        await core.request("DELETE", path, idempotent=True)
    except NotFoundError:
        return False
    return True


async def read_file_input(file: FileInput, filename: str | None) -> tuple[str, bytes]:
    """The name and bytes of a path, a bytes-like object or a binary file object."""
    if isinstance(file, (str, os.PathLike)):
        path = Path(file)
        content = await asyncio.to_thread(path.read_bytes)
        return filename or path.name, content
    if isinstance(file, (bytes, bytearray, memoryview)):
        if not filename:
            raise ValidationError("bytes need a filename= to upload under", field="filename")
        return filename, bytes(file)
    read = getattr(file, "read", None)
    if read is None:
        raise ValidationError(
            f"can't upload a {type(file).__name__}: give a path, bytes or a binary file",
            field="file",
        )
    content = read()
    if not isinstance(content, bytes):
        raise ValidationError("the file must be opened in binary mode ('rb')", field="file")
    name = filename or os.path.basename(str(getattr(file, "name", "")))
    if not name:
        raise ValidationError("this file object has no name: pass filename=", field="filename")
    return name, content


async def send_file(
    core: Core,
    method: str,
    path: Sequence[str | int],
    file: FileInput,
    filename: str | None,
    cls: type[T],
) -> T:
    """Upload one file as multipart ``file``; a POST is not retried once it may have arrived.

    The multipart body is aiohttp's, built afresh for each attempt (a form is sent once), with
    a random boundary, so no file content can collide with it.
    """
    name, content = await read_file_input(file, filename)
    name = check_upload_filename(name)

    def form() -> aiohttp.FormData:
        # the name as it is in the part's header (RFC 7578), not percent-quoted
        body = aiohttp.FormData(quote_fields=False)
        body.add_field("file", content, filename=name, content_type="application/octet-stream")
        return body

    sent = {"filename": name, "size": len(content)}
    response = await core.request(method, path, data=form, idempotent=method == "PUT", sent=sent)
    what = _Sent(method=method, path=path, fields=sent)
    return _read_record(_answer_record(response, core, what), cls, response, core, what)
