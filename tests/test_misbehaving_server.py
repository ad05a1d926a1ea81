"""The client against a misbehaving or concurrent server, over real HTTP: what a write, a read
or a token fetch raises, how often each request was sent, and that no secret rides along."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from exception_chains import assert_no_secret

from bouwsoft_async import (
    APIError,
    BadRequestError,
    BouwsoftClient,
    DeadlineExceeded,
    DecodeError,
    NotFoundError,
    RetryPolicy,
    ServerError,
    WriteAppliedError,
    WriteOutcomeUnknown,
)
from bouwsoft_async.testing import FakeBouwsoft, FakeRamBase, render_invoice
from bouwsoft_async.testing._filters import matches, parse_filter

REFRESH = "s3cret-refresh+XYZ/1="


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


# -- writes --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [(400, BadRequestError), (500, ServerError), (404, False)],
)
async def test_a_delete_answered_2xx_with_the_vendors_error_record_is_that_error(
    client: BouwsoftClient, fake: FakeBouwsoft, code: int, expected: type[APIError] | bool
) -> None:
    # delete() read no answer at all: a 200 holding the vendor's error record (the invoice was
    # NOT removed) came back as True, "removed"
    invoice = await client.purchase_invoices.create(
        company_id=1, address_id=328892, date=date(2017, 4, 20)
    )
    record = {"Code": code, "Description": "Could not delete", "RequestId": "115-abc-251121-2200"}
    body = json.dumps({"RecordChanges": [record]}).encode()
    fake.add_fault(status=200, body=body, method="DELETE")
    if expected is False:  # the vendor's "no record with that id": already gone
        assert await client.purchase_invoices.delete(invoice.id) is False
    else:
        assert isinstance(expected, type)
        with pytest.raises(expected) as info:
            await client.purchase_invoices.delete(invoice.id)
        assert (info.value.status, info.value.message) == (code, "Could not delete")
        assert info.value.request_id == "115-abc-251121-2200"
    assert invoice.id in fake.purchase_invoices
    assert len(fake.requests_to("DELETE", "/PurchaseInvoices")) == 1
    # an empty or non-JSON 2xx is a plain success, as before
    fake.add_fault(status=200, body=b"<html>OK</html>", method="DELETE", after_handling=True)
    assert await client.purchase_invoices.delete(invoice.id) is True
    assert invoice.id not in fake.purchase_invoices


def cut_answer(status: int = 201) -> bytes:
    """The head of a 2xx answer and the start of its body, then the connection closes."""
    reason = {200: "OK", 201: "Created"}[status]
    return (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
        "Content-Length: 400\r\n\r\n"
    ).encode() + b'{"RecordChanges":[{"id":'


async def test_a_create_whose_2xx_answer_is_cut_says_it_was_applied(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    # the server said 201 and the body broke off: WriteOutcomeUnknown ("may or may not have
    # been applied") hid what the status line proved, and an idempotent create whose look-up
    # then missed the payment (a replica behind) sent it a second time
    await client.payments.count()
    fake.add_fault(raw=cut_answer(), after_handling=True, method="POST", path_contains="/Pay")
    with pytest.raises(WriteAppliedError, match="applied") as info:
        await client.payments.create(amount=Decimal("5"), note="n")
    assert info.value.status == 201
    assert info.value.path.endswith("/Payments")
    assert dict(info.value.sent) == {"amount": Decimal(5), "note": "n"}

    fake.add_fault(raw=cut_answer(), after_handling=True, method="POST", path_contains="/Pay")
    # the look-up before the POST finds nothing (true); the one after it lags behind the POST
    fake.add_fault(status=200, body=b'{"Records":[]}', method="GET", path_contains="/Pay", skip=1)
    with pytest.raises(WriteAppliedError):
        await client.payments.create(amount=Decimal("6"), externalcode="lag-1", idempotent=True)
    assert [p["amount"] for p in fake.payments.values()] == [Decimal(5), Decimal(6)]
    assert len(fake.requests_to("POST", "/Payments")) == 2


CREATES: dict[str, Callable[[BouwsoftClient], Awaitable[Any]]] = {
    "payments.create": lambda c: c.payments.create(amount=Decimal(5)),
    "purchase_invoices.create": lambda c: c.purchase_invoices.create(
        company_id=1, address_id=328892, date=date(2017, 4, 20)
    ),
    "upload": lambda c: c.purchase_invoices.upload(884, b"%PDF", filename="a.pdf"),
}


def assert_applied_once(fake: FakeBouwsoft, create: str) -> None:
    """``create`` (after one purchase invoice made first) was applied exactly once."""
    applied = {
        "payments.create": len(fake.payments),
        "purchase_invoices.create": len(fake.purchase_invoices) - 1,
        "upload": len(fake.uploads.get(884, [])),
    }
    assert applied[create] == 1
    assert len(fake.requests_to("POST", "/P")) == 2  # the invoice first, then this one


@pytest.mark.parametrize("create", sorted(CREATES))
async def test_a_create_whose_2xx_answer_is_over_the_size_cap_says_it_was_applied(
    create: str,
) -> None:
    # ResponseTooLargeError (a DecodeError, "not in the documented shape") hid that the POST
    # had been applied, where the README promises WriteAppliedError after any 2xx; an error
    # status over the cap stays ResponseTooLargeError, and a GET is not a write
    async with FakeBouwsoft(sales_invoices=1) as fake:
        async with fake.client() as client:
            await client.purchase_invoices.create(company_id=1, address_id=1, date=date(2020, 1, 1))
        async with fake.client(access_token=fake.access_token, max_response_bytes=64) as client:
            with pytest.raises(WriteAppliedError, match="not read whole") as info:
                await CREATES[create](client)
    assert info.value.status == 201
    assert info.value.body == b""
    assert_applied_once(fake, create)


@pytest.mark.parametrize("status", [502, 504])
@pytest.mark.parametrize("create", [*sorted(CREATES), "rambase add_item"])
async def test_a_gateway_error_page_over_the_size_cap_leaves_a_create_unknown(
    create: str, status: int
) -> None:
    # a proxy's error page larger than max_response_bytes after the POST was forwarded raised
    # ResponseTooLargeError (a DecodeError: "not in the documented shape") where the README
    # promises WriteOutcomeUnknown after a 502/504: a caller reconciling on that exception
    # missed the payment, invoice or item that WAS applied
    page = b"<html><body>" + b"Bad gateway. " * 1000 + b"</body></html>"
    fault = {"status": status, "body": page, "after_handling": True, "method": "POST"}
    if create == "rambase add_item":
        async with FakeRamBase() as fake, fake.client(max_response_bytes=1024) as rb:
            fake.add_fault(**fault, path_contains="/items")
            with pytest.raises(WriteOutcomeUnknown) as info:
                await rb.payments.add_item(100123, total_amount=Decimal("12.50"))
        assert info.value.sent == {"paymentItem": {"totals": {"totalAmount": Decimal("12.50")}}}
        assert len(fake.items[100123]) == 1
        assert len(fake.requests_to("POST", "/items")) == 1
        return
    async with FakeBouwsoft(sales_invoices=1) as fake:
        async with fake.client() as client:
            await client.purchase_invoices.create(company_id=1, address_id=1, date=date(2020, 1, 1))
        async with fake.client(access_token=fake.access_token, max_response_bytes=1024) as client:
            fake.add_fault(**fault)
            with pytest.raises(WriteOutcomeUnknown, match=f"answered {status}"):
                await CREATES[create](client)
    assert_applied_once(fake, create)


@pytest.mark.parametrize("how", ["cut", "hung"])
async def test_a_rambase_item_whose_2xx_answer_breaks_off_was_added(how: str) -> None:
    async with FakeRamBase() as fake, fake.client(timeout=1.0) as rb:
        if how == "cut":
            fake.add_fault(
                raw=cut_answer(), after_handling=True, method="POST", path_contains="/items"
            )
        else:  # the head and 64 KiB of the body, then nothing until the timeout
            fake.add_fault(status=201, body_size=10**6, hang=True, hang_after=1,
                           after_handling=True, method="POST", path_contains="/items")  # fmt: skip
        with pytest.raises(WriteAppliedError, match="cut short") as info:
            await rb.payments.add_item(100123, total_amount=Decimal("12.50"))
    assert info.value.status == 201
    assert info.value.sent == {"paymentItem": {"totals": {"totalAmount": Decimal("12.50")}}}
    assert len(fake.items[100123]) == 1
    assert len(fake.requests_to("POST", "/items")) == 1


@pytest.mark.parametrize("stored", ["bank-A", "BANK-B", "bank-B "])
async def test_a_look_up_answering_another_externalcode_is_not_taken_for_the_payment(
    client: BouwsoftClient, fake: FakeBouwsoft, stored: str
) -> None:
    # a server whose filter matches loosely (ignores it, or compares case- or blank-
    # insensitively, as SQL collations do) answered another payment to the look-up, and
    # create(idempotent=True) returned that payment as "already there": the new payment was
    # never made, and the caller was told it was
    other = await client.payments.create(amount=Decimal("7"), externalcode=stored)
    async with aiohttp.ClientSession() as session:
        headers = {"Clientnr": str(fake.client_nr), "AccessToken": fake.access_token}
        async with session.get(f"{fake.url}/Payments/{other.id}", headers=headers) as response:
            answer = await response.read()
    fake.add_fault(status=200, body=answer, method="GET", path_contains="/Payments", times=9)
    with pytest.raises(DecodeError, match="externalcode") as info:
        await client.payments.create(amount=Decimal(99), externalcode="bank-B", idempotent=True)
    assert stored in str(info.value)
    with pytest.raises(DecodeError):
        await client.payments.find_by_externalcode("bank-B")
    assert len(fake.requests_to("POST", "/Payments")) == 1  # only the other payment's
    assert [p["externalcode"] for p in fake.payments.values()] == [stored]


class CaseInsensitiveBouwsoft(FakeBouwsoft):
    """A server whose text comparisons ignore case, as a SQL Server collation's do."""

    def _listing(self, resource: str, filter_text: str | None) -> Any:
        ids, record = super()._listing(resource, None)
        if filter_text:
            tree = _lowered(parse_filter(filter_text, strict=self.strict))
            store = self.payments if resource == "Payments" else self.purchase_invoices

            def value_of(i: int) -> Callable[[str], Any]:
                return lambda name: _lowered(store[i][name])

            ids = [i for i in ids if matches(tree, value_of(i))]
        return ids, record


