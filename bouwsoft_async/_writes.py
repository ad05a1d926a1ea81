"""What every Bouwsoft write shares: validated ``columns``, the RecordChanges answer, files."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any, TypeVar, Union

from ._convert import decode_json, structure, structure_changes
from ._core import Core
from ._errors import DecodeError, ValidationError
from ._fields import FieldSpec, encode_write
from ._models import RecordChanges
from ._protocol import encode_file_upload, excerpt
from ._transport import Response

__all__ = [
    "FileInput",
    "post_columns",
    "post_record",
    "put_changes",
    "read_file_input",
    "send_file",
]

T = TypeVar("T")
FileInput = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, IO[bytes]]


def _the_record(response: Response, core: Core) -> Any:
    payload = decode_json(response.body, core.secrets())
    records = payload.get("RecordChanges") if isinstance(payload, Mapping) else None
    if not isinstance(records, list) or len(records) != 1:
        raise DecodeError(
            'expected {"RecordChanges": [one record]}',
            excerpt=excerpt(response.body, core.secrets()),
        )
    return records[0]


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
    core: Core, path: Sequence[str | int], columns: str, sent: Mapping[str, Any], cls: type[T]
) -> T:
    """POST already validated ``columns``; the answer is the whole new record."""
    response = await core.request(
        "POST", path, params={"columns": columns}, idempotent=False, sent=sent
    )
    return structure(_the_record(response, core), cls)


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
    return structure_changes(_the_record(response, core), cls)


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
    """Upload one file as multipart ``file``; a POST is not retried once it may have arrived."""
    name, content = await read_file_input(file, filename)
    body, content_type = encode_file_upload(name, content)
    response = await core.request(
        method,
        path,
        data=body,
        extra_headers={"Content-Type": content_type},
        idempotent=method == "PUT",
        sent={"filename": name, "size": len(content)},
    )
    return structure(_the_record(response, core), cls)
