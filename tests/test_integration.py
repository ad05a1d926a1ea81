"""Every public call over real HTTP against FakeBouwsoft, including its faults."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import warnings
from collections.abc import AsyncIterator
from contextlib import aclosing
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from bouwsoft_async import (
    AuthenticationError,
    BadRequestError,
    BouwsoftClient,
    DecodeError,
    NotFoundError,
    RateLimitError,
    ServerError,
    TransportError,
)
from bouwsoft_async.testing import FakeBouwsoft, invoice_dict, render_invoice

INVOICES = 4000
LIST_PATH = "/api/v1/SalesInvoices/"


@pytest.fixture(params=[False, True], ids=["fake", "strict"])
async def fake(request: pytest.FixtureRequest) -> AsyncIterator[FakeBouwsoft]:
    # the read path against the fake and against the strictest server the evidence allows
    async with FakeBouwsoft(sales_invoices=INVOICES, strict=request.param) as fake:
        yield fake


@pytest.fixture
async def client(fake: FakeBouwsoft) -> AsyncIterator[BouwsoftClient]:
    async with fake.client() as client:
        yield client


def list_requests(fake: FakeBouwsoft) -> list[Any]:
    return [r for r in fake.requests if r.path in (LIST_PATH, LIST_PATH.rstrip("/"))]


def token_requests(fake: FakeBouwsoft) -> list[Any]:
    return fake.requests_to("GET", "/Authorize/AccessToken")


def money(value: float) -> Decimal:
    return Decimal(repr(value))


def page_body(ids: list[int], content_range: str) -> bytes:
    records = ",".join(render_invoice(i) for i in ids)
    return ('{"Content-Range":"' + content_range + '","Records":[' + records + "]}").encode()


async def wait_for(predicate: Any) -> None:
    """Poll until ``predicate()`` holds (bounded, so a broken test fails instead of hanging)."""
    async with asyncio.timeout(10):
        while not predicate():  # noqa: ASYNC110 - the fake has no event to wait on
            await asyncio.sleep(0.005)


# -- reading ---------------------------------------------------------------------------------


async def test_get(fake: FakeBouwsoft, client: BouwsoftClient) -> None:
    invoice_id = fake.invoice_ids[123]
    invoice = await client.sales_invoices.get(invoice_id)
    expected = invoice_dict(invoice_id)
    assert invoice.id == invoice_id
    assert invoice.nr == expected["nr"]
    assert invoice.type == expected["type"]
    assert invoice.address_name == expected["address_name"]
    assert invoice.date == date.fromisoformat(expected["date"])
    assert invoice.basis == money(expected["basis"])
    assert invoice.balance == money(expected["balance"])
    assert invoice.vatamount == money(expected["vatamount"])
    assert invoice.vatpercent == Decimal(repr(expected["vatpercent"]))
    assert invoice.ts_lastupdate == datetime.fromisoformat(expected["ts_lastupdate"])
    assert invoice.sent_date == (
        date.fromisoformat(expected["sent_date"]) if expected["sent_date"] else None
    )
    assert invoice.extra == {}
    (request,) = fake.requests_to("GET", f"/SalesInvoices/{invoice_id}")
    assert request.headers["Clientnr"] == "115"
    assert request.headers["AccessToken"]


async def test_money_has_no_float_noise_on_any_record(client: BouwsoftClient) -> None:
    async for page in client.sales_invoices.pages(page_size=1000):
        for invoice in page.records:
            for amount in (
                invoice.basis,
                invoice.vatamount,
                invoice.amountinclvat,
                invoice.balance,
            ):
                exponent = amount.as_tuple().exponent
                assert isinstance(exponent, int)
                assert exponent >= -2, amount
            assert invoice.amountinclvat == invoice.basis + invoice.vatamount


async def test_count(fake: FakeBouwsoft, client: BouwsoftClient) -> None:
    assert await client.sales_invoices.count() == INVOICES
    invoices = [invoice_dict(i) for i in fake.invoice_ids]
    faktuur = sum(1 for d in invoices if d["type"] == "FAKTUUR")
    assert 0 < faktuur < INVOICES
    assert await client.sales_invoices.count(filter="type eq 'FAKTUUR'") == faktuur
    assert await client.sales_invoices.count(filter="id eq 0") == 0
    for request in list_requests(fake):
        assert request.query["limit"] == "1"
        assert request.query["sort"] == "id"


async def test_walk_several_thousand_invoices_each_exactly_once(
    fake: FakeBouwsoft, client: BouwsoftClient
) -> None:
    ids = [invoice.id async for invoice in client.sales_invoices.list(page_size=500)]
    assert ids == fake.invoice_ids
    assert len(set(ids)) == INVOICES
    requests = list_requests(fake)
    # the last page is full, so the walk asks once more whatever its total says (issue 9 item 5)
    assert len(requests) == INVOICES // 500 + 1
    assert "filter" not in requests[0].query
    for request, previous_page_end in zip(requests[1:], range(499, INVOICES, 500), strict=False):
        assert request.query == {
            "limit": "500",
            "sort": "id",
            "filter": f"id gt {fake.invoice_ids[previous_page_end]}",
        }


async def test_walk_reads_the_next_page_ahead(fake: FakeBouwsoft, client: BouwsoftClient) -> None:
    walk = client.sales_invoices.pages(page_size=500)
    async with aclosing(walk):
        first = await anext(walk)
        # the caller holds page one and has not asked for more: page two is on its way anyway
        for _ in range(500):
            if len(list_requests(fake)) == 2:
                break
            await asyncio.sleep(0.01)
        assert [r.query.get("filter") for r in list_requests(fake)] == [
            None,
            f"id gt {first.records[-1].id}",
        ]
        second = await anext(walk)
        assert second.records[0].id == fake.invoice_ids[500]
    # closing the walk early drops the third page's read-ahead; nothing is asked twice
    await asyncio.sleep(0.05)
    filters = [r.query.get("filter") for r in list_requests(fake)]
    assert len(filters) == len(set(filters)) <= 3


async def test_pages_hold_at_most_one_page(fake: FakeBouwsoft, client: BouwsoftClient) -> None:
    sizes = []
    seen: list[int] = []
    async for page in client.sales_invoices.pages(page_size=999):
        sizes.append(len(page.records))
        assert page.first == 0
        assert page.total == INVOICES - len(seen)
        seen += [r.id for r in page.records]
    assert sizes == [999, 999, 999, 999, 4]
    assert seen == fake.invoice_ids


async def test_walk_when_the_server_caps_the_page_size() -> None:
    async with FakeBouwsoft(sales_invoices=3000, max_page_size=300) as fake:
        async with fake.client() as client:
            ids = [i.id async for i in client.sales_invoices.list(page_size=1000)]
        assert ids == fake.invoice_ids
        assert len(list_requests(fake)) == 10


@pytest.mark.parametrize(
    ("make_filter", "keep"),
    [
        (lambda ids: "type eq 'FAKTUUR'", lambda d, ids: d["type"] == "FAKTUUR"),
        (lambda ids: "type ne 'FAKTUUR'", lambda d, ids: d["type"] != "FAKTUUR"),
        (
            lambda ids: f"id ge {ids[1000]} and id lt {ids[3500]}",
            lambda d, ids: ids[1000] <= d["id"] < ids[3500],
        ),
        (lambda ids: f"id le {ids[2222]}", lambda d, ids: d["id"] <= ids[2222]),
        (
            lambda ids: f"type eq 'FAKTUUR' and approved eq True and id gt {ids[100]}",
            lambda d, ids: d["type"] == "FAKTUUR" and d["approved"] and d["id"] > ids[100],
        ),
        (lambda ids: "address_city eq 'Staden'", lambda d, ids: d["address_city"] == "Staden"),
    ],
    ids=["eq", "ne", "ge-and-lt", "le", "three-conditions", "text"],
)
async def test_walk_with_filters(
    fake: FakeBouwsoft, client: BouwsoftClient, make_filter: Any, keep: Any
) -> None:
    ids = fake.invoice_ids
    expected = [i for i in ids if keep(invoice_dict(i), ids)]
    assert 0 < len(expected) < INVOICES
    filter_text = make_filter(ids)
    if fake.strict and any(f" {op} " in filter_text for op in ("ge", "lt", "le")):
        # the user's own operator, which the strictest server refuses (answered 400)
        with pytest.raises(BadRequestError):
            await client.sales_invoices.count(filter=filter_text)
        return
    got = [i.id async for i in client.sales_invoices.list(filter=filter_text, page_size=333)]
    assert got == expected
    assert await client.sales_invoices.count(filter=filter_text) == len(expected)
    for request in list_requests(fake)[1:-1]:
        # a filter of several conditions is grouped before it is narrowed (issue 12)
        grouped = filter_text if " and " not in filter_text else f"({filter_text})"
        assert request.query["filter"].startswith(grouped + " and id gt ")


async def test_walk_of_nothing(fake: FakeBouwsoft, client: BouwsoftClient) -> None:
    assert [i async for i in client.sales_invoices.list(filter="id gt 99999999")] == []
    assert len(list_requests(fake)) == 1


@pytest.mark.parametrize("part", ["introduction", "conclusion"])
async def test_text_sub_resources(fake: FakeBouwsoft, client: BouwsoftClient, part: str) -> None:
    invoice_id = fake.invoice_ids[7]
    word = {"introduction": "Inleiding", "conclusion": "Slot"}[part]
    text = f"{word} voor factuur {20120000 + invoice_id} (niet aanpassen aub)"
    call = getattr(client.sales_invoices, part)
    assert await call(invoice_id) == text
    assert await call(invoice_id, "plain") == text
    html = await call(invoice_id, "html")
    assert html.startswith("<HTML><BODY>")
    assert f">{text}</SPAN>" in html
    rtf = await call(invoice_id, "rtf")
    assert rtf.startswith("{\\rtf1\\ansi")
    assert rtf.endswith(f"\\cf1 {text}}}")
    paths = [r.path for r in fake.requests if r.path.endswith(("_plain", "_html", "_rtf"))]
    assert paths == [
        f"/api/v1/SalesInvoices/{invoice_id}/{part}_{fmt}"
        for fmt in ("plain", "plain", "html", "rtf")
    ]


# -- errors from the server ------------------------------------------------------------------


async def test_unknown_id_is_404(fake: FakeBouwsoft, client: BouwsoftClient) -> None:
    with pytest.raises(NotFoundError) as info:
        await client.sales_invoices.get(23)
    assert info.value.status == 404
    assert info.value.method == "GET"
    assert info.value.path == "/api/v1/SalesInvoices/23"
    assert info.value.message == "No record found with that id."
    with pytest.raises(NotFoundError):
        await client.sales_invoices.conclusion(23, "html")
    assert len(fake.requests_to("GET", "/SalesInvoices/23")) == 2


@pytest.mark.parametrize("bad", ["id gt", "id like 5", "nosuchfield eq 1", "type eq FAKTUUR"])
async def test_bad_filter_is_400(fake: FakeBouwsoft, client: BouwsoftClient, bad: str) -> None:
    with pytest.raises(BadRequestError) as info:
        async for _ in client.sales_invoices.list(filter=bad):
            pass
    assert info.value.status == 400
    assert info.value.path == LIST_PATH
    assert info.value.message is not None
    assert info.value.message.startswith("Invalid filter")
    with pytest.raises(BadRequestError):
        await client.sales_invoices.count(filter=bad)
    assert len(list_requests(fake)) == 2


async def test_wrong_refresh_token_is_401(fake: FakeBouwsoft) -> None:
    async with fake.client(refresh_token="not-the-refresh-token") as client:
        with pytest.raises(AuthenticationError) as info:
            await client.sales_invoices.get(fake.invoice_ids[0])
    assert info.value.status == 401
    assert info.value.path == "/api/v1/Authorize/AccessToken"
    assert "not-the-refresh-token" not in str(info.value)
    assert len(token_requests(fake)) == 1
    assert fake.tokens_issued == 0
    assert fake.requests_to("GET", "/SalesInvoices") == []


async def test_wrong_client_nr_is_401(fake: FakeBouwsoft) -> None:
    async with fake.client(access_token="fake-access-token", client_nr=116) as client:
        with pytest.raises(AuthenticationError):
            await client.sales_invoices.count()
    assert len(fake.requests) == 1


async def test_wrong_fixed_access_token_is_401_without_retry(fake: FakeBouwsoft) -> None:
    async with fake.client(access_token="guessed-token") as client:
        with pytest.raises(AuthenticationError) as info:
            await client.sales_invoices.get(fake.invoice_ids[0])
    assert "guessed-token" not in str(info.value)
    assert len(fake.requests) == 1


async def test_fixed_access_token(fake: FakeBouwsoft) -> None:
    async with fake.client(access_token="fake-access-token") as client:
        assert await client.sales_invoices.count() == INVOICES
        assert client.token_fetches == 0
    assert token_requests(fake) == []


# -- tokens ----------------------------------------------------------------------------------


async def test_token_is_fetched_once_and_reused(fake: FakeBouwsoft, client: BouwsoftClient) -> None:
    for invoice_id in fake.invoice_ids[:5]:
        await client.sales_invoices.get(invoice_id)
    assert fake.tokens_issued == 1
    assert client.token_fetches == 1
    (request,) = token_requests(fake)
    assert request.headers["Clientnr"] == "115"
    assert request.headers["RefreshToken"] == fake.refresh_token


async def test_token_refresh_after_expiry(fake: FakeBouwsoft, client: BouwsoftClient) -> None:
    invoice_id = fake.invoice_ids[0]
    await client.sales_invoices.get(invoice_id)
    first = fake.requests_to("GET", f"/SalesInvoices/{invoice_id}")[0].headers["AccessToken"]
    fake.expire_tokens()
    assert (await client.sales_invoices.get(invoice_id)).id == invoice_id
    assert fake.tokens_issued == 2
    tokens = [
        r.headers["AccessToken"] for r in fake.requests_to("GET", f"/SalesInvoices/{invoice_id}")
    ]
    assert tokens[:2] == [first, first]  # the second one got the 401
    assert tokens[2] != first
    assert len(tokens) == 3


async def test_100_concurrent_callers_one_token(fake: FakeBouwsoft, client: BouwsoftClient) -> None:
    ids = fake.invoice_ids[:100]
    invoices = await asyncio.gather(*(client.sales_invoices.get(i) for i in ids))
    assert [i.id for i in invoices] == ids
    assert fake.tokens_issued == 1


async def test_100_concurrent_callers_when_the_token_runs_out(
    fake: FakeBouwsoft, client: BouwsoftClient
) -> None:
    await client.sales_invoices.count()
    assert fake.tokens_issued == 1
    fake.expire_tokens()
    ids = fake.invoice_ids[:100]
    invoices = await asyncio.gather(*(client.sales_invoices.get(i) for i in ids))
    assert [i.id for i in invoices] == ids
    assert fake.tokens_issued == 2
    assert len(token_requests(fake)) == 2
    assert client.token_fetches == 2


async def test_token_renewed_before_valid_until() -> None:
    # ValidUntil is printed to the minute, cut down: an hour from now prints 59-60 min away;
    # the client's own clock (moved by the test) decides when the margin is reached
    clock = MovableClock()
    async with FakeBouwsoft(sales_invoices=10, token_lifetime=3600) as fake:
        async with fake.client(clock=clock) as client:
            await client.sales_invoices.get(fake.invoice_ids[0])
            clock.advance(seconds=3000)
            await client.sales_invoices.get(fake.invoice_ids[1])
            assert fake.tokens_issued == 1
            clock.advance(seconds=600)  # past ValidUntil minus the 60 s margin
            await client.sales_invoices.get(fake.invoice_ids[1])
            assert fake.tokens_issued == 2
        # renewed before, not after a 401: one data request per call
        assert len(fake.requests_to("GET", "/SalesInvoices/")) == 3


async def test_a_failed_renewal_keeps_the_token_that_still_works(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # the token server down for a moment inside the 60 s before ValidUntil: the calls go on with
    # the current token, the renewal is tried again 5 s later, and only a token that has run
    # out fails them. One clock for both, on a whole minute, so ValidUntil (printed to the
    # minute) is exactly an hour away
    clock = MovableClock()
    clock.now = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    invoice = INVOICES // 2
    async with FakeBouwsoft(sales_invoices=INVOICES, token_lifetime=3600, clock=clock) as fake:
        async with fake.client(clock=clock) as client:
            await client.sales_invoices.get(fake.invoice_ids[invoice])
            fake.add_fault(status=500, path_contains="AccessToken", times=99)
            with caplog.at_level(logging.WARNING, logger="bouwsoft_async"):
                clock.advance(seconds=3550)  # renewal due (3540), still valid (3600)
                await client.sales_invoices.get(fake.invoice_ids[invoice])
                await client.sales_invoices.get(fake.invoice_ids[invoice])
                assert len(token_requests(fake)) == 2  # tried once, not once per call
                clock.advance(seconds=6)
                await client.sales_invoices.get(fake.invoice_ids[invoice])
                assert len(token_requests(fake)) == 3
            failures = [r for r in caplog.records if "renewing the access token" in r.message]
            assert len(failures) == 2
            assert "failed (ServerError)" in failures[0].message
            sent = fake.requests_to("GET", "/SalesInvoices/")
            assert all(r.headers["AccessToken"] not in caplog.text for r in sent)
            assert fake.refresh_token not in caplog.text
            clock.advance(seconds=44)  # ValidUntil: the token no longer works
            with pytest.raises(ServerError):
                await client.sales_invoices.get(fake.invoice_ids[invoice])
            assert len(token_requests(fake)) == 4
            fake.faults.clear()
            await client.sales_invoices.get(fake.invoice_ids[invoice])
        assert fake.tokens_issued == 2
        assert len(fake.requests_to("GET", "/SalesInvoices/")) == 5


class MovableClock:
    """The client's clock, moved by the test (the fake keeps real time)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def advance(self, *, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def __call__(self) -> datetime:
        return self.now