def _lowered(node: Any) -> Any:
    if isinstance(node, str):
        return node.lower()
    if isinstance(node, tuple) and node and node[0] == "cond":
        return (*node[:3], _lowered(node[3]))
    if isinstance(node, tuple) and node and node[0] in ("and", "or"):
        return (node[0], tuple(map(_lowered, node[1])))
    return node


@pytest.mark.parametrize("strict", [False, True])
async def test_a_look_up_on_a_case_insensitive_server_finds_the_exact_code_past_another(
    strict: bool,
) -> None:
    # "BANK-B" (id 903) and "bank-B" (id 904) both exist on a server whose filter ignores case:
    # the look-up asked for one record and got the lowest id, 903, so find_by_externalcode
    # ("bank-B") raised DecodeError although the payment exists, and an idempotent create of
    # it (a retry after a lost answer included) could never succeed
    async with (
        CaseInsensitiveBouwsoft(sales_invoices=3, strict=strict) as fake,
        fake.client() as client,
    ):
        other = await client.payments.create(amount=Decimal("7"), externalcode="BANK-B")
        mine = await client.payments.create(amount=Decimal("99"), externalcode="bank-B")
        assert other.id < mine.id
        assert await client.payments.find_by_externalcode("bank-B") == mine
        assert await client.payments.find_by_externalcode("BANK-B") == other
        again = await client.payments.create(
            amount=Decimal(99), externalcode="bank-B", idempotent=True
        )
        assert again == mine
        assert len(fake.requests_to("POST", "/Payments")) == 2  # nothing sent again
        # only other codes answered: refused as before, nothing sent
        with pytest.raises(DecodeError, match="not exact"):
            await client.payments.find_by_externalcode("Bank-b")
        with pytest.raises(DecodeError, match="not exact"):
            await client.payments.create(amount=Decimal(1), externalcode="Bank-b", idempotent=True)
        assert len(fake.requests_to("POST", "/Payments")) == 2


