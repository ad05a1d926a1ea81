"""The list walk: pieces fixed before any page, pages clipped to them, the fake's filters."""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import itertools
import logging
import math
import random
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
import yarl

from bouwsoft_async import (
    AiohttpTransport,
    BouwsoftClient,
    IdRange,
    Request,
    Response,
    ValidationError,
    and_filters,
    condition,
    or_filters,
)
from bouwsoft_async._plan import Plan, parts_for
from bouwsoft_async._protocol import changed_since, ids_after
from bouwsoft_async.testing import FakeBouwsoft, invoice_dict
from bouwsoft_async.testing._filters import FilterSyntaxError, matches, parse_filter
from bouwsoft_async.testing._invoices import invoice_ids

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


@pytest.mark.parametrize("limit", ["0", "-3", "abc", "\u00b2"])
async def test_the_fake_answers_400_for_a_limit_that_is_not_a_positive_integer(limit: str) -> None:
    # "\u00b2" (superscript two) is a digit to str.isdigit() but not a number to int()
    async with FakeBouwsoft(sales_invoices=3) as fake, aiohttp.ClientSession() as session:
        url = yarl.URL(f"{fake.url}/SalesInvoices/?limit={quote(limit, safe='')}", encoded=True)
        headers = {"Clientnr": str(fake.client_nr), "AccessToken": TOKEN}
        async with session.get(url, headers=headers) as response:
            assert response.status == 400


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


# -- filters the client writes ------------------------------------------------------------------


def test_and_filters_groups_every_part_that_is_more_than_one_condition() -> None:
    assert (
        and_filters("list eq 'A' or list eq 'B'", "id gt 25")
        == "(list eq 'A' or list eq 'B') and id gt 25"
    )
    assert and_filters("a eq 1 AND b eq 2", "id gt 5") == "(a eq 1 AND b eq 2) and id gt 5"
    assert and_filters("(a eq 1 or b eq 2)", "id gt 5") == "(a eq 1 or b eq 2) and id gt 5"
    assert and_filters("(a eq 1) or (b eq 2)", "c eq 3") == "((a eq 1) or (b eq 2)) and c eq 3"
    # "and" inside quoted text is not a conjunction; a lone part is left as written
    assert (
        and_filters("name eq 'Smith and Sons'", "id gt 5") == "name eq 'Smith and Sons' and id gt 5"
    )
    assert and_filters("a eq 1 or b eq 2") == "a eq 1 or b eq 2"
    assert and_filters(None, " ") is None


def test_or_filters() -> None:
    assert or_filters("a eq 1", "b eq 2") == "a eq 1 or b eq 2"
    assert or_filters("a eq 1 and b eq 2", "c eq 3") == "(a eq 1 and b eq 2) or c eq 3"
    assert or_filters(None, "c eq 3") == "c eq 3"
    assert or_filters() is None


def test_condition_refuses_an_aware_timestamp_like_since_does() -> None:
    with pytest.raises(ValidationError):
        condition("ts_lastupdate", "gt", datetime(2025, 2, 1, tzinfo=UTC))
    assert condition("ts_lastupdate", "gt", datetime(2025, 2, 1)) == (
        "ts_lastupdate gt '2025-02-01 00:00:00'"
    )


def test_the_client_narrows_with_eq_ne_gt_only() -> None:
    assert ids_after(24) == "id gt 24"
    assert changed_since(datetime(2025, 2, 1)) == "ts_lastupdate gt '2025-01-31 23:59:59'"
    # timestamps have whole seconds: 12:00:00.5 is kept from 12:00:00 on, like ge would
    assert changed_since(datetime(2025, 2, 1, 12, 0, 0, 500)) == (
        "ts_lastupdate gt '2025-02-01 11:59:59'"
    )


