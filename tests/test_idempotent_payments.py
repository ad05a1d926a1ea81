"""Payments that are never duplicated: ``create(idempotent=True)`` over real HTTP against the fake
(issue 9 items 2, 3 and 4; issue 11 item 12)."""

from __future__ import annotations

import asyncio
import enum
from decimal import Decimal
from typing import Any

import pytest
from seams import HeldPosts

from bouwsoft_async import (
    BouwsoftClient,
    Payment,
    ServerError,
    ValidationError,
    WriteOutcomeUnknown,
)
from bouwsoft_async.testing import FakeBouwsoft


async def test_a_500_after_the_post_was_applied_finds_the_payment(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    # the server applies the POST, then answers 500: retrying as the README advises paid twice
    fake.add_fault(status=500, body=b"<html>oops</html>", after_handling=True, method="POST")
    payment = await client.payments.create(
        amount=Decimal("100.05"), externalcode="sync-500", idempotent=True
    )
    assert [p["externalcode"] for p in fake.payments.values()] == ["sync-500"]
    assert payment.id == next(iter(fake.payments))
    assert payment.amount == Decimal("100.05")
    assert len(fake.requests_to("POST", "/Payments")) == 1


async def test_a_500_before_anything_was_applied_is_sent_again_once_absent(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    fake.add_fault(status=500, body=b"<html>oops</html>", method="POST")
    payment = await client.payments.create(
        amount=Decimal("7"), externalcode="sync-500b", idempotent=True
    )
    assert len(fake.payments) == 1
    assert len(fake.requests_to("POST", "/Payments")) == 2
    assert payment.externalcode == "sync-500b"


async def test_concurrent_creates_with_one_key_share_one_flight(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    first, second = await asyncio.gather(
        client.payments.create(amount=Decimal("5"), externalcode="sync-7", idempotent=True),
        client.payments.create(amount=Decimal("5"), externalcode="sync-7", idempotent=True),
    )
    assert first == second
    assert len(fake.payments) == 1
    assert len(fake.requests_to("POST", "/Payments")) == 1


async def test_concurrent_creates_with_one_key_but_other_fields_are_refused(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    results = await asyncio.gather(
        client.payments.create(amount=Decimal("5"), externalcode="sync-8", idempotent=True),
        client.payments.create(amount=Decimal("6"), externalcode="sync-8", idempotent=True),
        return_exceptions=True,
    )
    assert isinstance(results[1], ValidationError)
    assert len(fake.payments) == 1


async def test_concurrent_creates_of_one_payment_written_two_ways_share_one_flight(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    # the flight compared the columns text: the same payment given as 5 and as Decimal("5.00"),
    # or its fields in another order, was refused as "other fields" (ValidationError), though
    # the look-up of an existing payment takes them as one
    one, two, three = await asyncio.gather(
        client.payments.create(amount=5, externalcode="sync-9", idempotent=True),
        client.payments.create(amount=Decimal("5.00"), externalcode="sync-9", idempotent=True),
        client.payments.create(externalcode="sync-9", amount=Decimal(5), idempotent=True),
    )
    assert one == two == three
    assert len(fake.payments) == 1
    assert len(fake.requests_to("POST", "/Payments")) == 1


async def test_an_idempotent_create_of_an_existing_key_returns_it(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    first = await client.payments.create(
        amount=Decimal("5"), externalcode="sync-9", idempotent=True
    )
    again = await client.payments.create(
        amount=Decimal("5"), externalcode="sync-9", idempotent=True
    )
    assert again == first
    assert len(fake.payments) == 1


async def test_a_key_used_again_for_another_payment_is_refused_and_nothing_is_sent(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    # a sync worker that gives two payments one key: returning the first for the second would
    # lose the second without a word
    first = await client.payments.create(
        amount=Decimal("5"), externalcode="sync-10", idempotent=True
    )
    with pytest.raises(
        ValidationError, match=r"amount is Decimal\('5.0'\), not Decimal\('6'\)"
    ) as info:
        await client.payments.create(amount=Decimal("6"), externalcode="sync-10", idempotent=True)
    assert info.value.field == "externalcode"
    assert len(fake.requests_to("POST", "/Payments")) == 1
    # compared as a Payment types its fields: 5 and 5.00 are the same amount
    again = await client.payments.create(amount=5, externalcode="sync-10", idempotent=True)
    assert again == first
    assert len(fake.payments) == 1


class Statement(enum.StrEnum):  # a user's codes
    JANUARY = "2026-01"
    FEBRUARY = "2026-02"


class Cents(Decimal):
    pass


@pytest.mark.parametrize(
    ("first", "second", "field"),
    [
        ({"statementnr": Statement.JANUARY}, {"statementnr": Statement.FEBRUARY}, "statementnr"),
        ({"amount": Cents("5")}, {"amount": Cents("6")}, "amount"),
        ({"amount": Decimal(5), "note": "a"}, {"amount": Decimal(5), "note": "b"}, "note"),
    ],
)
async def test_a_key_used_again_for_another_payment_is_refused_whatever_class_its_values(
    client: BouwsoftClient,
    fake: FakeBouwsoft,
    first: dict[str, Any],
    second: dict[str, Any],
    field: str,
) -> None:
    # a str Enum or a Decimal subclass could not be read as a Payment types its field, so the
    # field was left out of the comparison: the payment for February was taken for January's,
    # returned as made, and never sent
    key = f"sync-{field}"
    made = await client.payments.create(externalcode=key, idempotent=True, **first)
    assert getattr(made, field) == first[field]
    sent = len(fake.requests_to("POST", "/Payments"))
    with pytest.raises(ValidationError, match=f"{field} is") as info:
        await client.payments.create(externalcode=key, idempotent=True, **second)
    assert info.value.field == "externalcode"
    assert len(fake.requests_to("POST", "/Payments")) == sent
    assert await client.payments.create(externalcode=key, idempotent=True, **first) == made


async def test_a_key_held_by_another_payment_after_a_failed_send_is_not_taken_for_it(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    # the POST fails; by the look-up that follows, someone else holds the key with another
    # amount: that payment is not the one sent, which may or may not exist; nothing is resent
    look_ups = 0

    async def someone_else_takes_the_key(query: Any) -> None:
        nonlocal look_ups
        look_ups += 1
        if look_ups == 2:
            await client.payments.create(amount=Decimal("9"), externalcode="sync-11")

    fake.before_list = someone_else_takes_the_key
    fake.add_fault(status=500, body=b"<html>oops</html>", method="POST")
    with pytest.raises(WriteOutcomeUnknown, match="other fields") as info:
        await client.payments.create(amount=Decimal("3"), externalcode="sync-11", idempotent=True)
    assert isinstance(info.value.lookup_error, ValidationError)
    assert "amount is Decimal('9.0'), not Decimal('3')" in str(info.value.lookup_error)
    assert dict(info.value.sent) == {"amount": Decimal("3"), "externalcode": "sync-11"}
    assert len(fake.requests_to("POST", "/Payments")) == 2  # ours (refused) and theirs
    assert [p["amount"] for p in fake.payments.values()] == [9]


async def test_a_failed_look_up_still_says_the_outcome_is_unknown(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    # the look-up before sending succeeds; the POST lands and its answer is lost; the look-up
    # after it fails: the caller must learn that the payment may exist, not just "500"
    fake.drop_connection_after_write(path_contains="/Payments")
    fake.add_fault(status=500, method="GET", path_contains="/Payments", skip=1)
    with pytest.raises(WriteOutcomeUnknown) as info:
        await client.payments.create(amount=Decimal("3"), externalcode="sync-lost", idempotent=True)
    assert dict(info.value.sent) == {"amount": Decimal("3"), "externalcode": "sync-lost"}
    assert isinstance(info.value.__cause__, ServerError)
    assert info.value.lookup_error is info.value.__cause__
    assert len(fake.payments) == 1
    assert len(fake.requests_to("POST", "/Payments")) == 1


@pytest.mark.parametrize("key", ["", "   "])
async def test_an_empty_key_is_refused_in_create_and_look_up(
    client: BouwsoftClient, fake: FakeBouwsoft, key: str
) -> None:
    before = len(fake.requests)
    with pytest.raises(ValidationError):
        await client.payments.create(amount=Decimal(1), externalcode=key, idempotent=True)
    with pytest.raises(ValidationError):
        await client.payments.find_by_externalcode(key)
    assert len(fake.requests) == before


async def test_text_that_is_not_exact_utf8_is_refused_everywhere(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    paid = await client.payments.create(amount=Decimal(1), externalcode="bank-1")
    before = len(fake.requests)
    with pytest.raises(ValidationError, match="UTF-8"):
        await client.payments.find_by_externalcode("bank-\udc801")
    with pytest.raises(ValidationError, match="UTF-8"):
        await client.payments.create(amount=Decimal(1), note="caf\udce9 bill")
    with pytest.raises(ValidationError, match="UTF-8"):
        await client.payments.create(
            amount=Decimal(1), externalcode="bank-\udc801", idempotent=True
        )
    with pytest.raises(ValidationError, match="UTF-8"):
        await client.payments.count(filter="externalcode eq 'bank-\udc801'")
    with pytest.raises(ValidationError, match="UTF-8"):
        [p async for p in client.payments.list(filter="note eq '\ud800'")]
    assert len(fake.requests) == before
    assert await client.payments.find_by_externalcode("bank-1") == paid
    assert [p["note"] for p in fake.payments.values()] == [""]


async def test_the_look_up_and_the_retries_share_one_budget(fake: FakeBouwsoft) -> None:
    # a lost answer, then 503s: every POST counts against the same max_retries
    fake.add_fault(status=None, method="POST", path_contains="/Payments")
    fake.add_fault(status=503, method="POST", path_contains="/Payments", times=100)
    async with fake.client(max_retries=3) as client:
        with pytest.raises(ServerError):
            await client.payments.create(
                amount=Decimal("1"), externalcode="sync-budget", idempotent=True
            )
    assert len(fake.requests_to("POST", "/Payments")) == 4
    assert fake.payments == {}


async def owner_and_waiter(
    client: BouwsoftClient, transport: HeldPosts, externalcode: str
) -> tuple[asyncio.Task[Payment], asyncio.Task[Payment]]:
    """Two idempotent creates of one payment: the owner's POST held, the waiter in its flight."""
    create = client.payments.create
    owner = asyncio.create_task(
        create(amount=Decimal("5"), externalcode=externalcode, idempotent=True)
    )
    await transport.posted.wait()
    waiter = asyncio.create_task(
        create(amount=Decimal("5"), externalcode=externalcode, idempotent=True)
    )
    await asyncio.sleep(0)  # let the waiter join the flight
    return owner, waiter


async def test_a_cancelled_waiter_leaves_the_shared_create_running(fake: FakeBouwsoft) -> None:
    transport = HeldPosts()
    async with fake.client(transport=transport) as client:
        owner, waiter = await owner_and_waiter(client, transport, "sync-c")
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        transport.release.set()
        payment = await owner
    assert payment.externalcode == "sync-c"
    assert len(fake.payments) == 1


async def test_waiters_learn_the_outcome_is_unknown_when_the_creator_is_cancelled(
    fake: FakeBouwsoft,
) -> None:
    transport = HeldPosts()
    async with fake.client(transport=transport) as client:
        owner, waiter = await owner_and_waiter(client, transport, "sync-d")
        owner.cancel()
        with pytest.raises(WriteOutcomeUnknown) as info:
            await waiter
        with pytest.raises(asyncio.CancelledError):
            await owner
    assert dict(info.value.sent) == {"amount": Decimal("5"), "externalcode": "sync-d"}
    assert len(fake.requests_to("POST", "/Payments")) == 0


async def test_every_spelling_of_an_empty_look_up_means_not_there(
    client: BouwsoftClient, fake: FakeBouwsoft, empty: bytes
) -> None:
    await client.payments.count()
    fake.add_fault(status=200, body=empty, method="GET", path_contains="/Payments",
                   headers={"Content-Type": "application/json"})  # fmt: skip
    payment = await client.payments.create(amount=Decimal("1"), externalcode="e-1", idempotent=True)
    assert payment.externalcode == "e-1"
    assert len(fake.payments) == 1
    fake.add_fault(status=200, body=empty, method="GET", path_contains="/Payments",
                   headers={"Content-Type": "application/json"})  # fmt: skip
    assert await client.payments.find_by_externalcode("e-2") is None
