"""The list walk: pieces fixed before any page, pages clipped to them, the fake's filters."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
import yarl

from bouwsoft_async import BouwsoftClient
from bouwsoft_async.testing import FakeBouwsoft, invoice_dict
from bouwsoft_async.testing._filters import FilterSyntaxError, matches, parse_filter

TOKEN = "fake-access-token"


def _client(fake: FakeBouwsoft, **kwargs: Any) -> BouwsoftClient:
    client: BouwsoftClient = fake.client(access_token=TOKEN, **kwargs)
    return client


# -- the fake's filter reading -----------------------------------------------------------------


def test_fake_filter_and_binds_tighter_than_or_and_parentheses_group() -> None:
    row = {"a": True, "b": False, "c": False}
    assert matches(parse_filter("a eq true or b eq true and c eq true"), row.__getitem__)
    assert not matches(parse_filter("(a eq true or b eq true) and c eq true"), row.__getitem__)
    assert matches(parse_filter("a eq TRUE AND (b eq false Or c eq true)"), row.__getitem__)


def test_strict_fake_filter_knows_only_eq_ne_gt() -> None:
    for text in ("id ge 5", "id lt 5", "id le 5", "id gt 1 and (id lt 9 or id eq 3)"):
        parse_filter(text)
        with pytest.raises(FilterSyntaxError):
            parse_filter(text, strict=True)
    parse_filter("id gt 1 AND (type eq 'X' OR type ne 'Y')", strict=True)


async def _status_of(fake: FakeBouwsoft, filter_text: str) -> int:
    # percent-encoded as the vendor writes it (a space is %20), sent exactly as written here
    query = f"filter={quote(filter_text, safe='')}&limit=1"
    url = yarl.URL(f"{fake.url}/SalesInvoices/?{query}", encoded=True)
    headers = {"Clientnr": str(fake.client_nr), "AccessToken": TOKEN}
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as response:
        return response.status


async def test_strict_fake_answers_400_for_ge_lt_le_over_http() -> None:
    async with FakeBouwsoft(sales_invoices=20, strict=True) as strict:
        assert await _status_of(strict, "id gt 30") == 200
        assert (
            await _status_of(strict, "(type eq 'FAKTUUR' or type eq 'CREDIT') and id gt 1") == 200
        )
        for op in ("ge", "lt", "le"):
            assert await _status_of(strict, f"id {op} 30") == 400
    async with FakeBouwsoft(sales_invoices=20) as lenient:
        for op in ("ge", "lt", "le"):
            assert await _status_of(lenient, f"id {op} 30") == 200


async def test_fake_filters_with_or_and_parentheses_over_http() -> None:
    async with FakeBouwsoft(sales_invoices=300) as fake, _client(fake) as client:
        text = "(company_id eq 1 or company_id eq 2) and id gt 100"
        ids = [i.id async for i in client.sales_invoices.list(filter=text, page_size=50)]
    expected = [i for i in fake.invoice_ids if invoice_dict(i)["company_id"] in (1, 2) and i > 100]
    assert expected
    assert ids == expected


# -- records and money: each record exactly once ----------------------------------------------


def _hide_first_matching_on_first_page(
    fake: FakeBouwsoft, matching: list[int], how_many: int, page_size: int
) -> None:
    """Between the count probes and the answer to the first page, the first ``how_many``
    matching invoices stop matching (paid, credited, deleted).

    The first page's answer waits until a page of another piece is asked for (the probes are
    done by then); a walk that never asks for one gets the change after a grace period.
    """
    another_page = asyncio.Event()

    async def before_list(query: Any) -> None:
        if query.get("limit") != str(page_size):
            return
        if "id" not in query.get("filter", ""):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(another_page.wait(), 2.0)
            fake.hidden_ids.update(matching[:how_many])
        else:
            another_page.set()

    fake.before_list = before_list


async def test_parallel_walk_never_yields_twice_when_records_leave_the_filter() -> None:
    # issue 9 item 1, reproduced as reported: 600 invoices, 40 leave the filter under the walk
    async with FakeBouwsoft(sales_invoices=600) as fake, _client(fake) as client:
        matching = [i for i in fake.invoice_ids if invoice_dict(i)["type"] == "FAKTUUR"]
        assert len(matching) > 300
        _hide_first_matching_on_first_page(fake, matching, 40, 100)
        ids = [
            i.id
            async for i in client.sales_invoices.list(
                filter="type eq 'FAKTUUR'", concurrency=4, page_size=100
            )
        ]
    assert len(ids) == len(set(ids)), "an invoice came twice"
    assert set(matching[40:]) <= set(ids) <= set(matching)


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_a_page_longer_than_limit_is_never_trusted_past_its_range(concurrency: int) -> None:
    async with FakeBouwsoft(sales_invoices=900) as fake, _client(fake) as client:
        fake.extra_records = 30
        ids = [
            i.id async for i in client.sales_invoices.list(concurrency=concurrency, page_size=50)
        ]
    assert len(ids) == len(set(ids))
    assert sorted(ids) == fake.invoice_ids


@pytest.mark.parametrize("concurrency", [1, 3])
async def test_a_total_that_is_too_small_does_not_end_the_walk(concurrency: int) -> None:
    # issue 9 item 5: a full page asks once more, whatever the total says
    async with FakeBouwsoft(sales_invoices=600) as fake, _client(fake) as client:
        fake.total_shortfall = 500
        ids = [
            i.id async for i in client.sales_invoices.list(concurrency=concurrency, page_size=100)
        ]
    assert sorted(ids) == fake.invoice_ids
    assert len(ids) == 600