async def test_100_concurrent_callers_with_a_short_lived_token() -> None:
    async with FakeBouwsoft(sales_invoices=200, token_lifetime=61) as fake:
        async with fake.client() as client:
            await asyncio.gather(*(client.sales_invoices.get(i) for i in fake.invoice_ids[:100]))
        assert fake.tokens_issued == 1


async def test_token_expiring_in_the_middle_of_a_walk(
    fake: FakeBouwsoft, client: BouwsoftClient
) -> None:
    ids = []
    async for page in client.sales_invoices.pages(page_size=400):
        ids += [r.id for r in page.records]
        if len(ids) in (800, 2400):
            fake.expire_tokens()
    assert ids == fake.invoice_ids
    assert fake.tokens_issued == 3


async def test_explicit_base_url_wins_over_server_name(fake: FakeBouwsoft) -> None:
    # the token answer sends the client to a host that does not exist
    answer = {
        "AccessToken": "fake-access-token",
        "ServerIP": "10.0.0.1",
        "ServerName": "nowhere.invalid",
        "Layout": "B",
        "ValidUntil": "2099-01-01T00:00Z",
    }
    fake.add_fault(status=200, body=json.dumps(answer).encode(), path_contains="/Authorize/")
    async with fake.client(base_url=fake.url) as client:
        assert await client.sales_invoices.count() == INVOICES
    assert len(token_requests(fake)) == 1
    assert len(list_requests(fake)) == 1


