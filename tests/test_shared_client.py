"""One client shared by many tasks: cancellation, closing and deadlines while other calls wait,
over real HTTP against the fakes."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from bouwsoft_async import ClientClosedError, WriteOutcomeUnknown
from bouwsoft_async.testing import FakeBouwsoft


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