async def test_every_walk_speaks_only_eq_ne_gt_to_a_strict_server() -> None:
    since = datetime(2019, 8, 1, 12, 0, 0)
    async with FakeBouwsoft(sales_invoices=2000, strict=True) as fake, _client(fake) as client:
        invoices = client.sales_invoices
        seq = [i.id async for i in invoices.list(since=since, page_size=100)]
        par = [i.id async for i in invoices.list(since=since, concurrency=4, page_size=100)]
        parts = await invoices.partitions(3, filter="type eq 'FAKTUUR'")
        in_parts = [
            [i.id async for i in invoices.list(id_range=p, filter="type eq 'FAKTUUR'")]
            for p in parts
        ]
        both = [
            i.id
            async for i in invoices.list(
                id_range=IdRange(low=parts[1].low, high=parts[2].high),
                filter="type eq 'FAKTUUR'",
                concurrency=3,
                page_size=50,
            )
        ]
        filters = [r.query.get("filter", "") for r in fake.requests]
    expected = [i for i in fake.invoice_ids if invoice_dict(i)["ts_lastupdate"] >= str(since)]
    faktuur = [i for i in fake.invoice_ids if invoice_dict(i)["type"] == "FAKTUUR"]
    assert seq == expected
    assert sorted(par) == expected
    assert [i for ids in in_parts for i in ids] == faktuur
    assert sorted(both) == [i for i in faktuur if parts[1].low <= i]  # parts[2] is the last
    assert not [f for f in filters if re.search(r"\b(ge|lt|le)\b", f)]


# -- the plan: where to cut, from counts alone ---------------------------------------------------


def _simulate(ids: list[int], page_size: int, concurrency: int) -> tuple[list[IdRange], int]:
    """Plan over a known id list (each probe answered here): the pieces and the probes."""
    total = len(ids)
    plan = Plan(
        within=IdRange(),
        ahead=total,
        total=total,
        first_id=ids[0],
        concurrency=concurrency,
        page_size=page_size,
    )
    probes = 1
    while wanted := plan.probes():
        for x, limit in wanted:
            i = bisect.bisect_right(ids, x)
            plan.measure(x, total - i, ids[i : i + limit])
        probes += len(wanted)
    return plan.pieces(), probes


@pytest.mark.parametrize(
    "ids",
    [
        list(range(1, 20_001)),
        invoice_ids(20_000),
        [*range(1, 1500), *range(5_000_000, 5_001_000), *range(90_000_000, 90_060_000, 97)],
    ],
    ids=["dense", "fake", "skewed"],
)
def test_the_plan_covers_every_id_once_in_balanced_pieces(ids: list[int]) -> None:
    planned, _ = _simulate(ids, 500, 8)
    assert planned[0].after is None
    assert planned[-1].upto is None
    for a, b in itertools.pairwise(planned):
        assert a.upto == b.after  # disjoint and nothing between them
    assert sum(p.count or 0 for p in planned) == len(ids)
    for piece in planned:
        inside = [i for i in ids if (piece.after is None or i > piece.after)]
        inside = [i for i in inside if piece.upto is None or i <= piece.upto]
        assert len(inside) == piece.count
    # about equal shares, not one piece holding nearly everything (the skewed list has a block
    # of 1,000 ids in a row between two huge holes)
    assert max(p.count or 0 for p in planned) <= len(ids) * 0.35


@pytest.mark.parametrize(
    ("ids", "page_size"),
    [
        (list(range(1, 20_001)), 500),
        (invoice_ids(20_000), 500),
        (invoice_ids(100_000), 500),
        (invoice_ids(20_000), 97),
    ],
    ids=["dense", "fake", "fake-100k", "fake-97"],
)
def test_every_piece_but_the_last_is_whole_pages_after_k_plus_2_probes(
    ids: list[int], page_size: int
) -> None:
    planned, probes = _simulate(ids, page_size, 8)
    assert probes <= 8 + 2
    assert [(p.count or 0) % page_size for p in planned[:-1]] == [0] * (len(planned) - 1)
    assert sum(math.ceil((p.count or 0) / page_size) for p in planned) == math.ceil(
        len(ids) / page_size
    )
    # each cut is the id of a piece's last record: its last page ends it, no request more
    assert all(p.upto in ids for p in planned[:-1])


