"""Benchmark 2: decoding and structuring one page of 500 invoices, against plain json.loads.

The cost of ``bouwsoft_async`` turning a page's bytes into 500 frozen ``SalesInvoice`` objects
(124 typed fields each, money as exact Decimal) as a ratio to stdlib ``json.loads`` of the same
bytes returning dicts. Every repetition decodes a page it has not seen before, so the amount
memos hold only what repeats across invoices (0.0, VAT rates, dates), as in a real export.
Target: at most 2.0x (stretch 1.5x).
"""

from __future__ import annotations

import gc
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _support import verdict

from bouwsoft_async import SalesInvoice
from bouwsoft_async._listing import _page_from_body
from bouwsoft_async.testing._invoices import invoice_ids, render_invoice

PAGE = 500
REPEATS = 21


def page_bytes(ids: list[int]) -> bytes:
    records = ",".join(render_invoice(i) for i in ids)
    content_range = f"0-{len(ids) - 1}/{len(ids)}"
    return ('{"Content-Range":"' + content_range + '","Records":[' + records + "]}").encode()


def main() -> None:
    ids = invoice_ids(PAGE * (REPEATS + 1))
    pages = [page_bytes(ids[k * PAGE : (k + 1) * PAGE]) for k in range(REPEATS + 1)]
    _page_from_body(pages[-1], SalesInvoice, [])  # build the generated hook once
    loads_times, decode_times = [], []
    gc.collect()
    for body in pages[:REPEATS]:
        started = time.perf_counter()
        json.loads(body)
        loads_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        page = _page_from_body(body, SalesInvoice, [])
        decode_times.append(time.perf_counter() - started)
        assert len(page.records) == PAGE
        assert isinstance(page.records[0], SalesInvoice)
    loads = statistics.median(loads_times)
    decode = statistics.median(decode_times)
    size = statistics.median(len(b) for b in pages)
    print(f"decode_cost: one page of {PAGE} invoices ({size / 1e6:.2f} MB), median of {REPEATS}")
    print(f"  json.loads -> dicts            {loads * 1e3:7.2f} ms")
    print(f"  bouwsoft_async -> SalesInvoice {decode * 1e3:7.2f} ms")
    ratio = decode / loads
    stretch = "stretch 1.5x met" if ratio <= 1.5 else "stretch 1.5x not met"
    print(f"  ({stretch})")
    verdict("decode_cost", ratio, 2.0, what="SalesInvoice decode / json.loads")


if __name__ == "__main__":
    main()
