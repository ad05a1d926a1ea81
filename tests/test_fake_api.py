"""The public testing API (``bouwsoft_async.testing``) as the README's "Testing your code with
FakeBouwsoft" shows it to users writing their own tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import aiohttp

from bouwsoft_async.testing import FakeBouwsoft

BRUSSELS_WINTER = timezone(timedelta(hours=1))


class Clock:
    """One clock for the fake and the client, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def test_a_clock_in_a_local_zone_still_announces_valid_until_in_utc() -> None:
    # the README: clock= is "a function returning an aware datetime"; a test written in the
    # office's zone (12:00 in Brussels is 11:00 UTC) must get the same token life as in UTC.
    # ValidUntil ends in "Z": the hour after 11:00 UTC is 12:00Z, not the local 13:00
    clock = Clock(datetime(2026, 11, 21, 12, 0, tzinfo=BRUSSELS_WINTER))
    async with FakeBouwsoft(sales_invoices=3, token_lifetime=3600, clock=clock) as fake:
        headers = {"Clientnr": str(fake.client_nr), "RefreshToken": fake.refresh_token}
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{fake.url}/Authorize/AccessToken", headers=headers) as answer,
        ):
            token = await answer.json()
        assert token["ValidUntil"] == "2026-11-21T12:00Z"

        # so a client on the same clock renews before the token runs out, as against a real
        # server, instead of meeting a 401 first
        async with fake.client(clock=clock) as client:
            await client.sales_invoices.count()
            clock.now += timedelta(seconds=3550)  # past ValidUntil minus the 60 s margin
            await client.sales_invoices.count()
        tokens = fake.requests_to("GET", "/Authorize/AccessToken")
        assert len(tokens) == 3  # ours, the client's first, its renewal
        # no request was refused and sent again
        assert len(fake.requests_to("GET", "/SalesInvoices/")) == 2


async def test_a_write_without_a_date_is_dated_by_the_fakes_clock() -> None:
    # the README: clock= "is the fake's now"; a payment or purchase invoice created without a
    # date is dated today on that clock (in its local time, as ts_lastupdate), not on the
    # machine's calendar, so a test with a frozen clock sees the same date every day
    clock = Clock(datetime(2020, 5, 17, 12, 0, tzinfo=UTC))
    async with FakeBouwsoft(sales_invoices=3, clock=clock) as fake, fake.client() as client:
        inv = await client.purchase_invoices.create(company_id=1, address_id=328892)
        payment = await client.payments.create(purchaseinvoice_id=inv.id, amount=Decimal("10"))
        today = clock.now.astimezone().date()
        assert inv.date == today
        assert payment.date == today
        assert (await client.payments.get(payment.id)).date == today


async def test_an_invoice_dated_near_the_last_day_gets_an_expiration_date_not_a_500() -> None:
    # the fake dates an invoice's expiration 30 days after its date when none is sent; for a
    # date in the last 30 days a date can hold (9999-12-31 is a common "never"), that overflowed
    # and the fake answered 500, a crash of its own that no real server answers for a valid date
    for strict in (False, True):
        async with FakeBouwsoft(sales_invoices=3, strict=strict) as fake, fake.client() as client:
            inv = await client.purchase_invoices.create(company_id=1, date=date(9999, 12, 31))
            assert inv.date == date(9999, 12, 31)
            assert inv.expirationdate == date(9999, 12, 31)
            got = await client.purchase_invoices.get(inv.id)
            assert got.expirationdate == date(9999, 12, 31)
            # a date with 30 days left is as before
            inv = await client.purchase_invoices.create(company_id=1, date=date(9999, 12, 1))
            assert inv.expirationdate == date(9999, 12, 31)


async def test_a_number_its_field_cannot_hold_is_refused_and_nothing_is_stored() -> None:
    # the client refuses these before sending; a user's own code speaking HTTP to the fake
    # met a 500 of the fake's own ('Integer exceeds 64-bit range', decimal.InvalidOperation) or
    # an answer that is no JSON ('inf'), and a PUT was stored first: every later read of that
    # payment, and every list of payments, was a 500 too. A 400 now, and nothing stored
    too_big = "9" * 26
    for strict in (False, True):
        async with FakeBouwsoft(sales_invoices=3, strict=strict) as fake, fake.client() as client:
            invoice = await client.purchase_invoices.create(company_id=1)
            payment = await client.payments.create(amount=Decimal("5"))
            headers = {"Clientnr": str(fake.client_nr), "AccessToken": fake.access_token}
            writes = [
                ("POST", "/Payments", f"amount={too_big}"),
                ("POST", "/Payments", f"paymentaccount_id={too_big}"),
                ("PUT", f"/Payments/{payment.id}", f"paymentaccount_id={too_big}"),
                ("PUT", f"/Payments/{payment.id}", f"amount={too_big}"),
                ("PUT", f"/PurchaseInvoices/{invoice.id}", f"basis1={too_big}"),
                ("PUT", f"/PurchaseInvoices/{invoice.id}", "depreciation=1" + "0" * 400),
            ]
            async with aiohttp.ClientSession(headers=headers) as session:
                for method, path, columns in writes:
                    params = {"columns": columns}
                    async with session.request(method, fake.url + path, params=params) as answer:
                        assert answer.status == 400, (method, path, columns)
                        assert "Message" in await answer.json()
            assert [p.id async for p in client.payments.list()] == [payment.id]
            assert (await client.payments.get(payment.id)).amount == Decimal("5")
            got = await client.purchase_invoices.get(invoice.id)
            assert got.basis1 == 0
            assert got.depreciation == 100


async def test_leaving_a_slow_fake_does_not_wait_out_the_answers_still_in_flight() -> None:
    # a user's test that gives up on a slow answer (its own timeout, or a failure midway) left
    # `async with FakeBouwsoft(latency=...)` only when that answer's modelled time had passed,
    # up to aiohttp's 60 s; a stopped fake answers nothing more, as a server that went down
    async with FakeBouwsoft(sales_invoices=3, latency_per_record=3600) as fake:
        arrived = asyncio.Event()

        async def at_the_list(query: Mapping[str, str]) -> None:
            arrived.set()

        fake.before_list = at_the_list
        async with fake.client() as client:
            count = asyncio.create_task(client.sales_invoices.count())
            await arrived.wait()
            count.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await count
        # an hour is modelled: a bound far below it, far above any machine's stop
        await asyncio.wait_for(fake.stop(), timeout=30)
