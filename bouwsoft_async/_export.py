"""Bulk export of sales invoices to JSON Lines or CSV, written atomically, with progress.

The file is written under a temporary name next to the target and renamed at the end, so a
failed or interrupted export never leaves a half file that looks whole. Memory stays at the
parallel walk's few pages: invoices are written as they arrive.
"""

from __future__ import annotations

import contextlib
import csv
import json
import operator
import os
import secrets
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, TextIO

import attrs

from ._models import SalesInvoice

__all__ = ["FIELD_NAMES", "Progress", "export_sales_invoices", "invoice_row"]

Format = Literal["jsonl", "csv"]
FORMATS: tuple[Format, ...] = ("jsonl", "csv")
FIELD_NAMES: tuple[str, ...] = tuple(
    a.name for a in attrs.fields(SalesInvoice) if a.name != "extra"
)

# -- values ----------------------------------------------------------------------------------


def _decimal_text(value: Decimal) -> str:
    text = str(value)
    # str() switches to exponent notation for tiny or huge values; the file wants plain digits
    return format(value, "f") if "E" in text else text


def _plain(value: Any) -> Any:
    """A JSON-ready value: Decimal as exact text, dates in ISO form, containers walked."""
    cls = value.__class__
    if cls is Decimal:
        return _decimal_text(value)
    if cls is date:
        return value.isoformat()
    if cls is datetime:
        return value.isoformat(sep=" ")
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


_TEXT: dict[type, Callable[[Any], Any]] = {
    Decimal: _decimal_text,
    date: date.isoformat,
    datetime: lambda v: v.isoformat(sep=" "),
}
_values = operator.attrgetter(*FIELD_NAMES)


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


# -- writers ---------------------------------------------------------------------------------


class _JsonLines:
    def __init__(self, stream: TextIO) -> None:
        self._write = stream.write
        self._encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

    def write(self, invoice: SalesInvoice) -> None:
        self._write(self._encode(invoice_row(invoice)) + "\n")


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


# -- progress --------------------------------------------------------------------------------


class Progress:
    """A one-line progress bar on a stream: count, share, rate and time left.

    It draws at most ten times a second and only when ``enabled``; the caller decides (a TTY,
    or asked for), so pipes and tests stay clean.
    """

    def __init__(
        self,
        *,
        stream: TextIO | None = None,
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total: int | None = None
        self.done = 0
        self._stream = stream if stream is not None else sys.stderr
        self._enabled = enabled
        self._clock = clock
        self._started = clock()
        self._drawn_at = -1.0

    def start(self, total: int | None) -> None:
        self.total = total
        self._started = self._clock()
        self._draw(force=True)

    def advance(self, n: int) -> None:
        self.done += n
        self._draw()

    def finish(self) -> None:
        self._draw(force=True)
        if self._enabled:
            self._stream.write("\n")
            self._stream.flush()

    def line(self) -> str:
        """The bar as text (without the carriage return)."""
        elapsed = max(self._clock() - self._started, 1e-9)
        rate = self.done / elapsed
        total = self.total
        if total:
            share = min(self.done / total, 1.0)
            width = 24
            filled = round(share * width)
            bar = "#" * filled + "-" * (width - filled)
            left = max(total - self.done, 0) / rate if rate > 0 else None
            eta = _clock_text(left) if left is not None else "--:--"
            return f"[{bar}] {self.done:,}/{total:,} {share:4.0%}  {rate:,.0f}/s  {eta} left"
        return f"{self.done:,} invoices  {rate:,.0f}/s  {_clock_text(elapsed)}"

    def _draw(self, *, force: bool = False) -> None:
        if not self._enabled:
            return
        now = self._clock()
        if not force and now - self._drawn_at < 0.1:
            return
        self._drawn_at = now
        self._stream.write("\r" + self.line() + "\x1b[K")
        self._stream.flush()


def _clock_text(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


# -- the export ------------------------------------------------------------------------------


@contextlib.contextmanager
def atomic_text_file(path: Path) -> Iterator[TextIO]:
    """A text stream under a temporary name beside ``path``; renamed to ``path`` only when
    the block ends without an exception, removed otherwise."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    try:
        # mode "x" (not mkstemp) so the file gets the usual permissions from the umask
        with open(temporary, "x", encoding="utf-8", newline="") as stream:
            yield stream
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


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

    Returns how many were written. The file appears only when the export succeeded.
    """
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
    target = Path(path)
    total = await invoices.count(filter=filter, since=since)
    progress = progress or Progress(enabled=False)
    progress.start(total)
    written = 0
    with atomic_text_file(target) as stream:
        writer = _JsonLines(stream) if format == "jsonl" else _Csv(stream)
        pages = invoices.pages(
            filter=filter, since=since, concurrency=concurrency, page_size=page_size
        )
        async with contextlib.aclosing(pages):
            async for page in pages:
                write = writer.write
                for invoice in page.records:
                    write(invoice)
                written += len(page.records)
                progress.advance(len(page.records))
    progress.finish()
    return written


def first_invoices(rows: Iterable[SalesInvoice]) -> list[str]:
    """Lines of ``id nr date amountinclvat`` for ``bouwsoft demo``."""
    return [f"{i.id:>8} {i.nr:>10} {i.date or ''!s:>10} {i.amountinclvat:>13}" for i in rows]