# -- faults ----------------------------------------------------------------------------------


async def test_503_twice_then_success(fake: FakeBouwsoft, client: BouwsoftClient) -> None:
    invoice_id = fake.invoice_ids[3]
    fault = fake.add_fault(status=503, times=2, path_contains=f"/SalesInvoices/{invoice_id}")
    assert (await client.sales_invoices.get(invoice_id)).id == invoice_id
    assert fault.times == 0
    assert len(fake.requests_to("GET", f"/SalesInvoices/{invoice_id}")) == 3


async def test_429_storm_beyond_max_retries(fake: FakeBouwsoft) -> None:
    fake.add_fault(
        status=429, headers={"Retry-After": "5"}, times=1000, path_contains="/SalesInvoices"
    )
    async with fake.client(max_retries=4) as client:
        with pytest.raises(RateLimitError) as info:
            await client.sales_invoices.count()
    assert info.value.status == 429
    assert info.value.retry_after == 5.0
    assert len(list_requests(fake)) == 5


async def test_dropped_connection_on_a_get_is_retried(
    fake: FakeBouwsoft, client: BouwsoftClient
) -> None:
    invoice_id = fake.invoice_ids[4]
    fake.add_fault(status=None, times=2, path_contains=f"/SalesInvoices/{invoice_id}")
    assert (await client.sales_invoices.get(invoice_id)).id == invoice_id
    assert len(fake.requests_to("GET", f"/SalesInvoices/{invoice_id}")) == 3