@pytest.mark.parametrize("first", [1, 7_000_001])
def test_a_dense_list_is_cut_by_its_top_probes_alone(first: int) -> None:
    # as many records as ids between two measured ids: every id there is a record, so the
    # record that ends each page is known without a window probe
    ids = list(range(first, first + 20_000))
    planned, probes = _simulate(ids, 500, 8)
    assert probes == 3  # the first probe and the two top ones, one wave after it
    assert [p.count for p in planned] == [2500] * 8
    assert all(p.upto in ids for p in planned[:-1])
    # a list with holes is no dense list: its cuts are still measured
    holes = [i for i in ids if i % 37]
    planned, probes = _simulate(holes, 500, 8)
    assert probes > 3
    assert [(p.count or 0) % 500 for p in planned[:-1]] == [0] * 7
    assert all(p.upto in holes for p in planned[:-1])


def test_on_very_uneven_ids_the_cuts_still_fall_on_page_boundaries() -> None:
    # clusters of ids between holes of millions: an estimate misses by thousands of records
    ids = [x for block in range(12) for x in range(block * 10**7, block * 10**7 + 300 * block, 1)]
    ids = [x for x in ids if x > 0][:3000]
    planned, probes = _simulate(ids, 25, 8)
    # a cut that estimates keep missing is fetched exactly from a few windows below it, not
    # approached by halving a gap of millions wave after wave (50 probes in 19 waves before)
    assert probes <= 20
    assert len(planned) == 8
    assert [(p.count or 0) % 25 for p in planned[:-1]] == [0] * 7
    assert sum(p.count or 0 for p in planned) == len(ids)


def test_a_short_list_is_not_split() -> None:
    # issue 10: a filter matching 50 records at page size 25 is two pages: no probes beyond one
    assert parts_for(50, 25, 8) == 1
    assert parts_for(0, 25, 8) == 1
    assert parts_for(75, 25, 8) == 3
    assert parts_for(20_000, 500, 8) == 8
    assert parts_for(20_000, 500, 1) == 1


# -- probes and page requests, counted in the fake's log ---------------------------------------


def _probes_and_pages(fake: FakeBouwsoft, caplog: pytest.LogCaptureFixture) -> tuple[int, int]:
    """The walks' probes (as their plans log them) and the other list requests (pages)."""
    lists = [r for r in fake.requests if r.path.rstrip("/").endswith("/SalesInvoices")]
    probes = sum(getattr(r, "walk_probes", 0) for r in caplog.records)
    return probes, len(lists) - probes


STRICTNESS = pytest.mark.parametrize("strict", [False, True], ids=["fake", "strict-fake"])


@STRICTNESS
async def test_an_unfiltered_parallel_walk_sends_few_probes_and_pages(
    caplog: pytest.LogCaptureFixture, strict: bool
) -> None:
    caplog.set_level(logging.DEBUG, logger="bouwsoft_async")
    # issue 10 item 3: today 14 probes and 45 page requests for 40 pages of data
    async with (
        FakeBouwsoft(sales_invoices=20_000, strict=strict) as fake,
        _client(fake) as client,
    ):
        ids = [i.id async for i in client.sales_invoices.list(concurrency=8, page_size=500)]
        probes, pages = _probes_and_pages(fake, caplog)
    assert sorted(ids) == fake.invoice_ids
    assert probes <= 8 + 2
    # 40 pages of data, and the last one is full: one request more to be sure nothing follows
    assert pages == 41


@STRICTNESS
@pytest.mark.parametrize(
    ("ids", "page_size"),
    [
        (list(range(1, 20_001)), 500),
        # clusters of ids between holes of millions: a first estimate misses by far more than
        # a probe's window, and by thousands of records
        ([x for b in range(1, 12) for x in range(b * 10**7, b * 10**7 + 300 * b)][:2990], 25),
        ([*range(1, 1500), *range(5_000_000, 5_001_000), *range(90_000_000, 90_060_000, 97)], 97),
    ],
    ids=["dense", "clusters", "skewed"],
)
async def test_every_piece_is_whole_pages_over_http(
    caplog: pytest.LogCaptureFixture, strict: bool, ids: list[int], page_size: int
) -> None:
    caplog.set_level(logging.DEBUG, logger="bouwsoft_async")
    async with FakeBouwsoft(sales_invoices=1, strict=strict) as fake, _client(fake) as client:
        fake.invoice_ids = ids
        walked = [
            i.id async for i in client.sales_invoices.list(concurrency=8, page_size=page_size)
        ]
        probes, pages = _probes_and_pages(fake, caplog)
    assert sorted(walked) == ids
    assert len(walked) == len(ids)
    # no piece ends on a part of a page: as many page requests as a sequential walk sends
    assert pages == len(ids) // page_size + 1
    if ids[-1] == len(ids):
        assert probes <= 3  # a dense id space: its top probes say where every record is