# -- reads ---------------------------------------------------------------------------------------

READS: dict[str, Callable[[BouwsoftClient], Awaitable[Any]]] = {
    "field_info": lambda c: c.field_info("Payments"),
    "check_schema": lambda c: c.check_schema(),
    "count": lambda c: c.sales_invoices.count(),
    "get": lambda c: c.sales_invoices.get(1),
    "list": lambda c: anext(aiter(c.sales_invoices.list())),
}


@pytest.mark.parametrize("read", sorted(READS))
@pytest.mark.parametrize(
    "answer",
    [
        '{{"Message": "AccessToken {token} is not valid"}}',  # an error object in a 200
        '[{{"Type Name": "x {token}"}}]',  # a row without a name
        '{{"Content-Range": "{token}", "Records": []}}',
    ],
    ids=["error object", "field row", "content range"],
)
async def test_a_2xx_read_answer_that_echoes_the_token_is_redacted(read: str, answer: str) -> None:
    # a FieldInfo answer of the wrong shape was quoted unredacted in its DecodeError, and so was
    # a Content-Range that is not one
    async with FakeBouwsoft(sales_invoices=1) as fake, fake.client() as client:
        await client.sales_invoices.count()
        token = next(t for t in fake._valid_tokens if t != fake.access_token)
        fake.add_fault(status=200, body=answer.format(token=token).encode(), times=3)
        try:
            await READS[read](client)
        except DecodeError as exc:
            assert_no_secret(exc, token)
        else:  # only a FieldInfo answer of no rows reads
            assert read in ("field_info", "check_schema")
            assert answer.startswith('{{"Content-Range"')