async def test_dropped_connections_beyond_max_retries(fake: FakeBouwsoft) -> None:
    fake.add_fault(status=None, times=1000, path_contains="/SalesInvoices")
    async with fake.client(max_retries=2) as client:
        with pytest.raises(TransportError) as info:
            await client.sales_invoices.count()
    assert info.value.path == LIST_PATH
    # aiohttp itself tries an idempotent request once more when a connection drops, so each of
    # the 1 + max_retries tries may reach the server twice; what matters is that it stops
    assert 3 <= len(list_requests(fake)) <= 2 * 3


async def test_html_502_body(fake: FakeBouwsoft) -> None:
    html = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    fake.add_fault(
        status=502,
        body=html,
        headers={"Content-Type": "text/html"},
        times=1000,
        path_contains="/SalesInvoices",
    )
    async with fake.client(max_retries=1) as client:
        with pytest.raises(ServerError) as info:
            await client.sales_invoices.get(fake.invoice_ids[0])
    assert info.value.status == 502
    assert info.value.excerpt == html.decode()
    assert len(fake.requests_to("GET", "/SalesInvoices/")) == 2


async def test_html_instead_of_json(fake: FakeBouwsoft, client: BouwsoftClient) -> None:
    fake.add_fault(
        status=200, body=b"<html><body>Login</body></html>", path_contains="/SalesInvoices"
    )
    with pytest.raises(DecodeError, match="not JSON") as info:
        await client.sales_invoices.get(fake.invoice_ids[0])
    assert info.value.excerpt == "<html><body>Login</body></html>"


