"""Bulk export of sales invoices to JSON Lines, JSON or CSV, written atomically, with progress.

The invoices are written page by page as the walk hands them over, as rows (``rows()``'s, no
models), so memory stays at the parallel walk's few pages; the file itself is ``_output``'s.
"""

from __future__ import annotations

import csv
import io
import json
import operator
import os
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, BinaryIO, Literal

import attrs
import orjson

from ._convert import ROW_TEXT, _plain_value, record_rows
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
_values = operator.attrgetter(*FIELD_NAMES)
_row_values = operator.itemgetter(*FIELD_NAMES)
_KNOWN = frozenset(FIELD_NAMES)


def invoice_row(invoice: SalesInvoice) -> dict[str, Any]:
    """An invoice as the export writes it: its fields under their wire names, then the fields
    the model does not know (Decimal as exact text, dates as ISO)."""
    row = dict(zip(FIELD_NAMES, _values(invoice), strict=True))
    row.update(invoice.extra)
    plain: dict[str, Any] = _plain_value(row, ROW_TEXT)
    return plain


def sales_invoice_rows(records: list[Any]) -> list[dict[str, Any]]:
    """A page's raw invoices (parsed JSON) as the rows ``invoice_row`` makes of their models,
    without building the models."""
    return record_rows(records, SalesInvoice, ROW_TEXT)


def _json(row: dict[str, Any]) -> bytes:
    try:
        return orjson.dumps(row)
    except orjson.JSONEncodeError:
        # an integer past 64 bits (only in extra, from a body orjson could not parse): stdlib
        return json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode()


class _JsonLines:
    """One JSON object per line (UTF-8, no spaces)."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    def write_rows(self, rows: Iterable[dict[str, Any]]) -> None:
        # a page in one write, each row's orjson buffer (64 KB, whatever the row) freed at once
        data = bytearray()
        for row in rows:
            data += _json(row)
            data += b"\n"
        self._stream.write(data)

    def finish(self) -> None:
        pass


class _JsonArray:
    """One JSON array, an invoice a line, still written as the invoices arrive."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._separator = b"[\n"

    def write_rows(self, rows: Iterable[dict[str, Any]]) -> None:
        data = bytearray()
        for row in rows:
            data += self._separator
            data += _json(row)
            self._separator = b",\n"
        self._stream.write(data)

    def finish(self) -> None:
        self._stream.write(b"[]\n" if self._separator == b"[\n" else b"\n]\n")


class _Csv:
    """One column per field (booleans ``true``/``false``), plus ``extra``: the unknown fields
    as a JSON object, if any."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._write_lines([[*FIELD_NAMES, "extra"]])

    def write_rows(self, rows: Iterable[dict[str, Any]]) -> None:
        lines = []
        for row in rows:
            line = [_csv_text(value) for value in _row_values(row)]
            extra = ""
            if len(row) > len(_KNOWN):  # a row holds every model field: the rest are unknown
                unknown = {key: value for key, value in row.items() if key not in _KNOWN}
                extra = json.dumps(unknown, ensure_ascii=False)
            lines.append([*line, extra])
        self._write_lines(lines)

    def _write_lines(self, lines: list[list[Any]]) -> None:
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows(lines)
        self._stream.write(text.getvalue().encode())

    def finish(self) -> None:
        pass


def _csv_text(value: Any) -> Any:
    if value.__class__ is bool:
        return "true" if value else "false"
    return value  # the csv module writes None as an empty field


_WRITERS: dict[str, Callable[[BinaryIO], _JsonLines | _JsonArray | _Csv]] = {
    "jsonl": _JsonLines,
    "json": _JsonArray,
    "csv": _Csv,
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
    total = await invoices.count(filter=filter, since=since)
    progress = progress or Progress(enabled=False)
    progress.start(total)
    written = 0
    with open_output(path) as stream:
        writer = _WRITERS[format](stream)
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