@STRICTNESS
async def test_a_filter_matching_few_records_is_not_split(
    caplog: pytest.LogCaptureFixture, strict: bool
) -> None:
    caplog.set_level(logging.DEBUG, logger="bouwsoft_async")
    # issue 10 item 3: a filter matching 50 of 100,000 at page size 25 sent 36 probes
    async with (
        FakeBouwsoft(sales_invoices=100_000, strict=strict) as fake,
        _client(fake) as client,
    ):
        text = f"id gt {fake.invoice_ids[-51]}"
        ids = [
            i.id async for i in client.sales_invoices.list(filter=text, concurrency=8, page_size=25)
        ]
        probes, pages = _probes_and_pages(fake, caplog)
    assert ids == fake.invoice_ids[-50:]
    assert probes <= 1
    assert pages <= 3  # two pages of data, the second full: one more to be sure


# -- no silent caps ----------------------------------------------------------------------------


async def test_more_concurrency_than_the_client_allows_is_refused_before_sending() -> None:
    # issue 10 item 5: concurrency=16 on a client of max_concurrency=8 ran 8 at a time, silently
    async with FakeBouwsoft(sales_invoices=3000) as fake:
        async with _client(fake) as client:
            with pytest.raises(ValidationError, match="max_concurrency=16") as caught:
                [i async for i in client.sales_invoices.list(concurrency=16)]
            assert caught.value.field == "concurrency"
            assert fake.requests == []
        async with _client(fake, max_concurrency=16) as client:
            ids = [i.id async for i in client.sales_invoices.list(concurrency=16, page_size=50)]
    assert sorted(ids) == fake.invoice_ids


@pytest.mark.parametrize("method", ["list", "pages", "rows"])
@pytest.mark.parametrize(
    "options", [{"page_size": 0}, {"concurrency": 0}, {"id_range": (1, 5)}, {"since": "today"}]
)
async def test_a_walk_refuses_bad_arguments_when_iterated_and_sends_nothing(
    method: str, options: dict[str, Any]
) -> None:
    # users' code keeps working: a bad argument raises where the walk is iterated (inside the
    # caller's try around ``async for``), as it always has, for every walk alike
    async with FakeBouwsoft(sales_invoices=10) as fake, _client(fake) as client:
        walk = getattr(client.sales_invoices, method)(**options)
        try:
            with pytest.raises(ValidationError):
                await anext(walk)
        finally:
            await walk.aclose()
        assert fake.requests == []


# -- pages say where they stand --------------------------------------------------------------


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_pages_say_where_they_stand_in_the_walk(concurrency: int) -> None:
    # issue 11 item 13: page.total is what was ahead of the page, not the list's total
    async with FakeBouwsoft(sales_invoices=2000) as fake, _client(fake) as client:
        pages = [
            p async for p in client.sales_invoices.pages(concurrency=concurrency, page_size=300)
        ]
    assert [p.walk_total for p in pages] == [2000] * len(pages)
    positions = [p.walk_position for p in pages]
    assert positions == list(itertools.accumulate([0] + [len(p.records) for p in pages[:-1]]))
    assert sum(len(p.records) for p in pages) == 2000
    if concurrency == 1:
        # the old fields keep their meaning: the page's own Content-Range
        assert [p.total for p in pages] == [2000 - k * 300 for k in range(len(pages))]
        assert all(p.first == 0 and p.last == len(p.records) - 1 for p in pages)


