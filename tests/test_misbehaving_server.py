"""The client against a misbehaving or concurrent server, over real HTTP: what a write, a read
or a token fetch raises, how often each request was sent, and that no secret rides along."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from bouwsoft_async import BouwsoftClient, WriteAppliedError
from bouwsoft_async.testing import FakeBouwsoft

REFRESH = "s3cret-refresh+XYZ/1="


def chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and every exception reachable from it: causes, contexts, exception fields."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [e for e in (current.__cause__, current.__context__) if e is not None]
        todo += [v for v in vars(current).values() if isinstance(v, BaseException)]


def assert_no_secret(exc: BaseException, *secrets: str) -> None:
    for link in chain(exc):
        texts = [str(link), repr(link), repr(vars(link)), repr(link.args)]
        for secret in secrets:
            assert all(secret not in text for text in texts), (type(link).__name__, secret)


# -- secrets -----------------------------------------------------------------------------------

WRITES: dict[str, tuple[str, Callable[[BouwsoftClient], Awaitable[Any]]]] = {
    "payments.create": ("POST", lambda c: c.payments.create(amount=Decimal(1))),
    "payments.update": ("PUT", lambda c: c.payments.update(903, amount=Decimal(1))),
    "purchase_invoices.update": ("PUT", lambda c: c.purchase_invoices.update(884, concerning="x")),
    "upload": ("POST", lambda c: c.purchase_invoices.upload(884, b"%PDF", filename="a.pdf")),
}


@pytest.mark.parametrize(
    ("write", "record"),
    # an upload's id is text: any id reads
    [
        (w, r)
        for w in sorted(WRITES)
        for r in ("no id", "id echoes")
        if (w, r) != ("upload", "id echoes")
    ],
)
async def test_an_applied_write_whose_answer_echoes_a_secret_chains_no_secret(
    write: str, record: str
) -> None:
    # the answer's record had no readable id: the converter's DecodeError quoted the record
    # unredacted, and it was chained (__cause__) to the WriteAppliedError a caller logs
    async with (
        FakeBouwsoft(sales_invoices=1, refresh_token=REFRESH) as fake,
        fake.client() as client,
    ):
        await client.payments.count()  # the token first
        token = next(t for t in fake._valid_tokens if t != fake.access_token)
        echo = f"token {token}, refresh {REFRESH}"
        body = {"Message": echo} if record == "no id" else {"id": echo}
        method, call = WRITES[write]
        fake.add_fault(
            status=200, body=json.dumps({"RecordChanges": [body]}).encode(), method=method
        )
        with pytest.raises(WriteAppliedError, match="applied") as info:
            await call(client)
    assert_no_secret(info.value, token, REFRESH)
    assert "***" in info.value.body.decode()
    assert len(fake.requests_to(method, "/")) == 1
