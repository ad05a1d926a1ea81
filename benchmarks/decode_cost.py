"""Benchmark 2: decoding and structuring one page of 500 invoices, against plain json.loads.

The cost of ``bouwsoft_async`` turning a page's bytes into 500 frozen ``SalesInvoice`` objects
(129 typed fields each, money as exact Decimal) as a ratio to stdlib ``json.loads`` of the same
bytes returning dicts. Every repetition decodes a page it has not seen before, as in a real
export. Also shown, for the record of why records are not built by cattrs' generated hooks: the
same pages through orjson and ``cattrs.gen.make_dict_structure_fn`` with the converter's own
scalar hooks, and the export's rows (``sales_invoices.rows()``), which build no models.
Target: at most 1.0x.
"""

from __future__ import annotations

import gc
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import attrs
import orjson
from _support import verdict
from cattrs.gen import make_dict_structure_fn, override

from bouwsoft_async import SalesInvoice
from bouwsoft_async._convert import SCALARS, converter
from bouwsoft_async._sales_invoices import sales_invoice_rows
from bouwsoft_async._walk import list_payload, model_reader
from bouwsoft_async.testing._invoices import invoice_ids, render_invoice

PAGE = 500
REPEATS = 21


def page_bytes(ids: list[int]) -> bytes:
    records = ",".join(render_invoice(i) for i in ids)
    content_range = f"0-{len(ids) - 1}/{len(ids)}"
    return ('{"Content-Range":"' + content_range + '","Records":[' + records + "]}").encode()


def cattrs_generated() -> Callable[[bytes], Any]:
    """What cattrs alone would do: its generated hook per model, the converter's scalar hooks
    (each named by its field), orjson in front."""
    attrs.resolve_types(SalesInvoice)
    overrides: dict[str, Any] = {"extra": override(omit=True)}
    for a in attrs.fields(SalesInvoice):
        if a.name != "extra":
            read = SCALARS[getattr(a.type, "__origin__", a.type)].read
            overrides[a.name] = override(struct_hook=lambda v, _, r=read, n=a.name: r(v, n))
    hook = make_dict_structure_fn(
        SalesInvoice, converter, _cattrs_detailed_validation=False, **overrides
    )

    def decode(body: bytes) -> Any:
        return [hook(record, SalesInvoice) for record in orjson.loads(body)["Records"]]

    return decode


def main() -> None:
    ids = invoice_ids(PAGE * (REPEATS + 1))
    pages = [page_bytes(ids[k * PAGE : (k + 1) * PAGE]) for k in range(REPEATS + 1)]
    typed = model_reader(SalesInvoice, list).decode
    generated = cattrs_generated()

    def rows(body: bytes) -> Any:
        return sales_invoice_rows(list_payload(body, [])[0])

    ways: dict[str, Callable[[bytes], Any]] = {
        "json.loads -> dicts": json.loads,
        "orjson.loads -> dicts": orjson.loads,
        "cattrs generated -> SalesInvoice": generated,
        "export rows (no models)": rows,
        "bouwsoft_async -> SalesInvoice": typed,
    }
    for decode in ways.values():
        decode(pages[-1])  # warm up: hooks built, first-call costs paid
    times: dict[str, list[float]] = {name: [] for name in ways}
    gc.collect()
    for body in pages[:REPEATS]:
        for name, decode in ways.items():
            started = time.perf_counter()
            result = decode(body)
            times[name].append(time.perf_counter() - started)
            del result
    records, _ = typed(pages[0])
    assert len(records) == PAGE
    assert isinstance(records[0], SalesInvoice)
    median = {name: statistics.median(values) for name, values in times.items()}
    size = statistics.median(len(b) for b in pages)
    loads = median["json.loads -> dicts"]
    print(f"decode_cost: one page of {PAGE} invoices ({size / 1e6:.2f} MB), median of {REPEATS}")
    for name, value in median.items():
        print(f"  {name:34} {value * 1e3:7.2f} ms  {value / loads:5.2f}x")
    verdict(
        "decode_cost",
        median["bouwsoft_async -> SalesInvoice"] / loads,
        1.0,
        what="SalesInvoice decode / json.loads",
    )


if __name__ == "__main__":
    main()
