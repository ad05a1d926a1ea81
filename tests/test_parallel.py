"""The parallel walk, partitions and ``since``: each invoice exactly once, bounded memory."""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import itertools
import logging
import multiprocessing
import pickle
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bouwsoft_async import (
    AiohttpTransport,
    BadRequestError,
    BouwsoftClient,
    DecodeError,
    IdRange,
    Request,
    Response,
    ValidationError,
)
from bouwsoft_async.testing import FakeBouwsoft, invoice_dict
from bouwsoft_async.testing._server import Refusal

TOKEN = "fake-access-token"


@pytest.fixture(autouse=True, params=[False, True], ids=["fake", "strict-fake"])
def _strictness(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test here runs against the fake and against the strict fake (eq/ne/gt only)."""
    _STRICT[0] = request.param
    yield
    _STRICT[0] = False


_STRICT = [False]


def _fake(**kwargs: Any) -> FakeBouwsoft:
    return FakeBouwsoft(strict=_STRICT[0], **kwargs)


def _client(fake: FakeBouwsoft, **kwargs: Any) -> BouwsoftClient:
    client: BouwsoftClient = fake.client(access_token=TOKEN, **kwargs)
    return client


async def test_parallel_walk_yields_every_invoice_exactly_once() -> None:
    async with _fake(sales_invoices=4000) as fake, _client(fake) as client:
        gaps = {b - a for a, b in zip(fake.invoice_ids, fake.invoice_ids[1:], strict=False)}
        assert len(gaps) > 3  # the fake's ids really are uneven
        ids = [inv.id async for inv in client.sales_invoices.list(concurrency=8, page_size=97)]
    assert len(ids) == len(set(ids))
    assert sorted(ids) == fake.invoice_ids


async def test_parallel_walk_survives_a_skewed_id_space() -> None:
    # a dense block, a huge hole, a sparse tail: interpolation alone would crawl
    skewed = [*range(1, 1500), *range(5_000_000, 5_001_000), *range(90_000_000, 90_060_000, 97)]
    async with _fake(sales_invoices=1) as fake, _client(fake) as client:
        fake.invoice_ids = skewed
        ids = [inv.id async for inv in client.sales_invoices.list(concurrency=6, page_size=150)]
        parts = await client.sales_invoices.partitions(5)
    assert sorted(ids) == skewed
    assert len(ids) == len(skewed)
    assert sum(p.count or 0 for p in parts) == len(skewed)
    # about equal shares, not one partition holding nearly everything
    assert max(p.count or 0 for p in parts) < len(skewed) * 0.4


async def test_server_page_cap_is_followed() -> None:
    async with _fake(sales_invoices=1500, max_page_size=40) as fake, _client(fake) as c:
        ids = [inv.id async for inv in c.sales_invoices.list(concurrency=4, page_size=100)]
    assert sorted(ids) == fake.invoice_ids


async def test_concurrency_one_is_the_sequential_walk_in_id_order() -> None:
    async with _fake(sales_invoices=700) as fake, _client(fake) as client:
        ids = [inv.id async for inv in client.sales_invoices.list(concurrency=1, page_size=100)]
        probes = [r for r in fake.requests if r.query.get("limit") == "1"]
    assert ids == fake.invoice_ids
    assert probes == []  # no split, nothing but the walk


async def test_parallel_walk_with_a_filter_matches_the_sequential_one() -> None:
    async with _fake(sales_invoices=2500) as fake, _client(fake) as client:
        seq = [i.id async for i in client.sales_invoices.list(filter="company_id eq 1")]
        par = [
            i.id
            async for i in client.sales_invoices.list(
                filter="company_id eq 1", concurrency=5, page_size=60
            )
        ]
    assert seq
    assert len(seq) < 2500
    assert sorted(par) == seq


async def test_few_invoices_and_none() -> None:
    async with _fake(sales_invoices=3) as fake, _client(fake) as client:
        ids = [i.id async for i in client.sales_invoices.list(concurrency=8)]
        none = [i async for i in client.sales_invoices.list(filter="id gt 999999", concurrency=8)]
        parts = await client.sales_invoices.partitions(4, filter="id gt 999999")
    assert ids == fake.invoice_ids
    assert none == []
    assert parts == [IdRange(count=0)]  # still the whole id space


def _walk_tasks() -> list[asyncio.Task[Any]]:
    """Tasks still running code of the walk (its walkers, its producer, their requests)."""
    return [
        task
        for task in asyncio.all_tasks()
        if getattr(getattr(task.get_coro(), "cr_code", None), "co_filename", "").endswith(
            ("_walk.py", "_core.py", "_transport.py")
        )
    ]


def _count_in_flight(client: BouwsoftClient) -> dict[str, int]:
    stats = {"now": 0, "max": 0, "sent": 0}
    transport: Any = client._core.transport
    send: Callable[[Any], Awaitable[Any]] = transport.send

    async def counting_send(request: Any) -> Any:
        stats["now"] += 1
        stats["sent"] += 1
        stats["max"] = max(stats["max"], stats["now"])
        try:
            return await send(request)
        finally:
            stats["now"] -= 1

    transport.send = counting_send
    return stats


async def test_in_flight_and_buffered_pages_are_bounded(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="bouwsoft_async")
    concurrency = 4
    async with _fake(sales_invoices=6000, latency=0.002) as fake, _client(fake) as client:
        stats = _count_in_flight(client)
        pages = client.sales_invoices.pages(concurrency=concurrency, page_size=50)
        consumed = 0
        async for _page in pages:
            consumed += 1
            if consumed == 3:
                # a slow consumer: producers must stop after a few pages, not read ahead
                sent_before = stats["sent"]
                await asyncio.sleep(0.3)
                probes = sum(getattr(r, "walk_probes", 0) for r in caplog.records)
                ahead = (stats["sent"] - probes) - consumed
                assert ahead <= 2 * concurrency + 1
                assert stats["sent"] - sent_before <= 2 * concurrency + 1
        assert consumed >= 6000 // 50
    assert stats["max"] <= concurrency


async def test_a_failure_mid_walk_is_raised_and_nothing_leaks() -> None:
    async with _fake(sales_invoices=3000) as fake, _client(fake) as client:
        seen: list[int] = []

        async def walk() -> None:
            async for invoice in client.sales_invoices.list(concurrency=4, page_size=100):
                seen.append(invoice.id)
                if len(seen) == 150:
                    # from now on every request fails for good (a 400 is not retried)
                    fake.add_fault(status=400, body=b'{"Message":"boom"}', times=1000)

        with pytest.raises(BadRequestError, match="boom"):
            await walk()
        assert len(seen) == len(set(seen))
        mine = _walk_tasks()
        assert mine == []


async def test_breaking_out_early_cancels_the_workers() -> None:
    async with _fake(sales_invoices=3000) as fake, _client(fake) as client:
        walk = client.sales_invoices.list(concurrency=4, page_size=100)
        async for inv in walk:
            assert inv.id in set(fake.invoice_ids)
            break
        await walk.aclose()
        mine = _walk_tasks()
        assert mine == []  # no worker keeps fetching in the background


async def test_partitions_cover_everything_once_and_pickle() -> None:
    async with _fake(sales_invoices=3000) as fake, _client(fake) as client:
        parts = await client.sales_invoices.partitions(6)
        assert len(parts) == 6
        assert pickle.loads(pickle.dumps(parts)) == parts
        assert parts[0].low is None
        assert parts[-1].high is None
        for a, b in itertools.pairwise(parts):
            assert a.high == b.low
        assert sum(p.count or 0 for p in parts) == 3000
        assert max(p.count or 0 for p in parts) <= 3000 / 6 * 1.25
        seen: list[int] = []
        for part in parts:
            ids = [i.id async for i in client.sales_invoices.list(id_range=part, page_size=120)]
            assert ids == sorted(ids)
            assert len(ids) == part.count
            seen += ids
        # and a range can itself be walked in parallel
        wide = IdRange(low=parts[1].low, high=parts[3].high)
        inner = [i.id async for i in client.sales_invoices.list(id_range=wide, concurrency=3)]
    assert seen == fake.invoice_ids
    expected = [i for i in fake.invoice_ids if wide.contains(i)]
    assert sorted(inner) == expected


def _export_range(url: str, part: IdRange) -> list[int]:
    async def run() -> list[int]:
        async with BouwsoftClient(client_nr=115, access_token=TOKEN, base_url=url) as client:
            return [i.id async for i in client.sales_invoices.list(id_range=part)]

    return asyncio.run(run())


async def test_partitions_spread_over_processes() -> None:
    async with _fake(sales_invoices=1200) as fake, _client(fake) as client:
        parts = await client.sales_invoices.partitions(3)
        loop = asyncio.get_running_loop()
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(2, mp_context=context) as pool:
            results = await asyncio.gather(
                *(loop.run_in_executor(pool, _export_range, fake.url, p) for p in parts)
            )
    assert [i for ids in results for i in ids] == fake.invoice_ids


async def test_since_selects_what_changed_after_a_point() -> None:
    since = datetime(2019, 8, 1, 12, 0, 0)
    async with _fake(sales_invoices=1500) as fake, _client(fake) as client:
        seq = [i async for i in client.sales_invoices.list(since=since)]
        par = [i.id async for i in client.sales_invoices.list(since=since, concurrency=4)]
        parts = await client.sales_invoices.partitions(3, since=since)
        filters = {r.query.get("filter", "") for r in fake.requests}
    expected = [
        i for i in fake.invoice_ids if invoice_dict(i)["ts_lastupdate"] >= "2019-08-01 12:00:00"
    ]
    assert 0 < len(expected) < 1500
    assert [i.id for i in seq] == expected
    assert all(i.ts_lastupdate >= since for i in seq)
    assert sorted(par) == expected
    assert sum(p.count or 0 for p in parts) == len(expected)
    # since=T is ts_lastupdate gt T-1s: the client writes only eq, ne and gt (issue 12)
    assert any("ts_lastupdate gt '2019-08-01 11:59:59'" in f for f in filters)
    assert not any(" ge " in f or " lt " in f for f in filters)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"concurrency": 0}, "concurrency"),
        ({"concurrency": True}, "concurrency"),
        ({"id_range": (1, 5)}, "id_range"),
        ({"since": "2024-01-01"}, "since"),
        ({"since": datetime(2024, 1, 1, tzinfo=UTC)}, "since"),
    ],
)
async def test_bad_arguments_are_refused_before_sending(kwargs: Any, field: str) -> None:
    async with _fake(sales_invoices=10) as fake, _client(fake) as client:
        with pytest.raises(ValidationError) as caught:
            async for _ in client.sales_invoices.list(**kwargs):
                pass
        assert caught.value.field == field
        assert fake.requests == []


async def test_partitions_refuses_a_bad_n() -> None:
    async with _fake(sales_invoices=10) as fake, _client(fake) as client:
        with pytest.raises(ValidationError):
            await client.sales_invoices.partitions(0)


def test_id_range_checks_itself() -> None:
    with pytest.raises(ValidationError):
        IdRange(low=10, high=10)
    with pytest.raises(ValidationError):
        IdRange(low=0)
    r = IdRange(low=10, high=20)
    assert r.contains(10)
    assert r.contains(19)
    assert not r.contains(20)
    assert not r.contains(9)
    assert r.as_filter() == "id ge 10 and id lt 20"
    assert IdRange().as_filter() is None


async def test_an_answer_outside_the_range_is_a_decode_error() -> None:
    async with _fake(sales_invoices=500) as fake, _client(fake) as client:
        # a server that ignores the id conditions would hand out records twice
        original = fake._matching_ids
        fake._matching_ids = lambda text: original(None)  # type: ignore[method-assign]
        with pytest.raises(DecodeError):
            async for _ in client.sales_invoices.list(id_range=IdRange(low=200)):
                pass


def _new_invoices_while_planning(
    fake: FakeBouwsoft, page_size: int, *, size: int, batches: int
) -> list[int]:
    """A busy server: from the plan's second wave of probes on, each of the next ``batches``
    probes (list requests that are not pages) finds ``size`` new invoices above every id so
    far. Returns the ids there were before (the ones every walk must hand out)."""
    before = list(fake.invoice_ids)
    probes = [0]

    async def before_list(query: Any) -> None:
        if query.get("limit") == str(page_size):
            return
        probes[0] += 1
        if 3 <= probes[0] < 3 + batches:
            top = fake.invoice_ids[-1]
            fake.invoice_ids = [*fake.invoice_ids, *range(top + 1, top + 1 + size)]

    fake.before_list = before_list
    return before


@pytest.mark.parametrize(
    ("invoices", "page_size", "id_range", "size", "batches"),
    [
        (600, 20, IdRange(low=100, high=600), 100, 1),  # new invoices above the range
        (1500, 50, None, 100, 50),  # new invoices all through the planning
    ],
    ids=["range", "everything"],
)
async def test_invoices_created_while_the_cuts_are_probed_break_nothing(
    invoices: int, page_size: int, id_range: IdRange | None, size: int, batches: int
) -> None:
    # the probes measured ranks before and after new invoices came: a window probe near the
    # range's end read ids past it with ranks inside it (or ranks fell as ids rose), a cut
    # landed there, and the walk raised ValidationError ("IdRange needs low < high"), the
    # error of a caller's bad input, with nothing wrong in the call
    async with _fake(sales_invoices=invoices) as fake, _client(fake) as client:
        existed = _new_invoices_while_planning(fake, page_size, size=size, batches=batches)
        ids = [
            i.id
            async for i in client.sales_invoices.list(
                concurrency=8, page_size=page_size, id_range=id_range
            )
        ]
        grown = fake.invoice_ids
    assert len(ids) == len(set(ids))
    wanted = id_range or IdRange()
    assert {i for i in existed if wanted.contains(i)} <= set(ids) <= set(grown)
    assert all(map(wanted.contains, ids))


async def test_partitions_while_invoices_are_created_cover_everything_once() -> None:
    async with _fake(sales_invoices=600) as fake, _client(fake) as client:
        _new_invoices_while_planning(fake, 100, size=20, batches=100)
        parts = await client.sales_invoices.partitions(8)
        fake.before_list = None
        assert parts[0].low is None
        assert parts[-1].high is None
        assert all(a.high == b.low for a, b in itertools.pairwise(parts))
        walked = [[i.id async for i in client.sales_invoices.list(id_range=p)] for p in parts]
    assert [i for ids in walked for i in ids] == fake.invoice_ids


async def _to_the_end(walk: Any) -> None:
    """Await a coroutine, or run an async generator to its end."""
    if inspect.isawaitable(walk):
        await walk
    else:
        async for _ in walk:
            pass


@pytest.mark.parametrize(
    "walk",
    [
        lambda c: c.sales_invoices.list(concurrency=4, page_size=100),
        lambda c: c.sales_invoices.list(concurrency=4, id_range=IdRange(low=100, high=5000)),
        lambda c: c.sales_invoices.partitions(4),
    ],
    ids=["list", "range", "partitions"],
)
async def test_a_failed_probe_stops_the_probes_beside_it(walk: Any) -> None:
    # the probes of one wave ran under asyncio.gather, which leaves the others running when one
    # fails: the walk (or partitions()) raised, and a probe beside the failed one went on in
    # the background, retried its 503s (more requests, retry lines in the caller's log after
    # the error it was given) and was still pending when the caller moved on
    async with _fake(sales_invoices=3000) as fake, _client(fake) as client:
        other_probe_out, release = asyncio.Event(), asyncio.Event()
        probes = [0]

        async def before_list(query: Any) -> None:
            if query.get("limit") != "1" or "filter" not in query:
                return
            probes[0] += 1
            if probes[0] == 1:
                await other_probe_out.wait()
                raise Refusal(400, "no such field")
            other_probe_out.set()
            await release.wait()  # a slow probe, then a server too busy to answer it
            raise Refusal(503, "busy")

        fake.before_list = before_list
        try:
            with pytest.raises(BadRequestError, match="no such field"):
                await _to_the_end(walk(client))
            assert _walk_tasks() == []
        finally:
            release.set()


@pytest.mark.parametrize("after_pages", [2, 5])
async def test_closing_a_parallel_walk_sends_no_request_after_it(after_pages: int) -> None:
    # aclose() cancelled the producer only: the walker the caller's last page had woken ran
    # first and sent its next page request, so a closed walk still asked the server for a page
    sent_after_close: list[str | None] = []
    closing = [False]

    class Recording(AiohttpTransport):
        async def send(self, request: Request) -> Response:
            if closing[0]:
                sent_after_close.append((request.params or {}).get("filter"))
            return await super().send(request)

    async with (
        _fake(sales_invoices=3000) as fake,
        _client(fake, transport=Recording()) as client,
    ):
        pages = client.sales_invoices.pages(concurrency=4, page_size=10)
        taken = 0
        async for _ in pages:
            taken += 1
            if taken == after_pages - 1:
                # a slow caller: meanwhile the walkers fetch their next pages and one waits
                # to hand its page over; taking the next page wakes it
                for _ in range(3):
                    await client.sales_invoices.count()
            if taken == after_pages:
                closing[0] = True
                await pages.aclose()
                break
        assert _walk_tasks() == []
        assert sent_after_close == []
        assert await client.sales_invoices.count() == 3000  # the client still works
