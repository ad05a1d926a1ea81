"""What every Bouwsoft write shares: validated ``columns``, the RecordChanges answer, files.

After a 2xx the write WAS applied, so reading its answer never hides that: a value that can't be
read as its type is kept raw in the record's ``extra`` (a warning is logged), and an answer that
can't be read at all raises WriteAppliedError, which says so and carries the raw answer.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import IO, Any, TypeVar, Union

import aiohttp
import attrs

from ._convert import decode_json, structure, structure_changes, try_decode_json
from ._core import Core, api_error
from ._errors import DecodeError, ValidationError, WriteAppliedError
from ._fields import encode_write
from ._models import RecordChanges
from ._protocol import check_upload_filename, redact, redact_error, vendor_error_of
from ._transport import Response
from ._types import Wire

__all__ = [
    "Answer",
    "FileInput",
    "delete",
    "read_file_input",
    "send",
    "send_file",
    "typed_as",
    "write",
]

T = TypeVar("T")
FileInput = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, IO[bytes]]
logger = logging.getLogger("bouwsoft_async")


@attrs.frozen(kw_only=True)
class Answer:
    """The 2xx answer to a write, read so that it never hides that the write was applied."""

    method: str
    path: str
    sent: Mapping[str, Any]
    response: Response
    secrets: list[str]

    def applied_error(self, message: str) -> WriteAppliedError:
        # the raw answer, redacted; surrogateescape keeps every other byte as it came
        body = self.response.body.decode("utf-8", "surrogateescape")
        return WriteAppliedError(
            message,
            method=self.method,
            path=self.path,
            status=self.response.status,
            body=redact(body, self.secrets).encode("utf-8", "surrogateescape"),
            sent=self.sent,
        )

    def raise_vendor_error(self, payload: Any) -> None:
        """Raise the vendor's error record in the answer as its APIError, if it holds one."""
        vendor = vendor_error_of(payload)
        if vendor is not None:
            # an error record is an error whatever the HTTP status: never read as a created record
            raise api_error(
                vendor.code,
                method=self.method,
                path=self.path,
                body=self.response.body,
                secrets=self.secrets,
                message=vendor.description,
                request_id=vendor.request_id,
            )

    def record(self) -> dict[str, Any]:
        """The one record of the answer ``{"RecordChanges": [record]}``."""
        try:
            payload = decode_json(self.response.body, self.secrets)
        except DecodeError as exc:
            raise self.applied_error("its answer is not JSON") from exc
        self.raise_vendor_error(payload)
        records = payload.get("RecordChanges") if isinstance(payload, Mapping) else None
        if not isinstance(records, list) or len(records) != 1 or not isinstance(records[0], dict):
            raise self.applied_error('its answer is not {"RecordChanges": [one record]}')
        return records[0]

    def changes(
        self, cls: type[T], record: dict[str, Any] | None = None, *, record_id: int | None = None
    ) -> RecordChanges[T]:
        """What the answer says changed; an unreadable value stays raw in ``extra``. With
        ``record_id`` (a PUT's), an answer about another record is not this write's."""
        if record is None:
            record = self.record()
        unreadable: DecodeError | None = None
        try:
            changes = structure_changes(record, cls)
        except DecodeError as exc:
            # the converter's error quotes the record, which may echo a secret: redacted, and
            # raised outside the except block so that nothing chained keeps the original
            unreadable = redact_error(exc, self.secrets)
        if unreadable is not None:
            raise self.applied_error("its answer has no readable id") from unreadable
        if record_id is not None and changes.id != record_id:
            # never another record's fields (its derived totals) taken for this one's
            raise self.applied_error(f"its answer is about record {changes.id}, not {record_id}")
        if changes.extra:
            logger.warning(
                "%s %s was applied; answer fields kept raw in extra, unreadable: %s",
                self.method,
                self.path,
                ", ".join(sorted(changes.extra)),
            )
        return attrs.evolve(changes, sent=typed_as(cls, self.sent))

    def whole(self, cls: type[T]) -> T:
        """The whole record of the answer; field by field if it does not read as a whole."""
        record = self.record()
        try:
            return structure(record, cls)
        except DecodeError:
            pass
        changes = self.changes(cls, record)
        model: Any = cls
        names = [a.name for a in attrs.fields(model) if a.name != "extra"]
        missing = [name for name in names if name not in record and name != "id"]
        if missing:
            logger.warning(
                "%s %s was applied; its answer lacks %s (None in the record)",
                self.method,
                self.path,
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


def _as_answered(value: Any) -> Any:
    """A value sent as an answer holds it: a date as its text, a subclass (a str or int Enum, a
    Decimal subclass), which the readers take for no value of its field, as its plain value."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return str.__str__(value)  # str() of a str Enum is its member's name
    if isinstance(value, Decimal):
        return Decimal(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    return value


def typed_as(cls: type, sent: Mapping[str, Any]) -> Mapping[str, Any]:
    """The fields a write sent, typed as ``cls`` types them: read as an answer holding them
    would be (a date as its wire text, an int amount as a Decimal)."""
    wire = {name: _as_answered(value) for name, value in sent.items()}
    return structure_changes({"id": 0, **wire}, cls).fields


async def send(
    core: Core, method: str, path: Sequence[str | int], sent: Mapping[str, Any], **request: Any
) -> Answer:
    """Send a write (``request``: ``Core.request``'s arguments) and keep its 2xx answer."""
    # a POST is never resent once it may have arrived; a PUT or DELETE sets absolute values, so
    # sending it twice has the effect of sending it once: it is retried like a GET
    response = await core.request(method, path, idempotent=method != "POST", sent=sent, **request)
    return Answer(
        method=method,
        path="/" + "/".join(map(str, path)),
        sent=sent,
        response=response,
        secrets=list(core.secrets()),
    )


async def delete(core: Core, path: Sequence[str | int]) -> None:
    """Send a DELETE (retried like a PUT); its answer need not be JSON (204: none), but the
    vendor's error record in it raises its APIError, whatever the HTTP status."""
    answer = await send(core, "DELETE", path, {})
    answer.raise_vendor_error(try_decode_json(answer.response.body))


async def write(
    core: Core,
    method: str,
    path: Sequence[str | int],
    table: Mapping[str, Wire],
    fields: Mapping[str, Any],
) -> Answer:
    """Validate ``fields`` against ``table`` and send them as ``columns`` (POST or PUT)."""
    columns, sent = encode_write(table, fields, resource=str(path[0]))
    return await send(core, method, path, sent, params={"columns": columns})


async def read_file_input(file: FileInput, filename: str | None) -> tuple[str, bytes]:
    """The checked name and the bytes of a path, a bytes-like object or a binary file object;
    the name is checked first, so a refused call has not read (used up) the user's file."""
    if isinstance(file, (str, os.PathLike)):
        path = Path(file)
        return check_upload_filename(filename or path.name), await asyncio.to_thread(
            path.read_bytes
        )
    if isinstance(file, (bytes, bytearray, memoryview)):
        if not filename:
            raise ValidationError("bytes need a filename= to upload under", field="filename")
        return check_upload_filename(filename), bytes(file)
    if not hasattr(file, "read"):
        raise ValidationError(
            f"can't upload a {type(file).__name__}: give a path, bytes or a binary file",
            field="file",
        )
    name = filename
    own_name = getattr(file, "name", None)
    # a file opened by a bytes path has bytes for a name, one opened from a descriptor its number
    if not name and isinstance(own_name, (str, bytes, os.PathLike)):
        name = os.path.basename(os.fsdecode(own_name))
    if not name:
        raise ValidationError("this file object has no name: pass filename=", field="filename")
    name = check_upload_filename(name)
    content = file.read()
    if not isinstance(content, bytes):
        raise ValidationError("the file must be opened in binary mode ('rb')", field="file")
    return name, content


async def send_file(
    core: Core,
    method: str,
    path: Sequence[str | int],
    file: FileInput,
    filename: str | None,
    cls: type[T],
) -> T:
    """Upload one file as multipart ``file``; a POST is not retried once it may have arrived."""
    name, content = await read_file_input(file, filename)

    def form() -> aiohttp.FormData:
        # aiohttp's multipart body, built afresh for each attempt, with a random boundary; the
        # name as it is in the part's header (RFC 7578), not percent-quoted; a stream, as
        # aiohttp wants a part over 1 MiB (bytes that large: a ResourceWarning)
        body = aiohttp.FormData(quote_fields=False)
        file = io.BytesIO(content)
        body.add_field("file", file, filename=name, content_type="application/octet-stream")
        return body

    answer = await send(core, method, path, {"filename": name, "size": len(content)}, data=form)
    return answer.whole(cls)