async def test_truncated_body(fake: FakeBouwsoft, client: BouwsoftClient) -> None:
    whole = page_body(fake.invoice_ids[:3], "0-2/4000")
    fake.add_fault(status=200, body=whole[: len(whole) // 2], path_contains="/SalesInvoices/")
    with pytest.raises(DecodeError, match="not JSON"):
        async for _ in client.sales_invoices.list():
            pass


async def test_lying_content_range(fake: FakeBouwsoft, client: BouwsoftClient) -> None:
    body = page_body(fake.invoice_ids[:1], "0-9/4000")
    fake.add_fault(status=200, body=body, path_contains="/SalesInvoices/")
    with pytest.raises(DecodeError, match="announces 10 records but the page has 1"):
        async for _ in client.sales_invoices.list(page_size=10):
            pass


async def test_page_whose_ids_do_not_advance(fake: FakeBouwsoft, client: BouwsoftClient) -> None:
    body = page_body(fake.invoice_ids[:2], "0-1/4000")
    fake.add_fault(status=200, body=body, times=1000, path_contains="/SalesInvoices/")
    seen: list[int] = []

    async def walk() -> None:
        async for invoice in client.sales_invoices.list(page_size=2):
            seen.append(invoice.id)

    with pytest.raises(DecodeError, match="ids do not advance"):
        await walk()
    assert seen == fake.invoice_ids[:2]
    assert len(list_requests(fake)) == 2


async def test_503_in_the_middle_of_a_walk(fake: FakeBouwsoft, client: BouwsoftClient) -> None:
    ids = []
    async for page in client.sales_invoices.pages(page_size=700):
        ids += [r.id for r in page.records]
        if len(ids) == 1400:
            fake.add_fault(status=503, times=2, path_contains="/SalesInvoices/")
    assert ids == fake.invoice_ids
    assert len(list_requests(fake)) == 6 + 2


async def test_timeout_bounds_each_request(fake: FakeBouwsoft) -> None:
    fake.add_fault(status=200, delay=0.5, times=2, path_contains="/SalesInvoices/")
    async with fake.client(timeout=0.05, max_retries=1) as client:
        with pytest.raises(TransportError, match="timed out"):
            await client.sales_invoices.count()
    assert len(list_requests(fake)) == 2


async def test_cancelled_request_is_not_retried(fake: FakeBouwsoft, client: BouwsoftClient) -> None:
    await client.sales_invoices.count()  # the token is in hand
    before = len(fake.requests)
    invoice_id = fake.invoice_ids[9]
    fake.add_fault(status=503, delay=0.3, times=5, path_contains=f"/SalesInvoices/{invoice_id}")
    task = asyncio.create_task(client.sales_invoices.get(invoice_id))
    await wait_for(lambda: len(fake.requests) > before)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.05)
    assert len(fake.requests_to("GET", f"/SalesInvoices/{invoice_id}")) == 1
    # the client is still usable afterwards
    assert await client.sales_invoices.count() == INVOICES


async def test_max_concurrency_bounds_requests_in_flight() -> None:
    in_flight = 0
    peak = 0

    async def started(*_: Any) -> None:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)

    async def ended(*_: Any) -> None:
        nonlocal in_flight
        in_flight -= 1

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(started)
    trace.on_request_end.append(ended)
    trace.on_request_exception.append(ended)
    async with (
        FakeBouwsoft(sales_invoices=60, latency=0.02) as fake,
        aiohttp.ClientSession(trace_configs=[trace]) as session,
    ):
        client = fake.client(access_token="fake-access-token", session=session, max_concurrency=3)
        async with client:
            await asyncio.gather(*(client.sales_invoices.get(i) for i in fake.invoice_ids[:30]))
    assert peak == 3


