"""Bulk export of sales invoices to JSON Lines or CSV, written atomically, with progress.

The file and the progress bar live in ``_output``: the file is written under a temporary name
and renamed at the end, so a failed or interrupted export never leaves a half file that looks
whole. Memory stays at the parallel walk's few pages: invoices are written as they arrive.
"""

from __future__ import annotations

import csv
import json
import operator
import os
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, TextIO

import attrs
import orjson

from ._convert import ROW_TEXT, decimal_text, record_rows
from ._models import SalesInvoice
from ._output import Progress, open_output

__all__ = [
    "FIELD_NAMES",
    "Progress",
    "export_sales_invoices",
    "invoice_row",
    "sales_invoice_rows",
]

Format = Literal["jsonl", "json", "csv"]
FORMATS: tuple[Format, ...] = ("jsonl", "json", "csv")
FIELD_NAMES: tuple[str, ...] = tuple(
    a.name for a in attrs.fields(SalesInvoice) if a.name != "extra"
)

# -- values ----------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A JSON-ready value: Decimal as exact text, dates in ISO form, containers walked."""
    cls = value.__class__
    if cls is Decimal:
        return decimal_text(value)
    if cls is date:
        return value.isoformat()
    if cls is datetime:
        return value.isoformat(sep=" ")
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


_TEXT = ROW_TEXT
_values = operator.attrgetter(*FIELD_NAMES)
_row_values = operator.itemgetter(*FIELD_NAMES)
_KNOWN = frozenset(FIELD_NAMES)


def invoice_row(invoice: SalesInvoice) -> dict[str, Any]:
    """An invoice as plain data under its wire names (Decimal as exact text, dates as ISO);
    fields the model does not know yet follow the known ones."""
    text = _TEXT
    row = {
        name: (value if (f := text.get(value.__class__)) is None else f(value))
        for name, value in zip(FIELD_NAMES, _values(invoice), strict=True)
    }
    if invoice.extra:
        for key, value in invoice.extra.items():
            row[key] = _plain(value)
    return row


def sales_invoice_rows(records: list[Any]) -> list[dict[str, Any]]:
    """A page's raw invoices (parsed JSON) as the rows ``invoice_row`` makes of their models,
    without building the models: each value read by the converter's rules, then written as
    text where ``invoice_row`` writes text (each distinct amount and date once a page)."""
    return record_rows(records, SalesInvoice, _TEXT)


# -- writers ---------------------------------------------------------------------------------


def _json_line(row: dict[str, Any]) -> bytes:
    try:
        return orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE)
    except orjson.JSONEncodeError:
        # an integer past 64 bits (only in extra, from a body orjson could not parse): stdlib
        line = json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n"
        return line.encode("utf-8")


class _JsonLines:
    """One JSON object per line, written by orjson (UTF-8, no spaces, like the old writer)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._write = stream.write
        # orjson writes UTF-8 bytes: a UTF-8 file takes them as they are
        buffer = getattr(stream, "buffer", None)
        utf8 = (getattr(stream, "encoding", "") or "").lower().replace("-", "") == "utf8"
        self._buffer = buffer if utf8 else None

    def write(self, invoice: SalesInvoice) -> None:
        self._write(_json_line(invoice_row(invoice)).decode("utf-8"))

    def write_rows(self, rows: Iterable[dict[str, Any]]) -> None:
        data = b"".join(map(_json_line, rows))
        if self._buffer is not None:
            self._stream.flush()  # what was written as text goes first
            self._buffer.write(data)
        else:
            self._write(data.decode("utf-8"))

    def finish(self) -> None:
        pass


class _JsonArray:
    """One JSON array, an invoice a line, still written as the invoices arrive."""

    def __init__(self, stream: TextIO) -> None:
        self._write = stream.write
        self._separator = "[\n"

    def write(self, invoice: SalesInvoice) -> None:
        self.write_rows([invoice_row(invoice)])

    def write_rows(self, rows: Iterable[dict[str, Any]]) -> None:
        lines = [_json_line(row)[:-1].decode("utf-8") for row in rows]
        if lines:
            self._write(self._separator + ",\n".join(lines))
            self._separator = ",\n"

    def finish(self) -> None:
        self._write("[]\n" if self._separator == "[\n" else "\n]\n")


_CSV_TEXT: dict[Any, Callable[[Any], str]] = {
    **_TEXT,
    bool: lambda v: "true" if v else "false",
    type(None): lambda v: "",
}


class _Csv:
    """One column per field, plus ``extra``: the unknown fields as a JSON object, if any."""

    def __init__(self, stream: TextIO) -> None:
        self._writer = csv.writer(stream, lineterminator="\n")
        self._writer.writerow([*FIELD_NAMES, "extra"])

    def write(self, invoice: SalesInvoice) -> None:
        text = _CSV_TEXT
        row = [
            value if (f := text.get(value.__class__)) is None else f(value)
            for value in _values(invoice)
        ]
        row.append(json.dumps(_plain(invoice.extra), ensure_ascii=False) if invoice.extra else "")
        self._writer.writerow(row)

    def write_rows(self, rows: Iterable[dict[str, Any]]) -> None:
        text = _CSV_TEXT
        size = len(FIELD_NAMES)
        lines = []
        for row in rows:
            line = [
                value if (f := text.get(value.__class__)) is None else f(value)
                for value in _row_values(row)
            ]
            extra = {k: v for k, v in row.items() if k not in _KNOWN} if len(row) > size else None
            line.append(json.dumps(extra, ensure_ascii=False) if extra else "")
            lines.append(line)
        self._writer.writerows(lines)

    def finish(self) -> None:
        pass


_WRITERS: dict[str, Callable[[TextIO], _JsonLines | _JsonArray | _Csv]] = {
    "jsonl": _JsonLines,
    "json": _JsonArray,
    "csv": _Csv,
}


# -- the export ------------------------------------------------------------------------------


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
    """Write every matching invoice of ``invoices`` (a ``SalesInvoices`` endpoint) to ``path``.

    Returns how many were written. The file appears only when the export succeeded; ``-``
    streams to stdout (see ``_output``).
    """
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
    total = await invoices.count(filter=filter, since=since)
    progress = progress or Progress(enabled=False)
    progress.start(total)
    written = 0
    with open_output(path) as stream:
        writer = _WRITERS[format](stream)
        # rows straight from the wire: the same values as through the models, without them
        pages = invoices._row_pages(
            filter=filter, since=since, concurrency=concurrency, page_size=page_size
        )
        try:
            async for page in pages:
                writer.write_rows(page.records)
                written += len(page.records)
                progress.advance(len(page.records))
        finally:
            await pages.aclose()
        writer.finish()
    progress.finish()
    return written


def first_invoices(rows: Iterable[SalesInvoice]) -> list[str]:
    """Lines of ``id nr date amountinclvat`` for ``bouwsoft demo``."""
    return [f"{i.id:>8} {i.nr:>10} {i.date or ''!s:>10} {i.amountinclvat:>13}" for i in rows]
