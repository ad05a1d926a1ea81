"""One client shared by many tasks: cancellation, closing and deadlines while other calls wait,
over real HTTP against the fakes."""

from __future__ import annotations

import asyncio
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from seams import HeldPosts

from bouwsoft_async import (
    ClientClosedError,
    RetryPolicy,
    ServerError,
    WriteOutcomeUnknown,
)
from bouwsoft_async.testing import FakeBouwsoft, FakeRamBase


@pytest.mark.parametrize("strict", [False, True])
async def test_a_write_still_waiting_for_a_connection_when_closed_was_surely_not_sent(
    strict: bool,
) -> None:
    # a POST queued behind max_concurrency requests on the wire was never sent, but aclose()
    # reported it as WriteOutcomeUnknown ("may or may not have been applied"), as the call's
    # deadline did: a sync worker shut down in a burst parked payments it had never sent
    async with FakeBouwsoft(sales_invoices=1, strict=strict) as fake:
        fault = fake.add_fault(hang=True, method="POST", path_contains="/Payments")
        client = fake.client(max_concurrency=1)
        await client.payments.count()  # the token first
        on_the_wire = asyncio.create_task(client.payments.create(amount=Decimal(1)))
        await fault.reached.wait()
        queued = asyncio.create_task(client.payments.create(amount=Decimal(2)))
        await asyncio.sleep(0)  # it waits for the one connection
        await client.aclose()
        with pytest.raises(WriteOutcomeUnknown):
            await on_the_wire
        with pytest.raises(ClientClosedError):
            await queued
    assert [r.query["columns"] for r in fake.requests_to("POST", "/Payments")] == ["amount=1"]


async def test_an_idempotent_create_keeps_to_one_deadline_look_up_included(
    fake: FakeBouwsoft, monkeypatch: pytest.MonkeyPatch
) -> None:
    # RetryPolicy.deadline bounds "one call, retries and waits included", but an idempotent
    # create's first look-up had a deadline of its own and its POST and retries a fresh one
    # after it: a create could run for twice the deadline (a look-up of 7 s of a 10 s
    # deadline left the POST 10 s more, not 3); a virtual clock shows it without waiting
    transport = HeldPosts()
    async with fake.client(transport=transport, retry_policy=RetryPolicy(deadline=10)) as client:
        await client.payments.count()  # the token first
        looking_up, answer = asyncio.Event(), asyncio.Event()

        async def slow_look_up(query: Any) -> None:
            looking_up.set()
            await answer.wait()

        loop = asyncio.get_running_loop()
        now = [loop.time()]
        with monkeypatch.context() as patch:
            patch.setattr(loop, "time", lambda: now[0])
            fake.before_list = slow_look_up
            create = asyncio.create_task(
                client.payments.create(amount=Decimal(1), externalcode="dl-7", idempotent=True)
            )
            await looking_up.wait()
            now[0] += 7  # the look-up took 7 s of the call's 10
            fake.before_list = None
            answer.set()
            await transport.posted.wait()
            now[0] += 4  # 11 s since the call began: its deadline ran out with the POST on its way
            await asyncio.sleep(0)  # the deadline's timer runs before the POST goes on
            transport.release.set()
            with pytest.raises(WriteOutcomeUnknown, match="deadline"):
                await create
    assert fake.payments == {}


async def test_an_idempotent_create_closed_before_its_post_left_was_not_sent(
    fake: FakeBouwsoft,
) -> None:
    # the POST was answered 401 (not applied) and the client closed while the new token was
    # fetched: the create said WriteOutcomeUnknown, "the payment was sent (ClientClosedError)",
    # as it did for a POST still waiting for a connection in a burst: a payment never sent
    # was parked for reconciliation
    client = fake.client()
    await client.payments.count()  # the token first
    fake.add_fault(status=401, method="POST", path_contains="/Payments")
    fetching = fake.add_fault(hang=True, path_contains="AccessToken")
    create = asyncio.create_task(
        client.payments.create(amount=Decimal(1), externalcode="close-1", idempotent=True)
    )
    await fetching.reached.wait()
    await client.aclose()
    with pytest.raises(ClientClosedError):
        await create
    assert fake.payments == {}


