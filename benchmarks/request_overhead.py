"""request_overhead: client CPU per request against bare aiohttp, on a page_size=1 walk.

The fake runs in its own process, so the CPU measured here (``time.process_time``) is the
client's alone. Both sides walk the same list one record per request (``limit=1``,
``sort=id``, ``filter=id gt <last>``), each request answered by the same server:

- bare aiohttp + orjson: build the URL, send it with the two headers, read the body, parse it,
  take the last id; what a user's throwaway script does;
- bouwsoft_async: ``sales_invoices.pages(page_size=1)``, which also checks each page and
  decodes the record into a typed ``SalesInvoice``;
- bouwsoft_async's request path alone: ``Core.request`` for the same URLs (authentication,
  the retry path's first try, error mapping; no decode), to show what the machinery costs.

Runs alternate and the median of five counts. The ratio printed last (the target, as the
speed issue sets it) is the page_size=1 walk's against the bare script; the request path's own
ratio is printed before it, to show how much of the difference is the machinery and how much
the typed decode and the walk's checks of each one-record page.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

import aiohttp
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _support import ACCESS_TOKEN, CLIENT_NR, fake_server, verdict

from bouwsoft_async import BouwsoftClient

REQUESTS = 1500
RUNS = 5
TARGET = 1.2


async def bare_walk(base_url: str, session: aiohttp.ClientSession) -> int:
    headers = {"Clientnr": str(CLIENT_NR), "AccessToken": ACCESS_TOKEN}
    last = 0
    for _ in range(REQUESTS):
        filter_text = quote(f"id gt {last}", safe="")
        url = f"{base_url}/SalesInvoices/?limit=1&sort=id&filter={filter_text}"
        async with session.get(url, headers=headers) as response:
            page = orjson.loads(await response.read())
        last = page["Records"][-1]["id"]
    return REQUESTS


async def client_walk(client: BouwsoftClient) -> int:
    count = 0
    async for page in client.sales_invoices.pages(page_size=1):
        count += len(page.records)
        if count >= REQUESTS:
            break
    return count


async def core_requests(client: BouwsoftClient, ids: list[int]) -> int:
    core = client._core
    for invoice_id in ids[:REQUESTS]:
        params = {"limit": "1", "sort": "id", "filter": f"id gt {invoice_id}"}
        response = await core.request("GET", ("SalesInvoices", ""), params=params, idempotent=True)
        orjson.loads(response.body)
    return REQUESTS


async def main() -> None:
    with fake_server(REQUESTS + 10) as base_url:
        bare: list[float] = []
        walk: list[float] = []
        core: list[float] = []
        async with (
            aiohttp.ClientSession() as session,
            BouwsoftClient(
                client_nr=CLIENT_NR, access_token=ACCESS_TOKEN, base_url=base_url
            ) as client,
        ):
            ids = [invoice.id async for invoice in client.sales_invoices.list(page_size=5000)]
            ids = [0, *ids]
            # warm both connection pools and every cache once
            await bare_walk(base_url, session)
            await client_walk(client)
            for _ in range(RUNS):
                started = time.process_time()
                count = await bare_walk(base_url, session)
                bare.append((time.process_time() - started) / count * 1e6)
                started = time.process_time()
                count = await client_walk(client)
                walk.append((time.process_time() - started) / count * 1e6)
                started = time.process_time()
                count = await core_requests(client, ids)
                core.append((time.process_time() - started) / count * 1e6)

    def line(label: str, samples: list[float]) -> float:
        median = statistics.median(samples)
        each = ", ".join(f"{s:.0f}" for s in sorted(samples))
        print(f"  {label:<34} {median:6.0f} us CPU/request  (median of {each})")
        return median

    print(f"request_overhead: {REQUESTS} requests of one invoice each, fake in its own process")
    floor = line("bare aiohttp + orjson", bare)
    path = line("bouwsoft_async Core.request", core)
    full = line("bouwsoft_async pages(page_size=1)", walk)
    print(f"  Core.request / bare = {path / floor:.2f}x (the request path alone, no decode)")
    verdict(
        "request_overhead",
        full / floor,
        TARGET,
        what="pages(page_size=1) CPU per request / bare aiohttp",
    )


if __name__ == "__main__":
    asyncio.run(main())