async def test_the_deadline_running_out_while_a_sent_payment_is_looked_up_is_unknown() -> None:
    # the POST got a 504 (applied here), and the look-up that was to decide hung until the
    # call's deadline: DeadlineExceeded, which says nothing of a payment that was sent
    async with (
        FakeBouwsoft(sales_invoices=1) as fake,
        fake.client(retry_policy=RetryPolicy(deadline=1.0)) as client,
    ):
        await client.payments.count()
        fake.add_fault(status=504, method="POST", path_contains="/Pay", after_handling=True)
        # the look-up before the POST is answered; the one after it hangs
        fake.add_fault(hang=True, method="GET", path_contains="/Payments", skip=1)
        with pytest.raises(WriteOutcomeUnknown, match="deadline") as info:
            await client.payments.create(amount=Decimal(5), externalcode="dl-3", idempotent=True)
    assert info.value.sent == {"amount": Decimal(5), "externalcode": "dl-3"}
    assert len(fake.payments) == 1
    assert len(fake.requests_to("POST", "/Payments")) == 1


@pytest.mark.parametrize("write", ["payments.create", "payments.update", "add_item"])
@pytest.mark.parametrize("utf8", [True, False], ids=["utf-8 body", "not utf-8"])
async def test_a_write_answered_2xx_in_an_unknown_charset_is_not_hidden(
    write: str, utf8: bool
) -> None:
    # "charset=utf8mb4" (MySQL's name for UTF-8, unknown to Python) made the 2xx answer of an
    # applied write a DecodeError ("unknown charset"), which does not say it was applied; now
    # the answer is read as JSON's UTF-8, and one that can't be is a WriteAppliedError
    content_type = {"Content-Type": "application/json; charset=utf8mb4"}
    note = "caf\u00e9".encode() if utf8 else b"caf\xe9"
    async with (
        FakeBouwsoft(sales_invoices=1) as fake,
        FakeRamBase() as rambase,
        fake.client() as client,
        rambase.client() as rb,
    ):
        if write == "add_item":
            body = b'{"paymentItem": {"paymentItemId": 1, "note": "' + note + b'"}}'
            rambase.add_fault(
                status=201, body=body, headers=content_type, method="POST", path_contains="/items"
            )
            call: Awaitable[Any] = rb.payments.add_item(100123, total_amount=1)
        else:
            body = b'{"RecordChanges": [{"id": 903, "note": "' + note + b'"}]}'
            method = "POST" if write == "payments.create" else "PUT"
            fake.add_fault(status=201, body=body, headers=content_type, method=method)
            call = WRITES[write][1](client)
        if utf8:
            answer = await call
            assert "café" in (answer.note if write != "payments.update" else answer.fields["note"])
        else:
            with pytest.raises(WriteAppliedError) as info:
                await call
            assert info.value.body == body


