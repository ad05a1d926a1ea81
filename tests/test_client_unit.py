"""Exact requests pinned with aioresponses: URLs, parameters, headers, retries, errors, secrets."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from aioresponses import CallbackResult, aioresponses

from bouwsoft_async import (
    APIError,
    AuthenticationError,
    BadRequestError,
    BouwsoftClient,
    BouwsoftError,
    DecodeError,
    NotFoundError,
    RateLimitError,
    RetryPolicy,
    ServerError,
    TransportError,
    ValidationError,
    set_instant_retries,
)
from bouwsoft_async.testing import invoice_dict

BASE = "https://ra.bouwsoft.be/api/v1"
AUTH = "https://charon.bouwsoft.be/api/v1"
DATA = "https://osiris.bouwsoft.be/api/v1"
ACCESS = "tlPfWxfIADzSfklmGfzRqOtkflGffGjDffUkzrlVlVkGbPlfOI"
REFRESH = "refresh-lkrfWxffOUzSfrrtIfzRqIrjfOflfGtPfUtk"
NEW_TOKENS = [f"issued-{n}-bGDfWxfDttzSfOrbbfzRqbDrfmGmGfGAfAAb" for n in range(3)]
JSON = "application/json"


@pytest.fixture
def mock() -> Iterator[aioresponses]:
    with aioresponses() as mocked:
        yield mocked


class Script:
    """Answers every request to ``url`` (any query) in turn; the last answer repeats.

    An answer is a CallbackResult, an exception to raise, or a coroutine function that gets the
    recorded call.
    """

    def __init__(self, mock: aioresponses, url: str, *answers: Any) -> None:
        self.answers = answers
        self.calls: list[SimpleNamespace] = []
        mock.get(re.compile(re.escape(url) + r"(\?.*)?$"), callback=self._answer, repeat=True)

    async def _answer(self, url: Any, **kwargs: Any) -> CallbackResult:
        # the client sends its query inside the URL (encoded once, by the client); aioresponses
        # hands it over re-sorted, so the exact raw form is pinned over real HTTP in test_wire
        self.calls.append(
            SimpleNamespace(
                url=str(url.with_query(None)),
                path=url.path,
                headers=dict(kwargs.get("headers") or {}),
                params=dict(url.query) or None,
                allow_redirects=kwargs.get("allow_redirects"),
            )
        )
        answer = self.answers[min(len(self.calls), len(self.answers)) - 1]
        if isinstance(answer, BaseException):
            raise answer
        if callable(answer):
            answer = await answer(self.calls[-1])
        assert isinstance(answer, CallbackResult)
        return answer

    @property
    def count(self) -> int:
        return len(self.calls)


def ok(payload: Any, headers: dict[str, str] | None = None) -> CallbackResult:
    return CallbackResult(status=200, body=json.dumps(payload), content_type=JSON, headers=headers)


def status(code: int, body: str = "", headers: dict[str, str] | None = None) -> CallbackResult:
    return CallbackResult(status=code, body=body, content_type="text/html", headers=headers)


def record(invoice_id: int, *, padding: int = 0) -> dict[str, Any]:
    """Invoice 24's record under ``invoice_id``; ``padding`` characters in an unknown field
    make its page as big as a page of many records."""
    data = invoice_dict(24)
    data["id"] = invoice_id
    if padding:
        data["remark_long"] = "x" * padding
    return data


def page(
    ids: list[int],
    total: int | None = None,
    content_range: str | None = None,
    *,
    padding: int = 0,
) -> CallbackResult:
    if content_range is None:
        total = len(ids) if total is None else total
        content_range = f"0-{len(ids) - 1}/{total}" if ids else "0-0/0"
    records = [record(i, padding=padding) for i in ids]
    return ok({"Content-Range": content_range, "Records": records})


# a page of two records this padded (about 100 KB) is one the walk asks ahead of
BIG = 50_000


def token_answer(
    token: str, *, server: str = "Osiris.bouwsoft.be", valid_for: timedelta = timedelta(hours=2)
) -> CallbackResult:
    until = datetime.now(UTC) + valid_for
    return ok(
        {
            "AccessToken": token,
            "ServerIP": "95.138.166.117",
            "ServerName": server,
            "Layout": "B",
            "ValidUntil": until.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    )


@pytest.fixture
async def client() -> AsyncIterator[BouwsoftClient]:
    async with BouwsoftClient(client_nr=115, access_token=ACCESS, base_url=BASE) as client:
        yield client


@pytest.fixture
async def token_client() -> AsyncIterator[BouwsoftClient]:
    async with BouwsoftClient(client_nr=115, refresh_token=REFRESH, auth_url=AUTH) as client:
        yield client


DATA_HEADERS = {"Clientnr": "115", "AccessToken": ACCESS, "Accept": JSON}


# -- the exact requests ----------------------------------------------------------------------


async def test_get_by_id_request(client: BouwsoftClient, mock: aioresponses) -> None:
    one = Script(mock, f"{BASE}/SalesInvoices/24", page([24]))
    invoice = await client.sales_invoices.get(24)
    assert invoice.id == 24
    assert [c.url for c in one.calls] == [f"{BASE}/SalesInvoices/24"]
    assert one.calls[0].headers == DATA_HEADERS
    assert one.calls[0].params is None
    assert one.calls[0].allow_redirects is False


async def test_text_sub_resources(client: BouwsoftClient, mock: aioresponses) -> None:
    rtf = "{\\rtf1\\ansi Slot voor de API (niet aanpassen aub)}"
    for part in ("introduction", "conclusion"):
        for fmt in ("plain", "html", "rtf"):
            mock.get(
                f"{BASE}/SalesInvoices/1021/{part}_{fmt}",
                body=f"{part}/{fmt}: {rtf}",
                content_type="text/plain; charset=utf-8",
                repeat=True,
            )
    for fmt in ("plain", "html", "rtf"):
        assert await client.sales_invoices.introduction(1021, fmt) == f"introduction/{fmt}: {rtf}"
        assert await client.sales_invoices.conclusion(1021, fmt) == f"conclusion/{fmt}: {rtf}"
    assert await client.sales_invoices.introduction(1021) == f"introduction/plain: {rtf}"
    for (method, url), calls in mock.requests.items():
        assert method == "GET"
        assert str(url).startswith(f"{BASE}/SalesInvoices/1021/")
        assert calls[0].kwargs["headers"] == DATA_HEADERS


async def test_text_honours_the_declared_charset(
    client: BouwsoftClient, mock: aioresponses
) -> None:
    mock.get(
        f"{BASE}/SalesInvoices/7/conclusion_plain",
        body="Slot: Élec Dubois".encode("latin-1"),
        content_type="text/plain; charset=iso-8859-1",
    )
    assert await client.sales_invoices.conclusion(7) == "Slot: Élec Dubois"


async def test_count_request(client: BouwsoftClient, mock: aioresponses) -> None:
    lst = Script(mock, f"{BASE}/SalesInvoices/", page([24], total=3412))
    assert await client.sales_invoices.count() == 3412
    assert await client.sales_invoices.count(filter="type eq 'FAKTUUR'") == 3412
    assert lst.calls[0].path == "/api/v1/SalesInvoices/"
    assert lst.calls[0].params == {"limit": "1", "sort": "id"}
    assert lst.calls[1].params == {"limit": "1", "sort": "id", "filter": "type eq 'FAKTUUR'"}
    assert lst.calls[1].headers == DATA_HEADERS


async def test_count_of_nothing(client: BouwsoftClient, mock: aioresponses) -> None:
    Script(mock, f"{BASE}/SalesInvoices/", ok({"Content-Range": "0-0/0", "Records": []}))
    assert await client.sales_invoices.count(filter="id lt 0") == 0


async def test_walk_narrows_the_filter_by_last_id(
    client: BouwsoftClient, mock: aioresponses
) -> None:
    lst = Script(
        mock,
        f"{BASE}/SalesInvoices/",
        page([24, 25], total=5),
        page([27, 30], total=3),
        page([31], total=1),
    )
    ids = [i.id async for i in client.sales_invoices.list(filter="type eq 'FAKTUUR'", page_size=2)]
    assert ids == [24, 25, 27, 30, 31]
    assert [c.path for c in lst.calls] == ["/api/v1/SalesInvoices/"] * 3
    assert [c.params for c in lst.calls] == [
        {"limit": "2", "sort": "id", "filter": "type eq 'FAKTUUR'"},
        {"limit": "2", "sort": "id", "filter": "type eq 'FAKTUUR' and id gt 25"},
        {"limit": "2", "sort": "id", "filter": "type eq 'FAKTUUR' and id gt 30"},
    ]
    assert all(c.headers == DATA_HEADERS for c in lst.calls)


async def test_walk_without_filter_and_page_shapes(
    client: BouwsoftClient, mock: aioresponses
) -> None:
    lst = Script(mock, f"{BASE}/SalesInvoices/", page([24, 25, 26], total=4), page([99], total=1))
    pages = [p async for p in client.sales_invoices.pages(page_size=3)]
    assert [c.params for c in lst.calls] == [
        {"limit": "3", "sort": "id"},
        {"limit": "3", "sort": "id", "filter": "id gt 26"},
    ]
    assert [[r.id for r in p.records] for p in pages] == [[24, 25, 26], [99]]
    assert [(p.first, p.last, p.total) for p in pages] == [(0, 2, 4), (0, 0, 1)]


async def test_walk_default_page_size(client: BouwsoftClient, mock: aioresponses) -> None:
    lst = Script(mock, f"{BASE}/SalesInvoices/", ok({"Content-Range": "*/0", "Records": []}))
    assert [i async for i in client.sales_invoices.list()] == []
    assert lst.calls[0].params == {"limit": "500", "sort": "id"}
    assert lst.count == 1


# -- the token flow --------------------------------------------------------------------------


async def test_token_flow_requests(token_client: BouwsoftClient, mock: aioresponses) -> None:
    tok = Script(mock, f"{AUTH}/Authorize/AccessToken", token_answer(NEW_TOKENS[0]))
    one = Script(mock, f"{DATA}/SalesInvoices/24", page([24]))
    assert (await token_client.sales_invoices.get(24)).id == 24
    assert (await token_client.sales_invoices.get(24)).id == 24
    assert tok.count == 1
    assert token_client.token_fetches == 1
    assert tok.calls[0].url == f"{AUTH}/Authorize/AccessToken"
    assert tok.calls[0].headers == {"Clientnr": "115", "RefreshToken": REFRESH, "Accept": JSON}
    assert tok.calls[0].params is None
    assert one.count == 2
    for call in one.calls:
        assert call.headers == {"Clientnr": "115", "AccessToken": NEW_TOKENS[0], "Accept": JSON}


async def test_explicit_base_url_wins_over_server_name(mock: aioresponses) -> None:
    tok = Script(mock, f"{AUTH}/Authorize/AccessToken", token_answer(NEW_TOKENS[0]))
    one = Script(mock, f"{BASE}/SalesInvoices/24", page([24]))
    async with BouwsoftClient(
        client_nr=115, refresh_token=REFRESH, auth_url=AUTH, base_url=BASE + "/"
    ) as client:
        await client.sales_invoices.get(24)
    assert tok.count == 1
    assert one.calls[0].url == f"{BASE}/SalesInvoices/24"
    assert one.calls[0].headers["AccessToken"] == NEW_TOKENS[0]


async def test_default_auth_url_is_charon(mock: aioresponses) -> None:
    tok = Script(mock, "https://charon.bouwsoft.be/api/v1/Authorize/AccessToken", token_answer("t"))
    Script(mock, f"{DATA}/SalesInvoices/24", page([24]))
    async with BouwsoftClient(client_nr=115, refresh_token=REFRESH) as client:
        await client.sales_invoices.get(24)
    assert tok.count == 1


async def test_token_renewed_before_valid_until(mock: aioresponses) -> None:
    # a 30 s token is inside the 60 s margin from the start: it is renewed at half its life on
    # the client's clock, not on every call (the token storm)
    tok = Script(
        mock,
        f"{AUTH}/Authorize/AccessToken",
        token_answer(NEW_TOKENS[0], valid_for=timedelta(seconds=30)),
        token_answer(NEW_TOKENS[1]),
    )
    one = Script(mock, f"{DATA}/SalesInvoices/24", page([24]))
    now = [datetime.now(UTC)]
    async with BouwsoftClient(
        client_nr=115, refresh_token=REFRESH, auth_url=AUTH, clock=lambda: now[0]
    ) as token_client:
        for _ in range(3):
            await token_client.sales_invoices.get(24)
        assert tok.count == 1
        now[0] += timedelta(seconds=16)
        for _ in range(2):
            await token_client.sales_invoices.get(24)
    assert tok.count == 2
    assert [c.headers["AccessToken"] for c in one.calls] == [NEW_TOKENS[0]] * 3 + [
        NEW_TOKENS[1]
    ] * 2


async def test_401_refreshes_once_and_retries_once(
    token_client: BouwsoftClient, mock: aioresponses
) -> None:
    tok = Script(
        mock,
        f"{AUTH}/Authorize/AccessToken",
        token_answer(NEW_TOKENS[0]),
        token_answer(NEW_TOKENS[1]),
    )
    one = Script(mock, f"{DATA}/SalesInvoices/24", status(401), page([24]))
    assert (await token_client.sales_invoices.get(24)).id == 24
    assert tok.count == 2
    assert [c.headers["AccessToken"] for c in one.calls] == [NEW_TOKENS[0], NEW_TOKENS[1]]


async def test_401_after_refresh_gives_up(token_client: BouwsoftClient, mock: aioresponses) -> None:
    tok = Script(mock, f"{AUTH}/Authorize/AccessToken", token_answer(NEW_TOKENS[0]))
    one = Script(mock, f"{DATA}/SalesInvoices/24", status(401))
    with pytest.raises(AuthenticationError) as info:
        await token_client.sales_invoices.get(24)
    assert info.value.status == 401
    assert info.value.path == "/api/v1/SalesInvoices/24"
    assert one.count == 2
    assert tok.count == 2


async def test_100_concurrent_callers_fetch_one_token(
    token_client: BouwsoftClient, mock: aioresponses
) -> None:
    async def slow_token(_: SimpleNamespace) -> CallbackResult:
        await asyncio.sleep(0.01)
        return token_answer(NEW_TOKENS[0])

    tok = Script(mock, f"{AUTH}/Authorize/AccessToken", slow_token)
    one = Script(mock, f"{DATA}/SalesInvoices/24", page([24]))
    invoices = await asyncio.gather(*(token_client.sales_invoices.get(24) for _ in range(100)))
    assert len(invoices) == 100
    assert tok.count == 1
    assert one.count == 100


async def test_100_concurrent_callers_fetch_one_short_lived_token(
    token_client: BouwsoftClient, mock: aioresponses
) -> None:
    # a token already inside the renewal margin when it arrives is still used by every waiter
    async def slow_token(_: SimpleNamespace) -> CallbackResult:
        await asyncio.sleep(0.01)
        return token_answer(NEW_TOKENS[0], valid_for=timedelta(seconds=30))

    tok = Script(mock, f"{AUTH}/Authorize/AccessToken", slow_token)
    Script(mock, f"{DATA}/SalesInvoices/24", page([24]))
    await asyncio.gather(*(token_client.sales_invoices.get(24) for _ in range(100)))
    assert tok.count == 1


async def test_100_concurrent_401s_cause_one_refresh(
    token_client: BouwsoftClient, mock: aioresponses
) -> None:
    tok = Script(
        mock,
        f"{AUTH}/Authorize/AccessToken",
        token_answer(NEW_TOKENS[0]),
        token_answer(NEW_TOKENS[1]),
    )
    expired = False

    async def by_token(call: SimpleNamespace) -> CallbackResult:
        await asyncio.sleep(0)
        if expired and call.headers["AccessToken"] == NEW_TOKENS[0]:
            return status(401)
        return page([24])

    one = Script(mock, f"{DATA}/SalesInvoices/24", by_token)
    await token_client.sales_invoices.get(24)
    expired = True
    await asyncio.gather(*(token_client.sales_invoices.get(24) for _ in range(100)))
    assert tok.count == 2
    assert token_client.token_fetches == 2
    later = one.calls[1:]
    assert sum(c.headers["AccessToken"] == NEW_TOKENS[1] for c in later) == 100
    assert 1 <= sum(c.headers["AccessToken"] == NEW_TOKENS[0] for c in later) <= 100


async def test_bad_refresh_token(mock: aioresponses) -> None:
    tok = Script(
        mock, f"{AUTH}/Authorize/AccessToken", status(401, '{"Message": "Invalid RefreshToken."}')
    )
    async with BouwsoftClient(client_nr=115, refresh_token=REFRESH, auth_url=AUTH) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.sales_invoices.get(24)
    assert info.value.path == "/api/v1/Authorize/AccessToken"
    assert tok.count == 1
    assert REFRESH not in str(info.value)


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        ({"AccessToken": NEW_TOKENS[2], "ServerName": "Osiris.bouwsoft.be"}, "ValidUntil"),
        (
            {"AccessToken": "", "ServerName": "a.b", "ValidUntil": "2030-01-01T00:00Z"},
            "no AccessToken",
        ),
        (
            {
                "AccessToken": NEW_TOKENS[2],
                "ServerName": "evil.com/x",
                "ValidUntil": "2030-01-01T00:00Z",
            },
            "ServerName",
        ),
        (
            {"AccessToken": NEW_TOKENS[2], "ServerName": "a.b", "ValidUntil": "soon"},
            "ValidUntil",
        ),
        ([NEW_TOKENS[2]], "no AccessToken"),
        (
            {"AccessToken": None, "ServerName": "a.b", "ValidUntil": "2030-01-01T00:00Z"},
            "no AccessToken",
        ),
    ],
)
async def test_unusable_token_answers(
    token_client: BouwsoftClient, mock: aioresponses, payload: Any, match: str
) -> None:
    tok = Script(mock, f"{AUTH}/Authorize/AccessToken", ok(payload))
    with pytest.raises(DecodeError, match=match) as info:
        await token_client.sales_invoices.get(24)
    assert tok.count == 1
    assert NEW_TOKENS[2] not in str(info.value)
    assert NEW_TOKENS[2] not in repr(info.value)
    assert NEW_TOKENS[2] not in info.value.excerpt


async def test_cut_token_answer_shows_no_part_of_the_token(
    token_client: BouwsoftClient, mock: aioresponses
) -> None:
    body = json.dumps({"AccessToken": NEW_TOKENS[2], "ServerName": "a.b"})[:-30]
    tok = Script(
        mock, f"{AUTH}/Authorize/AccessToken", CallbackResult(body=body, content_type=JSON)
    )
    with pytest.raises(DecodeError, match="not JSON") as info:
        await token_client.sales_invoices.get(24)
    assert tok.count == 1
    assert NEW_TOKENS[2][:12] not in str(info.value)


# -- retries ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "cls"),
    [(429, RateLimitError), (502, ServerError), (503, ServerError), (504, ServerError)],
)
@pytest.mark.parametrize("max_retries", [0, 2, 4])
async def test_retryable_statuses_are_retried_a_bounded_number_of_times(
    mock: aioresponses, code: int, cls: type[APIError], max_retries: int
) -> None:
    one = Script(mock, f"{BASE}/SalesInvoices/24", status(code, "<html>busy</html>"))
    async with BouwsoftClient(
        client_nr=115, access_token=ACCESS, base_url=BASE, max_retries=max_retries
    ) as client:
        with pytest.raises(cls) as info:
            await client.sales_invoices.get(24)
    assert one.count == max_retries + 1
    assert info.value.status == code
    assert info.value.excerpt == "<html>busy</html>"


@pytest.mark.parametrize("code", [429, 502, 503, 504])
async def test_retryable_status_then_success(
    client: BouwsoftClient, mock: aioresponses, code: int
) -> None:
    one = Script(mock, f"{BASE}/SalesInvoices/24", status(code), status(code), page([24]))
    assert (await client.sales_invoices.get(24)).id == 24
    assert one.count == 3


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (404, NotFoundError),
        (500, ServerError),
        (418, APIError),
    ],
)
async def test_not_retried(
    client: BouwsoftClient, mock: aioresponses, code: int, cls: type[APIError]
) -> None:
    one = Script(mock, f"{BASE}/SalesInvoices/24", status(code, '{"Message": "nope"}'))
    with pytest.raises(cls) as info:
        await client.sales_invoices.get(24)
    assert one.count == 1
    assert type(info.value) is cls
    assert info.value.status == code
    assert info.value.method == "GET"
    assert info.value.path == "/api/v1/SalesInvoices/24"
    assert info.value.message == "nope"
    assert str(info.value) == f"GET /api/v1/SalesInvoices/24 -> HTTP {code}: nope"


@pytest.mark.parametrize(
    "error",
    [
        aiohttp.ServerDisconnectedError(),
        aiohttp.ClientConnectionError("connection reset"),
        aiohttp.ClientPayloadError("cut"),
        TimeoutError(),
        aiohttp.ClientOSError(104, "reset"),
    ],
    ids=["disconnected", "connection", "payload", "timeout", "oserror"],
)
async def test_connection_errors_on_get_are_retried(mock: aioresponses, error: Exception) -> None:
    one = Script(mock, f"{BASE}/SalesInvoices/24", error)
    async with BouwsoftClient(
        client_nr=115, access_token=ACCESS, base_url=BASE, max_retries=2
    ) as client:
        with pytest.raises(TransportError) as info:
            await client.sales_invoices.get(24)
    assert one.count == 3
    assert info.value.method == "GET"
    assert info.value.path == "/api/v1/SalesInvoices/24"
    assert isinstance(info.value, BouwsoftError)


async def test_connection_error_then_success(client: BouwsoftClient, mock: aioresponses) -> None:
    one = Script(mock, f"{BASE}/SalesInvoices/24", aiohttp.ServerDisconnectedError(), page([24]))
    assert (await client.sales_invoices.get(24)).id == 24
    assert one.count == 2


async def test_retry_storm_on_the_token_endpoint_is_bounded_by_max_retries(
    mock: aioresponses,
) -> None:
    tok = Script(mock, f"{AUTH}/Authorize/AccessToken", status(503))
    async with BouwsoftClient(
        client_nr=115, refresh_token=REFRESH, auth_url=AUTH, max_retries=2
    ) as client:
        with pytest.raises(ServerError):
            await client.sales_invoices.get(24)
    assert tok.count == 3


@pytest.fixture
def recorded_waits(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """The waits the policy chooses (with real waits on), while tenacity sleeps zero."""
    waits: list[float] = []
    original = RetryPolicy.wait_seconds

    def spy(self: RetryPolicy, attempt: int, exc: BaseException | None) -> float:
        waits.append(original(self, attempt, exc))
        return 0.0

    set_instant_retries(False)
    monkeypatch.setattr(RetryPolicy, "wait_seconds", spy)
    yield waits
    set_instant_retries(True)


async def test_retry_after_seconds_is_obeyed(
    client: BouwsoftClient, mock: aioresponses, recorded_waits: list[float]
) -> None:
    Script(
        mock,
        f"{BASE}/SalesInvoices/24",
        status(429, headers={"Retry-After": "7"}),
        status(503, headers={"Retry-After": "2"}),
        page([24]),
    )
    await client.sales_invoices.get(24)
    assert recorded_waits == [7.0, 2.0]


async def test_retry_after_is_capped(
    client: BouwsoftClient, mock: aioresponses, recorded_waits: list[float]
) -> None:
    far = (datetime.now(UTC) + timedelta(days=1)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    past = "Wed, 12 Feb 2020 14:00:00 GMT"
    Script(
        mock,
        f"{BASE}/SalesInvoices/24",
        status(429, headers={"Retry-After": "86400"}),
        status(429, headers={"Retry-After": far}),
        status(429, headers={"Retry-After": past}),
        page([24]),
    )
    await client.sales_invoices.get(24)
    assert recorded_waits == [60.0, 60.0, 0.0]


async def test_backoff_without_retry_after_is_jittered_and_bounded(
    mock: aioresponses, recorded_waits: list[float]
) -> None:
    Script(mock, f"{BASE}/SalesInvoices/24", status(502))
    policy = RetryPolicy(max_retries=5, initial_backoff=1.0, max_backoff=4.0)
    async with BouwsoftClient(
        client_nr=115, access_token=ACCESS, base_url=BASE, retry_policy=policy
    ) as client:
        with pytest.raises(ServerError):
            await client.sales_invoices.get(24)
    # tenacity also asks for a wait after the last try, which it then does not sleep
    assert len(recorded_waits) in (5, 6)
    assert len(set(recorded_waits)) == len(recorded_waits)
    for attempt, wait in enumerate(recorded_waits, start=1):
        assert 0.0 <= wait <= min(4.0, 2.0 ** (attempt - 1))


async def test_rate_limit_error_carries_retry_after(mock: aioresponses) -> None:
    Script(mock, f"{BASE}/SalesInvoices/24", status(429, headers={"Retry-After": "12"}))
    async with BouwsoftClient(
        client_nr=115, access_token=ACCESS, base_url=BASE, max_retries=1
    ) as client:
        with pytest.raises(RateLimitError) as info:
            await client.sales_invoices.get(24)
    assert info.value.retry_after == 12.0


async def test_cancelled_request_is_not_retried(client: BouwsoftClient, mock: aioresponses) -> None:
    started = asyncio.Event()

    async def hang(_: SimpleNamespace) -> CallbackResult:
        started.set()
        await asyncio.sleep(3600)
        return page([24])

    one = Script(mock, f"{BASE}/SalesInvoices/24", hang)
    task = asyncio.create_task(client.sales_invoices.get(24))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0)
    assert one.count == 1


# -- bodies not in the documented shape ------------------------------------------------------


async def test_html_instead_of_json(client: BouwsoftClient, mock: aioresponses) -> None:
    html = "<html><head><title>Maintenance</title></head><body>Back soon</body></html>"
    Script(mock, f"{BASE}/SalesInvoices/24", CallbackResult(body=html, content_type="text/html"))
    with pytest.raises(DecodeError, match="not JSON") as info:
        await client.sales_invoices.get(24)
    assert info.value.excerpt == html


async def test_html_error_page_on_502(client: BouwsoftClient, mock: aioresponses) -> None:
    Script(mock, f"{BASE}/SalesInvoices/24", status(502, "<html><h1>502 Bad Gateway</h1></html>"))
    with pytest.raises(ServerError) as info:
        await client.sales_invoices.get(24)
    assert info.value.excerpt == "<html><h1>502 Bad Gateway</h1></html>"
    assert info.value.message is None


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        ([], "expected an object"),
        ({"Content-Range": "0-0/1"}, "expected an object"),
        ({"Content-Range": "0-0/1", "Records": {"id": 24}}, "expected an object"),
        # an empty Records without Content-Range means "nothing" (issue 12); with records, not
        ({"Records": [record(24)]}, "Content-Range is missing"),
        ({"Content-Range": "0-1/2", "Records": [record(24)]}, "announces 2 records"),
        ({"Content-Range": "1-1/2", "Records": [record(24)]}, "start at position 0"),
        ({"Content-Range": "0-2/1", "Records": [record(24)]}, "contradicts itself"),
        ({"Content-Range": "zero to one", "Records": [record(24)]}, "malformed"),
        ({"Content-Range": "0-1/5", "Records": [record(25), record(24)]}, "ids do not advance"),
        ({"Content-Range": "0-1/5", "Records": [record(25), record(25)]}, "ids do not advance"),
        ({"Content-Range": "0-0/1", "Records": [{"id": 24}]}, "missing field"),
    ],
)
async def test_list_pages_in_the_wrong_shape(
    client: BouwsoftClient, mock: aioresponses, payload: Any, match: str
) -> None:
    lst = Script(mock, f"{BASE}/SalesInvoices/", ok(payload))
    with pytest.raises(DecodeError, match=match):
        async for _ in client.sales_invoices.list(page_size=2):
            pass
    # the bad page is not asked for again; at most the read-ahead of the page after it went out
    # (it is sent before the page is decoded) and was dropped unread
    assert 1 <= lst.count <= 2
    assert all("id gt" in call.params["filter"] for call in lst.calls[1:])


async def test_a_small_page_is_decoded_before_the_next_one_is_asked_for(
    client: BouwsoftClient, mock: aioresponses
) -> None:
    lst = Script(mock, f"{BASE}/SalesInvoices/", page([24, 25], total=4), page([26, 27]), page([]))
    walk = client.sales_invoices.pages(page_size=2)
    async with aclosing(walk):
        first = await anext(walk)
        # a page of a few KB decodes faster than asking ahead costs: nothing else went out
        assert [r.id for r in first.records] == [24, 25]
        assert lst.count == 1
        rest = [r.id async for p in walk for r in p.records]
    assert rest == [26, 27]
    assert [(call.params or {}).get("filter") for call in lst.calls] == [
        None,
        "id gt 25",
        "id gt 27",
    ]


async def test_the_next_page_is_asked_for_before_this_one_is_decoded(
    client: BouwsoftClient, mock: aioresponses
) -> None:
    big = functools.partial(page, padding=BIG)
    lst = Script(mock, f"{BASE}/SalesInvoices/", big([24, 25], total=4), big([26, 27]), page([]))
    walk = client.sales_invoices.pages(page_size=2)
    async with aclosing(walk):
        first = await anext(walk)
        # the caller holds page one; page two was requested from page one's bytes already
        assert [r.id for r in first.records] == [24, 25]
        assert lst.count == 2
        assert lst.calls[1].params["filter"] == "id gt 25"
        rest = [r.id async for p in walk for r in p.records]
    assert rest == [26, 27]
    # page two is full: one more request, whatever its total says (issue 9 item 5)
    assert lst.count == 3


async def test_a_wrong_read_ahead_guess_is_dropped(
    client: BouwsoftClient, mock: aioresponses
) -> None:
    # the last record ends in a nested object with an id: the bytes suggest 999, not 25
    misleading = {**record(25, padding=BIG), "meta": {"id": 999}}
    first = ok({"Content-Range": "0-1/4", "Records": [record(24, padding=BIG), misleading]})

    async def answer(call: Any) -> CallbackResult:
        where = (call.params or {}).get("filter")
        return {
            None: first,
            "id gt 25": page([26, 27]),
            "id gt 999": page([1000]),
            "id gt 27": page([]),
        }[where]

    lst = Script(mock, f"{BASE}/SalesInvoices/", answer)
    ids = [invoice.id async for invoice in client.sales_invoices.list(page_size=2)]
    assert ids == [24, 25, 26, 27]
    filters = [(c.params or {}).get("filter") for c in lst.calls]
    # the full last page is followed by one more request (issue 9 item 5)
    assert filters == [None, "id gt 999", "id gt 25", "id gt 27"]


async def test_a_probe_answer_of_the_wrong_shape_is_redacted(
    client: BouwsoftClient, mock: aioresponses
) -> None:
    # a server that echoes the token in an answer that is not a list page
    Script(mock, f"{BASE}/SalesInvoices/", ok({"Content-Range": "0-0/1", "echo": ACCESS}))
    with pytest.raises(DecodeError, match="Content-Range and Records") as info:
        await client.sales_invoices.partitions(4)
    assert info.value.excerpt
    assert ACCESS not in info.value.excerpt
    assert ACCESS not in str(info.value)


async def test_next_page_that_does_not_advance(client: BouwsoftClient, mock: aioresponses) -> None:
    lst = Script(mock, f"{BASE}/SalesInvoices/", page([24, 25], total=4), page([25, 26], total=2))
    seen: list[int] = []

    async def walk() -> None:
        async for invoice in client.sales_invoices.list(page_size=2):
            seen.append(invoice.id)

    with pytest.raises(DecodeError, match="ids do not advance"):
        await walk()
    assert seen == [24, 25]
    assert lst.count == 2


async def test_empty_page_while_content_range_counts_more(
    client: BouwsoftClient, mock: aioresponses
) -> None:
    Script(mock, f"{BASE}/SalesInvoices/", page([24, 25], total=4), page([], content_range="0-0/0"))
    # a narrowed answer counting nothing ahead ends the walk
    assert [i.id async for i in client.sales_invoices.list(page_size=2)] == [24, 25]


async def test_by_id_answer_with_two_records(client: BouwsoftClient, mock: aioresponses) -> None:
    Script(mock, f"{BASE}/SalesInvoices/24", page([24, 25]))
    with pytest.raises(DecodeError, match="expected one SalesInvoice, got 2"):
        await client.sales_invoices.get(24)


async def test_count_of_a_body_that_is_no_object(
    client: BouwsoftClient, mock: aioresponses
) -> None:
    Script(mock, f"{BASE}/SalesInvoices/", ok([1, 2]))
    with pytest.raises(DecodeError):
        await client.sales_invoices.count()


# -- secrets ---------------------------------------------------------------------------------


async def test_tokens_never_in_errors_reprs_or_logs(
    mock: aioresponses, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    Script(mock, f"{AUTH}/Authorize/AccessToken", token_answer(NEW_TOKENS[0]))
    echo = f"<html>AccessToken {NEW_TOKENS[0]} from RefreshToken {REFRESH} rejected</html>"
    Script(mock, f"{DATA}/SalesInvoices/24", status(503, echo))
    Script(mock, f"{DATA}/SalesInvoices/25", status(400, json.dumps({"Message": echo})))
    Script(mock, f"{DATA}/SalesInvoices/26", CallbackResult(body=echo, content_type="text/html"))
    errors: list[BouwsoftError] = []
    async with BouwsoftClient(client_nr=115, refresh_token=REFRESH, auth_url=AUTH) as client:
        for invoice_id in (24, 25, 26):
            with pytest.raises(BouwsoftError) as info:
                await client.sales_invoices.get(invoice_id)
            errors.append(info.value)
        texts = [repr(client), str(client)]
    assert [type(e) for e in errors] == [ServerError, BadRequestError, DecodeError]
    for error in errors:
        texts += [str(error), repr(error), getattr(error, "excerpt", ""), str(vars(error))]
        assert "***" in str(error)
    texts += [r.getMessage() for r in caplog.records]
    texts += [str(r.args) for r in caplog.records]
    assert any("retry" in r.getMessage() for r in caplog.records)
    for text in texts:
        assert NEW_TOKENS[0] not in text
        assert REFRESH not in text


async def test_fixed_token_never_in_errors(
    client: BouwsoftClient, mock: aioresponses, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    Script(mock, f"{BASE}/SalesInvoices/24", status(401, json.dumps({"Message": f"bad {ACCESS}"})))
    with pytest.raises(AuthenticationError) as info:
        await client.sales_invoices.get(24)
    assert ACCESS not in str(info.value)
    assert info.value.message == "bad ***"
    assert ACCESS not in repr(client)
    assert all(ACCESS not in r.getMessage() for r in caplog.records)


# -- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [0, -1, "24", True, 1.0, None])
async def test_bad_ids_send_nothing(client: BouwsoftClient, mock: aioresponses, bad: Any) -> None:
    for call in (
        client.sales_invoices.get,
        client.sales_invoices.introduction,
        client.sales_invoices.conclusion,
    ):
        with pytest.raises(ValidationError) as info:
            await call(bad)
        assert isinstance(info.value, ValueError)
        assert info.value.field == "invoice_id"
    assert mock.requests == {}


async def test_bad_list_input_sends_nothing(client: BouwsoftClient, mock: aioresponses) -> None:
    for kwargs in (
        {"page_size": 0},
        {"page_size": 10_001},
        {"page_size": "5"},
        {"page_size": True},
        {"filter": 5},
        {"filter": b"id gt 5"},
    ):
        with pytest.raises(ValidationError):
            async for _ in client.sales_invoices.list(**kwargs):
                pass
        with pytest.raises(ValidationError):
            async for _ in client.sales_invoices.pages(**kwargs):
                pass
    with pytest.raises(ValidationError):
        await client.sales_invoices.count(filter=5)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="format"):
        await client.sales_invoices.introduction(24, "pdf")  # type: ignore[arg-type]
    assert mock.requests == {}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"client_nr": 0, "access_token": ACCESS, "base_url": BASE},
        {"client_nr": "115", "access_token": ACCESS, "base_url": BASE},
        {"client_nr": True, "access_token": ACCESS, "base_url": BASE},
        {"client_nr": 115},
        {"client_nr": 115, "access_token": ACCESS, "refresh_token": REFRESH, "base_url": BASE},
        {"client_nr": 115, "access_token": ACCESS},
        {"client_nr": 115, "access_token": "  ", "base_url": BASE},
        {"client_nr": 115, "refresh_token": ""},
        {"client_nr": 115, "refresh_token": REFRESH, "max_concurrency": 0},
        {"client_nr": 115, "refresh_token": REFRESH, "timeout": 0},
        {"client_nr": 115, "refresh_token": REFRESH, "timeout": -1.0},
        # inf was taken, and every call raised aiohttp's bare OverflowError
        {"client_nr": 115, "refresh_token": REFRESH, "timeout": float("inf")},
        {"client_nr": 115, "refresh_token": REFRESH, "timeout": float("nan")},
        {"client_nr": 115, "refresh_token": REFRESH, "max_retries": -1},
        {"client_nr": 115, "refresh_token": REFRESH, "max_retries": 1.5},
    ],
)
def test_bad_client_options(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as info:
        BouwsoftClient(**kwargs)
    for secret in (ACCESS, REFRESH):
        assert secret not in str(info.value)


# -- sessions --------------------------------------------------------------------------------


async def test_injected_session_is_used_and_left_open(mock: aioresponses) -> None:
    one = Script(mock, f"{BASE}/SalesInvoices/24", page([24]))
    async with aiohttp.ClientSession(headers={"X-Caller": "mine"}) as session:
        async with BouwsoftClient(
            client_nr=115, access_token=ACCESS, base_url=BASE, session=session
        ) as client:
            await client.sales_invoices.get(24)
        assert not session.closed
        assert one.calls[0].headers["X-Caller"] == "mine"
        # still usable by its owner
        async with session.get(f"{BASE}/SalesInvoices/24") as response:
            assert response.status == 200
    assert one.count == 2


async def test_closed_client_refuses_requests(mock: aioresponses) -> None:
    Script(mock, f"{BASE}/SalesInvoices/24", page([24]))
    client = BouwsoftClient(client_nr=115, access_token=ACCESS, base_url=BASE)
    await client.sales_invoices.get(24)
    await client.aclose()
    with pytest.raises(RuntimeError, match="closed"):
        await client.sales_invoices.get(24)