async def test_closing_in_a_burst_of_idempotent_creates_says_which_were_sent(
    fake: FakeBouwsoft,
) -> None:
    # 20 creates of 10 keys through 4 connections, 3 POSTs hanging on the wire: only a key
    # whose POST reached the server may be WriteOutcomeUnknown
    fault = fake.add_fault(hang=True, method="POST", path_contains="/Payments", times=3)
    client = fake.client(max_concurrency=4)
    await client.payments.count()  # the token first
    keys = [f"burst-{i % 10}" for i in range(20)]
    create = client.payments.create
    calls = [
        asyncio.create_task(create(amount=Decimal(1), externalcode=key, idempotent=True))
        for key in keys
    ]
    await fault.reached.wait()
    await client.aclose()
    results = await asyncio.gather(*calls, return_exceptions=True)
    posted = {r.query["columns"].split("'")[1] for r in fake.requests_to("POST", "/Payments")}
    created = {p["externalcode"] for p in fake.payments.values()}
    for key, result in zip(keys, results, strict=True):
        if key in created:
            assert not isinstance(result, ClientClosedError), (key, result)
        elif key in posted:
            assert isinstance(result, WriteOutcomeUnknown), (key, result)
        else:
            assert isinstance(result, ClientClosedError), (key, result)
    assert len(posted) >= 3


async def test_twenty_tasks_share_one_token_renewal_and_send_each_write_once(
    fake: FakeBouwsoft,
) -> None:
    async with fake.client() as client:
        await client.payments.count()
        fake.expire_tokens()
        start, issued = len(fake.requests), fake.tokens_issued
        await asyncio.gather(
            *(client.payments.create(amount=Decimal(i), note=f"n{i}") for i in range(10)),
            *(client.sales_invoices.count() for _ in range(10)),
        )
    assert fake.tokens_issued == issued + 1
    posts = Counter(r.query["columns"] for r in fake.requests[start:] if r.method == "POST")
    assert len(posts) == 10
    assert max(posts.values()) <= 2  # refused (401), then applied
    assert sorted(p["amount"] for p in fake.payments.values()) == list(range(10))


async def test_a_failing_token_fetch_reaches_every_waiter_once(fake: FakeBouwsoft) -> None:
    fake.add_fault(status=500, path_contains="AccessToken", times=100)
    async with fake.client() as client:
        results = await asyncio.gather(
            *(client.payments.create(amount=Decimal(1)) for _ in range(10)),
            *(client.sales_invoices.count() for _ in range(10)),
            return_exceptions=True,
        )
    assert all(isinstance(r, ServerError) for r in results), results
    assert len(fake.requests) == 1  # one token request, no write


async def test_rambase_twenty_tasks_share_one_token_renewal() -> None:
    async with FakeRamBase() as fake, fake.client() as rb:
        await rb.payments.add_item(100123, total_amount=Decimal(0))
        fake.expire_tokens()
        issued = fake.tokens_issued
        await asyncio.gather(
            *(rb.payments.add_item(100123, total_amount=Decimal(i)) for i in range(20))
        )
    assert fake.tokens_issued == issued + 1
    assert len(fake.items[100123]) == 21
    assert fake.unauthorized_answers == 20


@pytest.mark.parametrize("stage", ["on the wire", "reading its 2xx body"])
async def test_a_cancelled_write_leaves_the_one_connection_working(
    fake: FakeBouwsoft, stage: str
) -> None:
    if stage == "on the wire":
        fault = fake.add_fault(hang=True, method="POST")
    else:
        fault = fake.add_fault(
            status=201, body_size=10**6, hang=True, hang_after=1000, method="POST"
        )
    async with fake.client(max_concurrency=1) as client:
        create = asyncio.create_task(client.payments.create(amount=Decimal(1)))
        await fault.reached.wait()
        create.cancel()
        with pytest.raises(asyncio.CancelledError):
            await create
        await client.payments.create(amount=Decimal(2))
        assert await client.payments.count() == 1
    assert len(fake.requests_to("POST", "/Payments")) == 2