# every Bouwsoft write against every way a server answers badly: (method, the call)
WRITE_CALLS: dict[str, tuple[str, Callable[[BouwsoftClient], Awaitable[Any]]]] = {
    **WRITES,
    "purchase_invoices.create": ("POST", CREATES["purchase_invoices.create"]),
    "replace_upload": (
        "PUT",
        lambda c: c.purchase_invoices.replace_upload(884, b"%PDF-2", filename="b.pdf"),
    ),
    "delete": ("DELETE", lambda c: c.purchase_invoices.delete(884)),
}
# the fault, and what a POST / a PUT or DELETE then does: an exception, or the number of sends
FAULTS: dict[str, tuple[dict[str, Any], type[Exception] | int, type[Exception] | int]] = {
    "dropped after applying": ({"status": None, "after_handling": True}, WriteOutcomeUnknown, 2),
    "500": ({"status": 500, "body": b"<html>Internal</html>"}, ServerError, ServerError),
    "502 after applying": ({"status": 502, "after_handling": True}, WriteOutcomeUnknown, 2),
    "503": ({"status": 503}, 2, 2),
    "429 with Retry-After": ({"status": 429, "headers": {"Retry-After": "7"}}, 2, 2),
    "html 2xx after applying": (
        {"status": 200, "body": b"<html>OK</html>", "after_handling": True},
        WriteAppliedError,
        WriteAppliedError,
    ),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize("write", sorted(WRITE_CALLS))
async def test_each_write_against_each_bad_answer(
    client: BouwsoftClient, fake: FakeBouwsoft, write: str, fault: str
) -> None:
    """The README's table: a POST is sent again only when it surely was not processed, a PUT or
    DELETE like a GET; a 2xx is never hidden. Exactly one invoice or payment results."""
    await client.purchase_invoices.create(company_id=1, address_id=328892, date=date(2017, 4, 20))
    await client.purchase_invoices.upload(884, b"%PDF-1", filename="a.pdf")
    await client.payments.create(purchaseinvoice_id=884, amount=Decimal(1))
    before = {"invoices": len(fake.purchase_invoices), "payments": len(fake.payments)}
    method, call = WRITE_CALLS[write]
    path = "/Upload" if "upload" in write else ("/Payments" if "payments" in write else "/Purch")
    kwargs, post, other = FAULTS[fault]
    fake.add_fault(method=method, path_contains=path, **kwargs)
    sent_before = len(fake.requests_to(method, path))
    expected = post if method == "POST" else other
    if write == "delete" and expected is WriteAppliedError:
        expected = 1  # a DELETE's answer need not be JSON: any 2xx is done
    if isinstance(expected, int):
        result = await call(client)
    else:
        with pytest.raises(expected):
            await call(client)
    sends = len(fake.requests_to(method, path)) - sent_before
    assert sends == (expected if isinstance(expected, int) else 1)
    if write == "delete" and isinstance(expected, int):
        # True, unless it was sent again after it was applied: then it is found gone
        assert result is (sends == 1 or "applying" not in fault)
    created = {"invoices": len(fake.purchase_invoices), "payments": len(fake.payments)}
    if write == "delete":
        assert created["invoices"] == before["invoices"] - 1 or fault == "500"
    elif method == "POST" and fault != "500":  # applied exactly once
        grown = "payments" if "payments" in write else "invoices"
        assert created[grown] - before[grown] == (0 if write == "upload" else 1)
        assert len(fake.uploads[884]) == (2 if write == "upload" else 1)


# -- tokens --------------------------------------------------------------------------------------


@pytest.mark.parametrize("auth", ["up", "down"])
async def test_tokens_revoked_in_the_middle_of_a_parallel_walk(auth: str) -> None:
    # eight walkers (and the probes) all hold the revoked token: one token request for all of
    # them, each rejected request sent once more with the new token; a failing token server
    # fails the walk with its error after that one request, not one request per walker
    async with FakeBouwsoft(sales_invoices=3000) as fake, fake.client() as client:
        ids: list[int] = []
        with contextlib.nullcontext() if auth == "up" else pytest.raises(ServerError) as failed:
            async for page in client.sales_invoices.pages(page_size=100, concurrency=8):
                ids += [record.id for record in page.records]
                if len(ids) == 300:
                    fake.expire_tokens()
                    if auth == "down":
                        fake.add_fault(status=500, path_contains="AccessToken", times=99)
        assert len(fake.requests_to("GET", "AccessToken")) == 2
        assert client.token_fetches == 2
    reads = Counter((r.path, r.raw_query) for r in fake.requests if "Sales" in r.path)
    assert max(reads.values()) == (2 if auth == "up" else 1)  # never re-sent without a token
    if failed is None:
        assert sorted(ids) == fake.invoice_ids
        assert len(ids) == len(set(ids))
    else:
        assert "/Authorize/AccessToken" in str(failed.value)


# -- RamBase -------------------------------------------------------------------------------------


@pytest.mark.parametrize("amounts_as", ["number", "string"])
async def test_rambase_amounts_travel_exactly_both_ways(amounts_as: Any) -> None:
    # out: the exact digits as a JSON number (never through float, never an exponent); back:
    # what RamBase stored, as a number or a string, the same Decimal with the same digits
    amounts: list[Decimal | int] = [
        Decimal("250.00"),
        Decimal("1E+2"),
        Decimal("-0.01"),
        Decimal("0.1000000000000000000000000000001"),
        Decimal("123456789012345678901234567890.12"),
        10**30,
    ]
    async with FakeRamBase(amounts_as=amounts_as) as fake, fake.client() as rb:
        for amount in amounts:
            item = await rb.payments.add_item(100123, total_amount=amount)
            assert item.totals is not None
            back = item.totals.total_amount
            assert isinstance(back, Decimal)
            assert str(back) == ("100" if amount == 100 else str(amount))
            stored = fake.items[100123][-1]["totals"]["totalAmount"]
            assert str(stored) == str(back)


async def test_the_fake_stops_quietly_after_a_hung_answer_whose_client_left(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # the client of a hung answer gives up (its deadline) and leaves; when the fake stops, the
    # hung handler wakes to no connection and ends without an error of the server's own
    with caplog.at_level(logging.ERROR):
        async with FakeBouwsoft(sales_invoices=1) as fake:
            policy = RetryPolicy(deadline=0.3)
            async with fake.client(access_token=fake.access_token, retry_policy=policy) as client:
                fake.add_fault(hang=True, method="GET", path_contains="/SalesInvoices")
                with pytest.raises(DeadlineExceeded):
                    await client.sales_invoices.count()
            assert len(fake.requests_to("GET", "/SalesInvoices")) == 1
            # a moment for the fake to see the connection close (on a very busy machine it may
            # not yet, and the test checks less: it never fails wrongly)
            await asyncio.sleep(0.1)
    assert [r.getMessage() for r in caplog.records if r.name.startswith("aiohttp")] == []


# -- numbers past what int() reads -----------------------------------------------------------

# Python's int() refuses a digit string of more than 4,300 digits (its guard against slow
# conversions) with a ValueError: a server's number that long must be a typed error, not that
HUGE = "1" * 5000


@pytest.mark.parametrize("read_ahead", [False, True])
async def test_a_page_whose_numbers_int_refuses_is_a_decode_error(read_ahead: bool) -> None:
    async with FakeBouwsoft(sales_invoices=1) as fake, fake.client() as client:
        record = json.loads(render_invoice(fake.invoice_ids[0]))
        if read_ahead:  # big enough to be read ahead: its head and last id are peeked at
            record = {**record, "id": HUGE, "pad": "x" * 70_000}
        page = {"Content-Range": f"0-0/{HUGE}", "Records": [record]}
        fake.add_fault(status=200, body=json.dumps(page).encode(), path_contains="/Sales")
        with pytest.raises(DecodeError):
            await anext(client.sales_invoices.pages())


@pytest.mark.parametrize("record", [{"id": HUGE}, {"Code": HUGE, "Description": "x"}])
async def test_a_created_payment_whose_answer_int_refuses_was_applied(
    client: BouwsoftClient, fake: FakeBouwsoft, record: dict[str, str]
) -> None:
    answer = json.dumps({"RecordChanges": [record]}).encode()
    fake.add_fault(status=201, body=answer, method="POST", after_handling=True)
    with pytest.raises(WriteAppliedError, match="applied"):
        await client.payments.create(amount=Decimal(5))
    assert len(fake.payments) == 1


async def test_a_field_table_number_int_refuses_is_none(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    row = {"name": "amount", "typename": "tpCurrency", "typeid": HUGE, "length": HUGE}
    fake.add_fault(status=200, body=json.dumps([row]).encode(), path_contains="FieldInfo")
    (info,) = await client.field_info("Payments")
    assert (info.name, info.type, info.type_id, info.length) == ("amount", "tpCurrency", None, None)


async def test_a_rambase_error_id_int_refuses_is_no_error_id() -> None:
    body = json.dumps({"Message": "Not found", "ErrorMessage": {"ErrorMessageId": HUGE}})
    async with FakeRamBase() as fake, fake.client() as rb:
        fake.add_fault(status=404, body=body.encode(), path_contains="/items")
        with pytest.raises(NotFoundError, match="Not found") as info:
            await rb.payments.add_item(100123, total_amount=Decimal(1))
    assert info.value.error_id is None


class StringIdsBouwsoft(FakeBouwsoft):
    """A server that writes ids as digit strings, as an older page writes purchaseinvoice_nr."""

    def _listing(self, resource: str, filter_text: str | None) -> Any:
        ids, record = super()._listing(resource, filter_text)
        return ids, lambda i: {**record(i), "id": str(record(i)["id"])}


@pytest.mark.parametrize("strict", [False, True])
async def test_ids_as_digit_strings_walk_alike_in_parallel(strict: bool) -> None:
    # a digit-string id reads as its number in a record (the sequential walk worked), but the
    # parallel walk's count probes took it raw and raised "a record without an integer id"
    async with StringIdsBouwsoft(sales_invoices=60, strict=strict) as fake, fake.client() as client:
        sequential = [inv.id async for inv in client.sales_invoices.list(page_size=10)]
        parallel = [inv.id async for inv in client.sales_invoices.list(page_size=10, concurrency=4)]
        rows = [row["id"] async for row in client.sales_invoices.rows(page_size=10, concurrency=4)]
    assert sequential == fake.invoice_ids
    assert sorted(parallel) == sorted(rows) == fake.invoice_ids
