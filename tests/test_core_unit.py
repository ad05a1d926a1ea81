"""The core through the public transport seam: one retry path, one attempt, one budget."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from bouwsoft_async import (
    BouwsoftClient,
    ConnectError,
    Request,
    Response,
    RetryPolicy,
    ServerError,
    WriteOutcomeUnknown,
)
from bouwsoft_async._core import Core

BASE = "https://ra.bouwsoft.be/api/v1"
AUTH = "https://charon.bouwsoft.be/api/v1"


def answer(status: int, payload: Any = None) -> Response:
    body = json.dumps(payload).encode() if payload is not None else b""
    return Response(status=status, headers={"Content-Type": "application/json"}, body=body)


class ScriptedTransport:
    """Answers each request with the next item of a script (a Response or an exception)."""

    def __init__(self, *script: Response | Exception | Callable[[Request], Response]) -> None:
        self.script = list(script)
        self.sent: list[Request] = []

    async def send(self, request: Request) -> Response:
        self.sent.append(request)
        item = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(item, Exception):
            raise item
        if callable(item):
            return item(request)
        return item

    async def aclose(self) -> None:
        pass


def core_of(client: BouwsoftClient) -> Core:
    return client._core


def fixed_client(transport: ScriptedTransport, **options: Any) -> BouwsoftClient:
    return BouwsoftClient(
        client_nr=115, access_token="t", base_url=BASE, transport=transport, **options
    )


async def test_retry_false_sends_one_attempt() -> None:
    transport = ScriptedTransport(answer(503), answer(503), answer(200, {}))
    async with fixed_client(transport) as client:
        with pytest.raises(ServerError):
            await core_of(client).request(
                "GET", ("SalesInvoices", 24), idempotent=True, retry=False
            )
        assert len(transport.sent) == 1
        # the same request through the retry path is sent again
        await core_of(client).request("GET", ("SalesInvoices", 24), idempotent=True)
    assert len(transport.sent) == 3


async def test_retrying_runs_a_callers_attempt_within_one_budget() -> None:
    # a POST answered 500 every time: the caller's own rule retries it (say, after a look-up
    # found nothing), the core's budget (3 retries) bounds it: 4 sends, not 4 x 4
    transport = ScriptedTransport(answer(500))
    looked_up = []
    async with fixed_client(transport) as client:
        core = core_of(client)

        async def attempt() -> Response:
            looked_up.append(1)
            return await core.request("POST", ("Payments",), idempotent=False, retry=False)

        with pytest.raises(ServerError):
            await core.retrying(
                attempt,
                idempotent=False,
                description="POST Payments",
                also_retry=lambda exc: isinstance(exc, ServerError),
            )
    assert len(transport.sent) == 4
    assert len(looked_up) == 4


async def test_retrying_keeps_the_cores_own_rule_for_writes() -> None:
    # no connection and 503 prove a POST was not processed: retried without the caller's rule;
    # a lost answer is an unknown outcome: never retried by the core
    transport = ScriptedTransport(
        ConnectError("refused", method="POST", path="/Payments"),
        answer(503),
        answer(201, {"ok": 1}),
    )
    async with fixed_client(transport) as client:
        core = core_of(client)
        response = await core.retrying(
            lambda: core.request("POST", ("Payments",), idempotent=False, retry=False),
            idempotent=False,
            description="POST Payments",
        )
    assert response.status == 201
    assert len(transport.sent) == 3


async def test_a_write_after_a_gateway_failure_is_unknown_and_not_resent() -> None:
    transport = ScriptedTransport(answer(502))
    async with fixed_client(transport, retry_policy=RetryPolicy(max_retries=5)) as client:
        with pytest.raises(WriteOutcomeUnknown):
            await core_of(client).request("POST", ("Payments",), idempotent=False)
    assert len(transport.sent) == 1


async def test_a_token_is_fetched_before_the_retried_attempt_and_once() -> None:
    token = {
        "AccessToken": "tok",
        "ServerName": "osiris.bouwsoft.be",
        "ValidUntil": "2999-01-01T00:00Z",
    }

    def route(request: Request) -> Response:
        if "AccessToken" in request.url:
            return answer(200, token)
        return answer(503)

    transport = ScriptedTransport(route)
    async with BouwsoftClient(
        client_nr=115, refresh_token="r", auth_url=AUTH, transport=transport, max_retries=2
    ) as client:
        with pytest.raises(ServerError):
            await client.sales_invoices.get(24)
    # the data request's three tries share the one token fetched before them
    assert [r.url.rsplit("/", 2)[-2:] for r in transport.sent] == [
        ["Authorize", "AccessToken"],
        ["SalesInvoices", "24"],
        ["SalesInvoices", "24"],
        ["SalesInvoices", "24"],
    ]