# -- every list resource walks the same way -----------------------------------------------------


async def test_payments_and_purchase_invoices_walk_like_sales_invoices() -> None:
    async with FakeBouwsoft(sales_invoices=10, strict=True) as fake, _client(fake) as client:
        for _ in range(45):
            await client.purchase_invoices.create(company_id=1, address_id=328892)
            await client.payments.create(amount=Decimal("1.05"))
        for endpoint, records in (
            (client.payments, fake.payments),
            (client.purchase_invoices, fake.purchase_invoices),
        ):
            every = sorted(records)
            assert await endpoint.count() == 45
            assert [r.id async for r in endpoint.list(page_size=10)] == every
            parallel = [r.id async for r in endpoint.list(page_size=5, concurrency=3)]
            assert sorted(parallel) == every
            assert len(parallel) == 45
            pages = [p async for p in endpoint.pages(page_size=20)]
            assert [len(p.records) for p in pages] == [20, 20, 5]
            parts = await endpoint.partitions(3)
            walked = [[r.id async for r in endpoint.list(id_range=p)] for p in parts]
            assert [i for ids in walked for i in ids] == every
            past = datetime(2000, 1, 1)
            assert await endpoint.count(since=past) == 45
            assert [r.id async for r in endpoint.list(since=datetime(2999, 1, 1))] == []


async def test_the_first_page_is_asked_for_with_the_first_probe() -> None:
    # a list that turns out too short to split costs one round trip, not a probe and then a page
    events: list[str] = []

    class Recording(AiohttpTransport):
        async def send(self, request: Request) -> Response:
            params = request.params or {}
            asked = f"limit={params.get('limit')}" + (" narrowed" if "filter" in params else "")
            events.append(asked)
            response = await super().send(request)
            events.append("answer")
            return response

    async with (
        FakeBouwsoft(sales_invoices=150) as fake,
        _client(fake, transport=Recording()) as client,
    ):
        ids = [i.id async for i in client.sales_invoices.list(concurrency=4, page_size=100)]
    assert ids == fake.invoice_ids
    assert sorted(events[:2]) == ["limit=1", "limit=100"]  # both out before any answer
    assert events.count("limit=100 narrowed") == 1  # then the second page, and nothing more
    assert len(events) == 6


async def test_a_walk_cancelled_as_it_asks_ahead_leaves_no_request_running() -> None:
    # the next page's request has started when the walk is cancelled: the walk must still own
    # it and end it, not leave it running (to fail later as "never retrieved")
    walking: list[asyncio.Task[Any]] = []
    read_ahead: list[asyncio.Task[Any]] = []

    class CancelledAsItAsksAhead(AiohttpTransport):
        async def send(self, request: Request) -> Response:
            if "filter" not in (request.params or {}):
                return await super().send(request)
            task = asyncio.current_task()
            assert task is not None
            read_ahead.append(task)
            walking[0].cancel()
            await asyncio.Event().wait()  # a server that never answers
            raise AssertionError("not reached")

    async def walk_all(client: BouwsoftClient) -> None:
        # pages of 30 invoices (about 90 KB): big enough for the walk to ask ahead
        async for _ in client.sales_invoices.pages(page_size=30):
            pass

    async with (
        FakeBouwsoft(sales_invoices=70) as fake,
        _client(fake, transport=CancelledAsItAsksAhead()) as client,
    ):
        walking.append(asyncio.create_task(walk_all(client)))
        with pytest.raises(asyncio.CancelledError):
            await walking[0]
        assert len(read_ahead) == 1
        assert read_ahead[0] is not walking[0]  # asked ahead, in a task of its own
        assert read_ahead[0].done()


# -- a seeded property test of whole walks ------------------------------------------------------

_TOP_ID = 2**31 - 1


