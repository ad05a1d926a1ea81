"""The exporter a user would write instead of the SDK: aiohttp + orjson, 30 lines.

A sequential ``id gt`` walk of ``GET /SalesInvoices/`` (``limit``, ``sort=id``), every record
written to a JSON Lines file as received (dicts, money still binary floats). Kept here as the
yardstick of ``export_cpu.py``: ``python reference_export.py BASE_URL CLIENTNR TOKEN OUT``.
"""

from __future__ import annotations

import asyncio
import sys
from urllib.parse import quote

import aiohttp
import orjson


async def export(base_url: str, client_nr: str, token: str, out: str, limit: int = 500) -> int:
    headers = {"Clientnr": client_nr, "AccessToken": token, "Accept": "application/json"}
    written, last_id = 0, None
    async with aiohttp.ClientSession(headers=headers) as session:
        with open(out, "wb") as stream:  # noqa: ASYNC230 - as a user's script would
            while True:
                query = f"limit={limit}&sort=id"
                if last_id is not None:
                    query += "&filter=" + quote(f"id gt {last_id}", safe="")
                url = f"{base_url}/SalesInvoices/?{query}"
                async with session.get(url) as response:
                    response.raise_for_status()
                    page = orjson.loads(await response.read())
                records = page["Records"]
                stream.write(
                    b"".join(orjson.dumps(r, option=orjson.OPT_APPEND_NEWLINE) for r in records)
                )
                written += len(records)
                if not records or len(records) < limit:
                    return written
                last_id = records[-1]["id"]


if __name__ == "__main__":
    print(asyncio.run(export(*sys.argv[1:5])))
