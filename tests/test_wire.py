"""The wire form over real HTTP: query strings exactly as the vendor writes them (RFC 3986)."""

from __future__ import annotations

import aiohttp
import pytest
import yarl

from bouwsoft_async.testing import FakeBouwsoft
from bouwsoft_async.testing._server import parse_query_strictly


def test_the_strict_reading_keeps_a_plus() -> None:
    assert parse_query_strictly("filter=id+gt%2025&x=%27a%2Bb%27") == [
        ("filter", "id+gt 25"),
        ("x", "'a+b'"),
    ]
    assert parse_query_strictly("") == []
    for bad in ("a=%zz", "a=%2", "a=b c", "a=%ff"):
        with pytest.raises(ValueError):  # noqa: PT011
            parse_query_strictly(bad)


async def test_the_strict_fake_reads_plus_as_plus() -> None:
    async with FakeBouwsoft(sales_invoices=50, strict=True) as fake:
        headers = {"Clientnr": "115", "AccessToken": "fake-access-token"}
        async with aiohttp.ClientSession() as session:
            url = yarl.URL(f"{fake.url}/SalesInvoices/?limit=5&filter=id+gt+25", encoded=True)
            async with session.get(url, headers=headers) as response:
                assert response.status == 400  # "id+gt+25" is no filter
            url = yarl.URL(f"{fake.url}/SalesInvoices/?limit=5&filter=id%20gt%2025", encoded=True)
            async with session.get(url, headers=headers) as response:
                assert response.status == 200
            url = yarl.URL(f"{fake.url}/SalesInvoices/?limit=%zz", encoded=True)
            async with session.get(url, headers=headers) as response:
                assert response.status == 400
        assert [r.query.get("filter") for r in fake.requests] == ["id+gt+25", "id gt 25", None]
        assert fake.requests[1].raw_query == "limit=5&filter=id%20gt%2025"