# -- sessions --------------------------------------------------------------------------------


async def test_client_closes_its_own_session(fake: FakeBouwsoft) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client = fake.client()
        await client.sales_invoices.count()
        owned = client._core.transport._session  # type: ignore[attr-defined]
        assert isinstance(owned, aiohttp.ClientSession)
        await client.aclose()
        assert owned.closed
        del client, owned
        gc.collect()
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []


async def test_injected_session_stays_open(fake: FakeBouwsoft) -> None:
    async with aiohttp.ClientSession() as session:
        async with fake.client(session=session) as client:
            assert await client.sales_invoices.count() == INVOICES
        assert not session.closed
        async with session.get(
            f"{fake.url}/SalesInvoices/{fake.invoice_ids[0]}/introduction_plain",
            headers={"Clientnr": "115", "AccessToken": "fake-access-token"},
        ) as response:
            assert response.status == 200


async def test_a_failed_token_fetch_fails_every_waiter_once() -> None:
    async with FakeBouwsoft(sales_invoices=10) as fake:
        fake.add_fault(
            status=500, body=b"<html>auth down</html>", path_contains="AccessToken", times=1000
        )
        async with fake.client(max_retries=1) as client:
            results = await asyncio.gather(
                *(client.sales_invoices.count() for _ in range(50)), return_exceptions=True
            )
        assert all(isinstance(r, ServerError) for r in results)
        # one fetch (a 500 is not retried), shared by all fifty callers: asked once, not twice
        assert len(fake.requests_to("GET", "AccessToken")) == 1


async def test_every_spelling_of_an_empty_list_counts_and_walks_as_nothing(
    fake: FakeBouwsoft, client: BouwsoftClient, empty: bytes
) -> None:
    for _ in range(2):
        fake.add_fault(status=200, body=empty, method="GET", path_contains="/SalesInvoices",
                       headers={"Content-Type": "application/json"})  # fmt: skip
    assert await client.sales_invoices.count(filter="type eq 'NOTHING'") == 0
    assert [i async for i in client.sales_invoices.list(filter="type eq 'NOTHING'")] == []