def _random_ids(rng: random.Random) -> list[int]:
    """Sorted unique ids of one shape: none, one, dense, clustered with huge gaps, spread over
    the whole id space, or crowded below 2**31-1."""
    shape = rng.choice(["zero", "single", "dense", "clustered", "sparse", "top"])
    n = rng.randint(1, 120)
    if shape == "zero":
        return []
    if shape == "single":
        return [rng.choice([1, rng.randint(1, _TOP_ID), _TOP_ID])]
    if shape == "dense":
        start = rng.randint(1, 1000)
        return list(range(start, start + n))
    if shape == "sparse":
        return sorted({rng.randint(1, _TOP_ID) for _ in range(n)})
    if shape == "top":
        return sorted({_TOP_ID - rng.randint(0, rng.choice([n, 3 * n, 10**6])) for _ in range(n)})
    centers = [rng.randint(1, _TOP_ID) for _ in range(rng.randint(1, 4))] + [1, _TOP_ID]
    spreads = (3, 50, 1000)
    near = (c + rng.randint(-rng.choice(spreads), rng.choice(spreads)) for c in centers * n)
    return sorted({x for x in itertools.islice(near, n) if 1 <= x <= _TOP_ID})


async def _random_walk(seed: int) -> None:
    rng = random.Random(seed)
    ids = _random_ids(rng)
    concurrency, page_size = rng.randint(1, 16), rng.choice([1, 2, 3, rng.randint(1, 600)])
    async with FakeBouwsoft(sales_invoices=1, strict=True) as fake:
        fake.invoice_ids = ids
        if rng.random() < 0.3:
            fake.max_page_size = rng.randint(1, 50)
        if rng.random() < 0.3:
            fake.extra_records = rng.randint(1, 5)
        # a total that counts too few, on a server whose pages are never cut short: with both, a
        # capped page of the last records can say it is the last, as a real last page does
        if rng.random() < 0.3 and (fake.max_page_size or page_size) >= page_size:
            fake.total_shortfall = rng.randint(1, 20)
        filter_text = rng.choice([None, "company_id eq 1", "company_id eq 2"])
        matching = fake._matching_ids(filter_text)
        id_range = IdRange()
        if rng.random() < 0.4:
            ends = sorted(rng.sample([*ids[:2], *ids[-2:], 1, 5000, _TOP_ID, 2**31], 2))
            if ends[0] < ends[1]:
                id_range = IdRange(low=rng.choice([None, ends[0]]), high=ends[1])
        if rng.random() < 0.3:
            fake.add_fault(
                status=503, times=rng.randint(1, 3), path_contains="SalesInvoices",
                skip=rng.randint(0, 5),
            )  # fmt: skip
        mode = rng.choice(["list", "pages", "rows", "partitions"])
        expected = [i for i in matching if id_range.contains(i) or mode == "partitions"]
        about = f"seed {seed}: {len(ids)} ids, {concurrency=}, {page_size=}, {filter_text=}"
        options: dict[str, Any] = {"concurrency": concurrency, "page_size": page_size}
        options |= {"filter": filter_text, "id_range": id_range}
        got: list[int] = []
        async with _client(fake, max_concurrency=max(8, concurrency)) as client:
            invoices = client.sales_invoices
            async with asyncio.timeout(30):
                if mode == "list":
                    got = [invoice.id async for invoice in invoices.list(**options)]
                elif mode == "rows":
                    got = [row["id"] async for row in invoices.rows(**options)]
                elif mode == "pages":
                    got = [r.id async for page in invoices.pages(**options) for r in page.records]
                else:
                    parts = await invoices.partitions(rng.randint(1, 16), filter=filter_text)
                    assert parts[0].low is None, about
                    assert parts[-1].high is None, about
                    assert all(a.high == b.low for a, b in itertools.pairwise(parts)), about
                    for part in parts:
                        options["id_range"] = part
                        piece = [invoice.id async for invoice in invoices.list(**options)]
                        assert all(map(part.contains, piece)), about
                        got += piece
        if concurrency > 1:
            assert len(set(got)) == len(got), about
            got.sort()
        assert got == expected, about


async def test_random_walks_hand_out_every_matching_id_once() -> None:
    # list, pages, rows and partitions over random ids, page sizes, concurrency, id ranges and
    # filters, on a strict fake that caps pages, sends extra records, counts too few or fails
    for seed in range(30):
        await _random_walk(seed)
