"""Benchmark 1: a bulk walk over a WAN-like server, sequential vs parallel vs the floor.

20,000 invoices, page size 500, the fake in a separate process answering each request after
``latency=0.03 s`` plus ``latency_per_record=0.0004 s`` per record (a full page: 0.23 s). The
floor is ``ceil(pages / 8) x`` one page's server time: what eight perfectly packed connections
would need. Targets: parallel >= 5x faster than sequential, and within 1.2x of the floor. The
requests each walk sent are counted on the client's side (a transport that counts): page
requests and ``limit=1`` probes.

For scale, the same run also times two bare clients over the same wire: aiohttp + orjson, eight
workers each walking five whole pages of a cut it knows in advance (no probes), each asking for
its next page before it reads the one it has. One keeps the dicts as received; the other also
fills a ``SalesInvoice`` per record in the cheapest way Python allows (slots set column by
column, no checks, no conversions: not a usable decoder, a lower bound for one). They show what
this machine and this fake allow a client that builds models: the last eight pages are decoded
after the server's time is over, one at a time on one core, and the fake builds every page in
Python on the other.

The parallel walk takes under two seconds, so a noisy neighbour on a shared machine moves it by
a tenth; it runs five times and the median counts (every time is printed). The sequential walk
takes ten seconds and runs once.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import logging
import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import aiohttp
import orjson
from _support import ACCESS_TOKEN, CLIENT_NR, fake_server, verdict

from bouwsoft_async import AiohttpTransport, BouwsoftClient, Request, Response, SalesInvoice
from bouwsoft_async.testing._invoices import invoice_ids

INVOICES = 20_000
PAGE_SIZE = 500
CONCURRENCY = 8
LATENCY = 0.03
LATENCY_PER_RECORD = 0.0004
PARALLEL_RUNS = 5


class CountingTransport(AiohttpTransport):
    """The usual transport, counting the requests it sends."""

    def __init__(self) -> None:
        super().__init__(max_concurrency=CONCURRENCY)
        self.sent = 0

    async def send(self, request: Request) -> Response:
        self.sent += 1
        return await super().send(request)


class ProbeCounter(logging.Handler):
    """Sums the probes each walk's plan reports (DEBUG records of ``bouwsoft_async``)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.probes = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.probes += getattr(record, "walk_probes", 0)


async def walk(url: str, concurrency: int) -> tuple[float, int, int, int]:
    """Seconds, invoices seen, page requests and probes of one walk."""
    transport = CountingTransport()
    counter = ProbeCounter()
    logger = logging.getLogger("bouwsoft_async")
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    try:
        async with BouwsoftClient(
            client_nr=CLIENT_NR,
            access_token=ACCESS_TOKEN,
            base_url=url,
            max_concurrency=CONCURRENCY,
            transport=transport,
        ) as client:
            await client.sales_invoices.count()  # connect and build the decoder outside the timing
            transport.sent = 0
            started = time.perf_counter()
            seen = 0
            pages = client.sales_invoices.pages(page_size=PAGE_SIZE, concurrency=concurrency)
            async for page in pages:
                seen += len(page.records)
            elapsed = time.perf_counter() - started
    finally:
        logger.removeHandler(counter)
    return elapsed, seen, transport.sent - counter.probes, counter.probes


def _fill(body: bytes) -> int:
    """A page's records as ``SalesInvoice`` objects the cheapest way: slots set column by
    column from the parser's dicts, nothing checked or converted."""
    records = orjson.loads(body)["Records"]
    built = [object.__new__(SalesInvoice) for _ in records]
    flat = list(itertools.chain.from_iterable(map(dict.values, records)))
    width = len(records[0])
    slots = [getattr(SalesInvoice, name) for name in records[0]]
    for column, slot in enumerate(slots):
        collections.deque(
            itertools.starmap(slot.__set__, zip(built, flat[column::width], strict=True)),
            maxlen=0,
        )
    return len(built)


def _dicts(body: bytes) -> int:
    return len(orjson.loads(body)["Records"])


