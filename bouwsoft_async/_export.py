"""Bulk export of sales invoices to JSON Lines, JSON or CSV: ``rows()``'s pages (no models),
each written as the walk hands it over, so memory stays at the walk's few pages."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import operator
import os
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, Literal, get_args

import attrs
import orjson

from ._errors import DecodeError
from ._models import SalesInvoice
from ._output import Progress, open_output, resolve_output

__all__ = [
    "FIELD_NAMES",
    "FORMATS",
    "Format",
    "export_sales_invoices",
]

Format = Literal["jsonl", "json", "csv"]
FORMATS: tuple[Format, ...] = get_args(Format)
FIELD_NAMES: tuple[str, ...] = tuple(
    a.name for a in attrs.fields(SalesInvoice) if a.name != "extra"
)
_row_values = operator.itemgetter(*FIELD_NAMES)
_KNOWN = frozenset(FIELD_NAMES)
Rows = Sequence[dict[str, Any]]


def _json(row: dict[str, Any], option: int = 0) -> bytes:
    try:
        return orjson.dumps(row, option=option)
    except orjson.JSONEncodeError:
        # an integer past 64 bits (only in extra, from a body orjson could not parse): stdlib
        text = json.dumps(row, ensure_ascii=False, separators=(",", ":"))
        return (text + "\n" if option else text).encode()


def _json_lines(rows: Rows, written: int) -> Iterable[bytes]:
    """One JSON object a line (UTF-8, no spaces)."""
    return (_json(row, orjson.OPT_APPEND_NEWLINE) for row in rows)


def _json_array(rows: Rows, written: int) -> Iterable[bytes]:
    """One JSON array, an invoice a line, still written as the invoices arrive."""
    for row in rows:
        yield b",\n" if written else b"\n"
        yield _json(row)
        written += 1


def _csv(lines: Sequence[list[Any]]) -> bytes:
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(lines)
    written = text.getvalue()
    if "\r" in written:
        # the csv module quotes a field for the characters of its line terminator only: a lone
        # "\r" in a text would be written bare, and readers end the row there. Such rows are
        # written again with every field quoted (the rows are lists: they can be read twice)
        text = io.StringIO()
        minimal = csv.writer(text, lineterminator="\n")
        quoted = csv.writer(text, lineterminator="\n", quoting=csv.QUOTE_ALL)
        for line in lines:
            carriage_return = any(value.__class__ is str and "\r" in value for value in line)
            (quoted if carriage_return else minimal).writerow(line)
        written = text.getvalue()
    return written.encode()


def _csv_rows(rows: Rows, written: int) -> Iterable[bytes]:
    """One column per field (booleans ``true``/``false``, None empty), plus ``extra``: the
    unknown fields as a JSON object, if any."""
    lines = []
    for row in rows:
        # the csv module writes None as an empty field
        line = [
            "true" if value is True else "false" if value is False else value
            for value in _row_values(row)
        ]
        extra = ""
        if len(row) > len(_KNOWN):  # a row holds every model field: the rest are unknown
            unknown = {key: value for key, value in row.items() if key not in _KNOWN}
            extra = json.dumps(unknown, ensure_ascii=False)
        line.append(extra)
        lines.append(line)
    return (_csv(lines),)


def _not_utf8(rows: Rows) -> DecodeError:
    """The error of a page with text that UTF-8 can't write: a lone surrogate, which a server
    can send as a JSON escape (``"\\udc80"``) and only the stdlib parser lets through."""
    for row in rows:
        for name, value in row.items():
            try:
                json.dumps(value, ensure_ascii=False).encode()
            except UnicodeEncodeError:
                return DecodeError(
                    f"sales invoice {row.get('id')}: field {name!r} holds text that is not "
                    "Unicode (a lone surrogate); UTF-8 can't write it, so the export stops"
                )
    return DecodeError("a page holds text that UTF-8 can't write, so the export stops")


# per format: what comes first, a page's pieces (given how many rows came before; written a
# row at a time, never gathered in a page-sized buffer), what comes last
Layout = tuple[bytes, Callable[[Rows, int], Iterable[bytes]], Callable[[int], bytes]]
_LAYOUTS: dict[str, Layout] = {
    "jsonl": (b"", _json_lines, lambda written: b""),
    "json": (b"[", _json_array, lambda written: b"\n]\n" if written else b"]\n"),
    "csv": (_csv([[*FIELD_NAMES, "extra"]]), _csv_rows, lambda written: b""),
}


async def export_sales_invoices(
    invoices: Any,
    path: str | os.PathLike[str],
    *,
    format: Format = "jsonl",
    filter: str | None = None,
    since: datetime | None = None,
    concurrency: int = 8,
    page_size: int = 500,
    progress: Progress | None = None,
) -> int:
    """Write every matching invoice of ``invoices`` (a ``SalesInvoices`` endpoint) to ``path``
    and return how many; the file appears only when the export succeeded (``-``: stdout)."""
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
    resolve_output(path)  # a name that can't be written fails before any request
    total = await invoices.count(filter=filter, since=since)
    progress = progress or Progress(enabled=False)
    progress.start(total)
    written = 0
    head, page_pieces, tail = _LAYOUTS[format]
    with open_output(path) as stream:
        stream.write(head)
        pages = invoices._row_pages(
            filter=filter, since=since, concurrency=concurrency, page_size=page_size
        )
        async with contextlib.aclosing(pages):
            async for page in pages:
                try:
                    stream.writelines(page_pieces(page.records, written))
                except UnicodeEncodeError:
                    error = _not_utf8(page.records)
                    raise error from None
                written += len(page.records)
                progress.advance(len(page.records))
        stream.write(tail(written))
    progress.finish()
    return written