async def bare_walk(url: str, read: Callable[[bytes], int]) -> float:
    """Seconds of a bare aiohttp + orjson client walking the same pages with perfect cuts,
    asking for each next page before it reads the one it has."""
    ids = invoice_ids(INVOICES)
    starts = [0] + [ids[k * PAGE_SIZE - 1] for k in range(1, math.ceil(INVOICES / PAGE_SIZE))]
    per_worker = math.ceil(len(starts) / CONCURRENCY)
    headers = {"Clientnr": str(CLIENT_NR), "AccessToken": ACCESS_TOKEN}
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def get(after: int, limit: int) -> bytes:
            query = f"limit={limit}&sort=id&filter=id%20gt%20{after}"
            async with session.get(f"{url}/SalesInvoices/?{query}", headers=headers) as answer:
                return await answer.read()

        await get(0, 1)  # connect outside the timing
        started = time.perf_counter()

        async def worker(first: int) -> int:
            mine = starts[first : first + per_worker]
            seen = 0
            ahead = asyncio.ensure_future(get(mine[0], PAGE_SIZE))
            for index in range(len(mine)):
                body = await ahead
                if index + 1 < len(mine):
                    ahead = asyncio.ensure_future(get(mine[index + 1], PAGE_SIZE))
                    await asyncio.sleep(0)
                seen += read(body)
            return seen

        seen = await asyncio.gather(*(worker(k) for k in range(0, len(starts), per_worker)))
        elapsed = time.perf_counter() - started
    assert sum(seen) == INVOICES, seen
    return elapsed


def main() -> None:
    pages = math.ceil(INVOICES / PAGE_SIZE)
    page_time = LATENCY + PAGE_SIZE * LATENCY_PER_RECORD
    floor = math.ceil(pages / CONCURRENCY) * page_time
    with fake_server(INVOICES, latency=LATENCY, latency_per_record=LATENCY_PER_RECORD) as url:
        sequential, n_seq, seq_pages, seq_probes = asyncio.run(walk(url, 1))
        runs = [asyncio.run(walk(url, CONCURRENCY)) for _ in range(PARALLEL_RUNS)]
        bare = statistics.median(asyncio.run(bare_walk(url, _dicts)) for _ in range(3))
        filled = statistics.median(asyncio.run(bare_walk(url, _fill)) for _ in range(3))
    assert n_seq == INVOICES, n_seq
    assert all(n == INVOICES for _, n, _, _ in runs), runs
    times = sorted(seconds for seconds, _, _, _ in runs)
    parallel = statistics.median(times)
    print(
        f"export_latency: {INVOICES:,} invoices, {pages} pages of {PAGE_SIZE}, server time "
        f"{LATENCY} s + {LATENCY_PER_RECORD} s/record ({page_time:.2f} s a page)"
    )
    print(
        f"  sequential walk       {sequential:6.2f} s  ({INVOICES / sequential:,.0f}/s)"
        f"  {seq_pages} page requests, {seq_probes} probes"
    )
    print(
        f"  concurrency={CONCURRENCY}         {parallel:6.2f} s  ({INVOICES / parallel:,.0f}/s)"
        f"  median of {', '.join(f'{t:.2f}' for t in times)}"
    )
    requests = sorted({(pages_sent, probes) for _, _, pages_sent, probes in runs})
    print(
        "  parallel requests     "
        + ", ".join(f"{p} page requests + {q} probes" for p, q in requests)
        + f" for {pages} pages of data"
    )
    print(f"  floor ceil({pages}/{CONCURRENCY}) x {page_time:.2f} s  {floor:6.2f} s")
    print(
        f"  bare aiohttp + orjson {bare:6.2f} s  ({bare / floor:.2f}x the floor; perfect cuts, "
        "no probes, read-ahead, dicts; median of 3)"
    )
    print(
        f"  same + bare models    {filled:6.2f} s  ({filled / floor:.2f}x the floor; each record "
        "a SalesInvoice filled unchecked; median of 3)"
    )
    speedup = sequential / parallel
    print(
        f"  speed-up {speedup:.2f}x (target >= 5x): "
        f"{'target met' if speedup >= 5 else 'target NOT met'}"
    )
    verdict("export_latency", parallel / floor, 1.2, what="parallel / floor")


if __name__ == "__main__":
    main()
