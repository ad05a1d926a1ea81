"""The core over real HTTP against the fakes: tokens, hostile answers, closing, secrets, errors."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import inspect
import socket
import zlib
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
import pytest
from exception_chains import assert_no_secret

from bouwsoft_async import (
    APIError,
    BadRequestError,
    BouwsoftClient,
    BouwsoftError,
    ClientClosedError,
    ClientOptions,
    ConnectError,
    DeadlineExceeded,
    DecodeError,
    PermissionDeniedError,
    Request,
    Response,
    ResponseTooLargeError,
    RetryPolicy,
    ServerError,
    TransportError,
    ValidationError,
    WriteAppliedError,
    WriteOutcomeUnknown,
)
from bouwsoft_async.rambase import RamBaseClient
from bouwsoft_async.testing import FakeBouwsoft, FakeRamBase, render_invoice
from bouwsoft_async.testing._writes import render_record

# -- tokens ----------------------------------------------------------------------------------


async def test_a_short_lived_token_is_not_fetched_again_for_every_call() -> None:
    # 30 s of life is inside the 60 s renewal margin from the moment it arrives: the storm
    # fetched a token per waiting call; now a token serves its waiters and is renewed no
    # sooner than half its life on the client's clock (frozen here)
    frozen = datetime.now(UTC)
    async with FakeBouwsoft(sales_invoices=200, token_lifetime=30) as fake:
        async with fake.client(clock=lambda: frozen) as client:
            ids = fake.invoice_ids[:100]
            await asyncio.gather(*(client.sales_invoices.get(i) for i in ids))
            for invoice_id in ids + ids[:20]:
                await client.sales_invoices.get(invoice_id)
        assert fake.tokens_issued == 1
        assert len(fake.requests_to("GET", "AccessToken")) == 1


async def test_a_token_whose_valid_until_is_already_past_is_used_until_rejected() -> None:
    # the server's clock says the token expired an hour ago (a skewed clock); it works
    async with FakeBouwsoft(sales_invoices=200, announced_token_lifetime=-3600) as fake:
        async with fake.client() as client:
            ids = fake.invoice_ids[:100]
            await asyncio.gather(*(client.sales_invoices.get(i) for i in ids))
            for invoice_id in ids[:50]:
                await client.sales_invoices.get(invoice_id)
            assert fake.tokens_issued == 1
            fake.expire_tokens()  # now it really stops working: one renewal after the 401
            await asyncio.gather(*(client.sales_invoices.get(i) for i in ids))
        assert fake.tokens_issued == 2


async def test_a_failing_auth_server_is_asked_once_per_try_for_a_burst() -> None:
    async with FakeBouwsoft(sales_invoices=10) as fake:
        fake.add_fault(status=503, body=b"busy", path_contains="AccessToken", times=1000)
        async with fake.client(max_retries=2) as client:
            results = await asyncio.gather(
                *(client.sales_invoices.count() for _ in range(50)), return_exceptions=True
            )
        assert all(isinstance(r, ServerError) and r.status == 503 for r in results)
        # one fetch for all fifty, tried 1 + 2 times: not once more per waiting caller
        assert len(fake.requests_to("GET", "AccessToken")) == 3
        assert fake.requests_to("GET", "/SalesInvoices") == []


async def test_a_hanging_auth_server_is_waited_for_once() -> None:
    async with FakeBouwsoft(sales_invoices=10) as fake:
        fake.add_fault(hang=True, path_contains="AccessToken", times=1000)
        async with fake.client(max_retries=0, timeout=0.2) as client:
            results = await asyncio.gather(
                *(client.sales_invoices.count() for _ in range(50)), return_exceptions=True
            )
        assert all(isinstance(r, TransportError) for r in results), results[0]
        assert len(fake.requests_to("GET", "AccessToken")) == 1


@pytest.mark.parametrize("given", ["refresh_token", "access_token"])
@pytest.mark.parametrize("tail", ["\n", "\r\n", "\x00", "\u2028"])
async def test_a_token_that_no_header_can_carry_is_refused_before_sending(
    given: str, tail: str
) -> None:
    # a token read from a file with its line break was sent to aiohttp, whose bare ValueError
    # ('Forbidden control character detected in headers') every call then raised
    async with FakeBouwsoft(sales_invoices=10) as fake:
        token = getattr(fake, given)
        with pytest.raises(ValidationError, match=given) as info:
            fake.client(**{given: token + tail})
        assert info.value.field == given
        assert_no_secret(info.value, token)
        assert fake.requests == []


@pytest.mark.parametrize("api", ["bouwsoft", "rambase"])
async def test_a_fetched_token_that_no_header_can_carry_is_a_decode_error(api: str) -> None:
    # a token server's answer held a line break in its token: the first call raised aiohttp's
    # bare ValueError (not a BouwsoftError), whatever the caller's except clauses expected
    evil = "tok3n-s3cret\r\nX-Evil: 1"
    fake: Any = FakeBouwsoft(sales_invoices=10) if api == "bouwsoft" else FakeRamBase()
    async with fake:
        if api == "bouwsoft":
            answer = {"AccessToken": evil, "ServerName": f"127.0.0.1:{fake.port}",
                      "ValidUntil": "2099-01-01T00:00Z"}  # fmt: skip
        else:
            answer = {"access_token": evil, "expires_in": "3600"}
        fake.add_fault(status=200, body=orjson.dumps(answer), path_contains="ccess")
        async with fake.client() as client:
            call = (
                client.sales_invoices.count()
                if api == "bouwsoft"
                else client.payments.add_item(100123, total_amount=Decimal(1))
            )
            with pytest.raises(DecodeError, match="no header can carry") as info:
                await call
    assert_no_secret(info.value, evil, "tok3n-s3cret")
    assert len(fake.requests) == 1  # the token request, nothing more


UNREACHABLE_HOSTS = ["127.0.0.1:99999", "ra.bouwsoft.be:65536", "a..b", "..", "a" * 64 + ".be"]


@pytest.mark.parametrize("host", UNREACHABLE_HOSTS)
async def test_a_server_name_no_request_can_reach_is_a_decode_error(host: str) -> None:
    # a port past 65535 or an empty or 64-character host label passed the ServerName check,
    # and every call then raised yarl's bare ValueError ('Port out of range') or UnicodeError
    async with FakeBouwsoft(sales_invoices=10) as fake:
        answer = {"AccessToken": "tok3n", "ServerName": host, "ValidUntil": "2099-01-01T00:00Z"}
        fake.add_fault(status=200, body=orjson.dumps(answer), path_contains="/AccessToken")
        async with fake.client() as client:
            with pytest.raises(DecodeError, match="no usable ServerName"):
                await client.sales_invoices.count()
        assert len(fake.requests) == 1  # the token request, nothing more


@pytest.mark.parametrize("host", [*UNREACHABLE_HOSTS, "ra.bouwsoft.be:443O"])
def test_a_base_url_no_request_can_reach_is_refused_at_once(host: str) -> None:
    # such a URL was taken, and every call raised a bare ValueError or UnicodeError
    url = f"https://{host}/api/v1"
    with pytest.raises(ValidationError, match="base_url"):
        BouwsoftClient(client_nr=115, access_token="t", base_url=url)
    with pytest.raises(ValidationError, match="base_url"):
        RamBaseClient(client_id="i", client_secret="s", base_url=url)
    with pytest.raises(ValidationError, match="auth_url"):
        BouwsoftClient(client_nr=115, refresh_token="t", auth_url=url)


async def test_token_endpoint_echoing_old_and_new_tokens_is_redacted() -> None:
    async with FakeBouwsoft(sales_invoices=10) as fake, fake.client() as client:
        await client.sales_invoices.get(fake.invoice_ids[0])
        old = next(t for t in fake._valid_tokens if t != fake.access_token)
        fake.expire_tokens()
        await client.sales_invoices.get(fake.invoice_ids[0])  # 401, then a new token
        new = next(t for t in fake._valid_tokens if t != fake.access_token)
        echo = f'{{"Message": "token {old} replaced by {new}"}}'.encode()
        fake.add_fault(status=400, body=echo, path_contains="/SalesInvoices/")
        with pytest.raises(BadRequestError) as info:
            await client.sales_invoices.get(fake.invoice_ids[0])
    assert info.value.message == "token *** replaced by ***"
    assert_no_secret(info.value, old, new, fake.refresh_token)


# -- hostile answers -------------------------------------------------------------------------


async def test_an_unreadable_retry_after_is_ignored() -> None:
    async with FakeBouwsoft(sales_invoices=10) as fake, fake.client() as client:
        for value in ("²", "soon", "-5", "1e3", "١٢"):
            fake.add_fault(status=503, headers={"Retry-After": value}, path_contains="/Sales")
            invoice = await client.sales_invoices.get(fake.invoice_ids[0])
            assert invoice.id == fake.invoice_ids[0]
        assert len(fake.requests_to("GET", "/SalesInvoices/")) == 10


@pytest.mark.parametrize("chunked", [False, True])
async def test_an_answer_over_the_size_cap_is_refused_unread(chunked: bool) -> None:
    async with FakeBouwsoft(sales_invoices=10) as fake:
        size = 64 * 1024 * 1024
        fake.add_fault(status=200, body_size=size, chunked=chunked, path_contains="/Sales")
        async with fake.client(max_response_bytes=1024 * 1024) as client:
            with pytest.raises(ResponseTooLargeError) as info:
                await client.sales_invoices.get(fake.invoice_ids[0])
        assert isinstance(info.value, DecodeError)
        assert info.value.limit == 1024 * 1024
        assert "max_response_bytes" in str(info.value)


COMPRESS = {"gzip": gzip.compress, "deflate": zlib.compress}


@pytest.mark.parametrize("encoding", sorted(COMPRESS))
async def test_a_compressed_answer_is_capped_by_what_it_inflates_to(encoding: str) -> None:
    # Content-Length counts the compressed bytes: 8 KiB that inflate to 8 MiB were read whole
    # past a 1 MiB cap (and a 2xx of a write was then not reported as applied and unread)
    compress, cap = COMPRESS[encoding], 1024 * 1024
    inflating = {"Content-Encoding": encoding, "Content-Type": "application/json"}
    async with FakeBouwsoft(sales_invoices=10) as fake:
        invoice_id = fake.invoice_ids[0]
        page = f'{{"Content-Range":"0-0/1","Records":[{render_invoice(invoice_id)}]}}'.encode()
        async with fake.client(access_token=fake.access_token, max_response_bytes=cap) as client:
            # within the cap once inflated: read as usual
            fake.add_fault(status=200, body=compress(page), headers=inflating, path_contains="/Sa")
            assert (await client.sales_invoices.get(invoice_id)).id == invoice_id
            bomb = compress(b" " * (8 * cap))
            assert len(bomb) < cap
            fake.add_fault(status=200, body=bomb, headers=inflating, path_contains="/Sales")
            with pytest.raises(ResponseTooLargeError):
                await client.sales_invoices.get(invoice_id)
            fake.add_fault(
                status=201, body=bomb, headers=inflating, after_handling=True, method="POST"
            )
            with pytest.raises(WriteAppliedError, match="not read whole"):
                await client.payments.create(amount=Decimal(5))
        assert len(fake.payments) == 1


async def test_a_declared_length_over_the_cap_is_refused_before_reading() -> None:
    async with FakeBouwsoft(sales_invoices=10) as fake:
        # the body never comes: only refusing on Content-Length can end this call
        fake.add_fault(
            status=200, body_size=10**9, hang=True, hang_after=10, path_contains="/Sales"
        )
        async with fake.client(max_response_bytes=10**6) as client:
            with pytest.raises(ResponseTooLargeError):
                await client.sales_invoices.get(fake.invoice_ids[0])


async def test_the_default_cap_is_generous_and_bad_caps_are_refused() -> None:
    async with FakeBouwsoft(sales_invoices=3000) as fake, fake.client() as client:
        pages = [p async for p in client.sales_invoices.pages(page_size=3000)]
        assert sum(len(p.records) for p in pages) == 3000
    for bad in (0, -1, 1.5, True, "1"):
        with pytest.raises(ValidationError, match="max_response_bytes"):
            BouwsoftClient(client_nr=1, refresh_token="r", max_response_bytes=bad)


async def test_a_declared_json_charset_is_honoured() -> None:
    async with FakeBouwsoft(sales_invoices=10) as fake, fake.client() as client:
        invoice_id = fake.invoice_ids[0]
        truth = await client.sales_invoices.get(invoice_id)
        record = render_invoice(invoice_id).replace(
            f'"concerning":{_json_text(truth.concerning)}', '"concerning":"Élec Dubois – €"'
        )
        assert "Élec" in record
        body = ('{"Content-Range":"0-0/1","Records":[' + record + "]}").encode("windows-1252")
        fake.add_fault(
            status=200,
            body=body,
            headers={"Content-Type": "application/json; charset=windows-1252"},
            path_contains="/SalesInvoices/",
        )
        invoice = await client.sales_invoices.get(invoice_id)
    assert invoice.concerning == "Élec Dubois – €"
    assert invoice.amountinclvat == truth.amountinclvat


async def test_an_error_body_in_a_declared_charset_is_read() -> None:
    async with FakeBouwsoft(sales_invoices=10) as fake, fake.client() as client:
        fake.add_fault(
            status=400,
            body='{"Message": "Facture déjà payée"}'.encode("windows-1252"),
            headers={"Content-Type": "application/json; charset=windows-1252"},
            path_contains="/SalesInvoices/",
        )
        with pytest.raises(BadRequestError) as info:
            await client.sales_invoices.get(fake.invoice_ids[0])
    assert info.value.message == "Facture déjà payée"


@pytest.mark.parametrize("charset", ["base64", "hex", "rot13", "punycode", "undefined"])
async def test_a_charset_that_is_no_text_encoding_is_a_typed_error(charset: str) -> None:
    # Python knows these codec names, but they decode no text: a read raised a bare LookupError
    # ('not a text encoding') or UnicodeError, so did an error answer, and so did the 2xx answer
    # of a payment that was created, which hid that it was; a text sub-resource read as UTF-8
    declared = {"Content-Type": f"application/json; charset={charset}"}
    async with FakeBouwsoft(sales_invoices=10) as fake, fake.client() as client:
        fake.add_fault(status=200, body=b'{"Records":[]}', headers=declared, path_contains="/Sa")
        with pytest.raises(DecodeError, match=charset):
            await client.sales_invoices.count()
        fake.add_fault(status=400, body=b'{"Message":"Bad filter"}', headers=declared)
        with pytest.raises(BadRequestError, match="Bad filter"):
            await client.sales_invoices.count()
        answer = b'{"RecordChanges":[{"id":903,"amount":5.0}]}'
        fake.add_fault(
            status=201, body=answer, headers=declared, method="POST", after_handling=True
        )
        payment = await client.payments.create(amount=Decimal(5))
        text = {"Content-Type": f"text/plain; charset={charset}"}
        fake.add_fault(status=200, body="Élec".encode(), headers=text, path_contains="/Sales")
        assert await client.sales_invoices.introduction(fake.invoice_ids[0]) == "Élec"
    assert (payment.id, payment.amount) == (903, Decimal(5))
    assert len(fake.payments) == 1


def _json_text(value: Any) -> str:
    import json

    return json.dumps(value)


async def test_a_malformed_header_chains_no_token() -> None:
    raw = b"HTTP/1.1 200 OK\r\nContent-Length: not-a-number\r\n\r\n{}"
    async with FakeBouwsoft(sales_invoices=10) as fake:
        fake.add_fault(raw=raw, path_contains="/SalesInvoices/", times=10)
        async with fake.client(max_retries=1) as client:
            with pytest.raises(TransportError) as info:
                await client.sales_invoices.get(fake.invoice_ids[0])
            token = next(t for t in fake._valid_tokens if t != fake.access_token)
    assert_no_secret(info.value, token, fake.refresh_token)
    assert "/api/v1/SalesInvoices/" in str(info.value)


async def test_an_answer_that_is_not_json_chains_no_token() -> None:
    async with FakeBouwsoft(sales_invoices=10) as fake, fake.client() as client:
        await client.sales_invoices.count()
        token = next(t for t in fake._valid_tokens if t != fake.access_token)
        echo = f"<html>your token {token} is fine</html>".encode()
        fake.add_fault(status=200, body=echo, path_contains="/SalesInvoices/", times=2)
        with pytest.raises(DecodeError) as one:
            await client.sales_invoices.get(fake.invoice_ids[0])
        with pytest.raises(DecodeError) as count:
            await client.sales_invoices.count()
    for info in (one, count):
        assert "your token *** is fine" in info.value.excerpt
        assert_no_secret(info.value, token)


@pytest.mark.parametrize("walked", ["pages", "rows"])
async def test_a_walk_redacts_the_token_fetched_after_it_began(walked: str) -> None:
    async with FakeBouwsoft(sales_invoices=10) as fake, fake.client() as client:
        walk: Any = getattr(client.sales_invoices, walked)(page_size=1)
        async with contextlib.aclosing(walk):
            await anext(walk)  # the walk's first request fetched the client's first token
            token = next(t for t in fake._valid_tokens if t != fake.access_token)
            echo = f"<html>your token {token} is fine</html>".encode()
            fake.add_fault(status=200, body=echo, path_contains="/SalesInvoices/")
            with pytest.raises(DecodeError) as info:
                await anext(walk)
    assert "your token *** is fine" in info.value.excerpt
    assert_no_secret(info.value, token)


@pytest.mark.parametrize("walked", ["pages", "rows", "list"])
@pytest.mark.parametrize("records", [1, 20])  # read record by record, and column by column
async def test_a_record_value_that_echoes_the_token_is_redacted(walked: str, records: int) -> None:
    async with FakeBouwsoft(sales_invoices=10) as fake:
        token = fake.access_token
        client = fake.client(access_token=token)
        bad = {**orjson.loads(render_invoice(25)), "date": f"not a date: {token}"}
        body = {"Content-Range": f"0-{records - 1}/{records}", "Records": [bad] * records}
        fake.add_fault(status=200, body=orjson.dumps(body), path_contains="/SalesInvoices/")
        walk: Any = getattr(client.sales_invoices, walked)(page_size=records)
        async with client, contextlib.aclosing(walk):
            with pytest.raises(DecodeError, match="'date'") as info:
                await anext(walk)
    assert "not a date: ***" in info.value.excerpt
    assert_no_secret(info.value, token)


# a token as long as the vendor's sample ones: a quoted value is cut at 80 or 120 characters
VENDOR_LIKE_TOKEN = "mOlfWxfDjrzSfOjVlfzRqlAjfbrbfGtbfDlkzGrkOmjGVmrlDO"


@pytest.mark.parametrize("strict", [False, True], ids=["fake", "strict-fake"])
@pytest.mark.parametrize("read", ["payments.list", "purchase_invoices.get", "field_info"])
async def test_a_quoted_value_cut_in_the_middle_of_the_token_shows_none_of_it(
    strict: bool, read: str
) -> None:
    # the value is quoted cut to a length: cut inside the token, its start was left visible
    token = VENDOR_LIKE_TOKEN
    echo = f"the value sent with your AccessToken {token} can't be read"
    fake = FakeBouwsoft(sales_invoices=3, strict=strict, access_token=token)
    async with fake, fake.client(access_token=token) as client:
        payment = await client.payments.create(amount=Decimal("1.05"))
        invoice = await client.purchase_invoices.create(company_id=1, address_id=328892)
        if read == "field_info":
            rows = [f"a FieldInfo row written as text, echoing the headers: {echo}"]
            fake.add_fault(status=200, body=orjson.dumps(rows), path_contains="/FieldInfo")
            reading: Any = client.field_info("Payments")
        elif read == "payments.list":
            record = {**render_record(fake.payments[payment.id]), "date": echo}
            body = {"Content-Range": "0-0/1", "Records": [record]}
            fake.add_fault(status=200, body=orjson.dumps(body), path_contains="/Payments/")
            reading = anext(client.payments.list())
        else:
            record = {**render_record(fake.purchase_invoices[invoice.id]), "date": echo}
            body = {"Content-Range": "0-0/1", "Records": [record]}
            fake.add_fault(status=200, body=orjson.dumps(body), path_contains="/Purchase")
            reading = client.purchase_invoices.get(invoice.id)
        with pytest.raises(DecodeError) as info:
            await reading
    assert "***" in info.value.excerpt
    assert_no_secret(info.value, token[:8])


async def test_a_probe_answer_that_echoes_the_token_as_an_id_is_redacted() -> None:
    async with FakeBouwsoft(sales_invoices=10) as fake:
        token = fake.access_token
        body = {"Content-Range": "0-0/10", "Records": [{"id": f"id of {token}"}]}
        fake.add_fault(status=200, body=orjson.dumps(body), path_contains="/SalesInvoices/")
        async with fake.client(access_token=token) as client:
            with pytest.raises(DecodeError, match="'id' should be an integer") as info:
                await client.sales_invoices.partitions(2)
    assert "id of ***" in info.value.excerpt
    assert_no_secret(info.value, token)


async def test_rambase_secret_echoed_url_encoded_is_redacted() -> None:
    secret = "s3cret+XYZ/1="
    async with FakeRamBase(client_secret=secret) as fake:
        fake.add_fault(echo=True, status=400, path_contains="access_token")
        async with fake.client() as rb:
            with pytest.raises(BadRequestError) as info:
                await rb.payments.add_item(100123, total_amount=Decimal("1"))
    assert "client_secret=***" in info.value.excerpt
    assert_no_secret(info.value, secret, "s3cret%2BXYZ%2F1%3D", "s3cret%2bXYZ%2f1%3d")


# -- closing ---------------------------------------------------------------------------------


def _client_tasks() -> list[asyncio.Task[Any]]:
    """Tasks still running code of the client (not of the fake server or the test)."""
    current = asyncio.current_task()
    found = []
    for task in asyncio.all_tasks():
        if task is current or task.done():
            continue
        frames = [frame.f_code.co_filename for frame in task.get_stack()]
        code = getattr(task.get_coro(), "cr_code", None)
        if code is not None:
            frames.append(code.co_filename)
        if any("bouwsoft_async" in f and "testing" not in f for f in frames):
            found.append(task)
    return found


async def test_aclose_ends_a_call_reading_a_body_at_once() -> None:
    async with FakeBouwsoft(sales_invoices=10) as fake:
        fault = fake.add_fault(
            status=200, body_size=10**6, hang=True, hang_after=1000, path_contains="/Sales"
        )
        client = fake.client()
        count = asyncio.create_task(client.sales_invoices.count())
        await fault.reached.wait()  # the headers and a first piece of the body are out
        await client.aclose()
        with pytest.raises(ClientClosedError) as info:
            await count
        assert isinstance(info.value, BouwsoftError)
        assert _client_tasks() == []
        with pytest.raises(ClientClosedError):
            await client.sales_invoices.count()


async def test_aclose_during_a_token_fetch_ends_its_waiters() -> None:
    async with FakeBouwsoft(sales_invoices=10) as fake:
        fault = fake.add_fault(hang=True, path_contains="AccessToken")
        client = fake.client()
        calls = [asyncio.create_task(client.sales_invoices.count()) for _ in range(5)]
        await fault.reached.wait()
        await client.aclose()
        results = await asyncio.gather(*calls, return_exceptions=True)
        assert all(isinstance(r, ClientClosedError) for r in results), results
        assert _client_tasks() == []


async def test_aclose_during_a_write_is_an_unknown_outcome() -> None:
    async with FakeBouwsoft(sales_invoices=10) as fake:
        fault = fake.add_fault(hang=True, method="POST", path_contains="/Payments")
        client = fake.client()
        create = asyncio.create_task(
            client.payments.create(purchaseinvoice_id=884, amount=Decimal("1"))
        )
        await fault.reached.wait()
        await client.aclose()
        with pytest.raises(WriteOutcomeUnknown):
            await create
        assert _client_tasks() == []


async def test_a_cancelled_caller_is_not_turned_into_a_closed_error() -> None:
    async with FakeBouwsoft(sales_invoices=10) as fake, fake.client() as client:
        fault = fake.add_fault(hang=True, path_contains="/Sales")
        count = asyncio.create_task(client.sales_invoices.count())
        await fault.reached.wait()
        count.cancel()
        with pytest.raises(asyncio.CancelledError):
            await count


# -- deadline ----------------------------------------------------------------------------------


async def test_the_total_deadline_ends_a_call_with_retries_left() -> None:
    async with FakeBouwsoft(sales_invoices=10) as fake:
        fake.add_fault(hang=True, path_contains="/Sales", times=100)
        policy = RetryPolicy(max_retries=5, deadline=0.3)
        async with fake.client(retry_policy=policy, timeout=60) as client:
            with pytest.raises(DeadlineExceeded, match="deadline"):
                await client.sales_invoices.count()
            fake.add_fault(hang=True, method="POST", path_contains="/Payments")
            with pytest.raises(WriteOutcomeUnknown):
                await client.payments.create(purchaseinvoice_id=884, amount=Decimal("1"))


async def test_the_deadline_of_an_idempotent_create_with_its_post_on_the_wire_is_unknown() -> None:
    # the create's own attempts (look-up, POST) run inside one deadline: when it runs out with
    # the POST sent and unanswered, the outcome is open, not a plain DeadlineExceeded
    async with FakeBouwsoft(sales_invoices=1) as fake:
        fake.add_fault(hang=True, method="POST", path_contains="/Payments")
        policy = RetryPolicy(max_retries=5, deadline=0.3)
        async with fake.client(retry_policy=policy, timeout=60) as client:
            with pytest.raises(WriteOutcomeUnknown) as caught:
                await client.payments.create(
                    idempotent=True,
                    purchaseinvoice_id=884,
                    amount=Decimal("1"),
                    externalcode="dl-1",
                )
    assert caught.value.sent["externalcode"] == "dl-1"


# -- messages, options, errors ---------------------------------------------------------------


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_connect_error_names_host_port_and_reason() -> None:
    port = _dead_port()
    async with BouwsoftClient(
        client_nr=115,
        access_token="secret-token",
        base_url=f"http://127.0.0.1:{port}/api/v1",
        max_retries=0,
    ) as client:
        with pytest.raises(ConnectError) as info:
            await client.sales_invoices.count(filter="type eq 'FAKTUUR'")
    text = str(info.value)
    assert f"127.0.0.1:{port}" in text
    assert "refused" in text.lower()
    assert "FAKTUUR" not in text
    assert "?" not in text
    assert_no_secret(info.value, "secret-token")


@pytest.mark.parametrize("url", ["ra.bouwsoft.be/api/v1", "ftp://x/api", "https://", " ", 5])
def test_base_urls_without_scheme_are_refused_at_once(url: Any) -> None:
    with pytest.raises(ValidationError, match="base_url"):
        BouwsoftClient(client_nr=115, access_token="t", base_url=url)
    with pytest.raises(ValidationError, match="base_url"):
        RamBaseClient(client_id="i", client_secret="s", base_url=url)
    with pytest.raises(ValidationError, match="auth_url"):
        BouwsoftClient(client_nr=115, refresh_token="t", auth_url=str(url))


def test_retry_policy_and_max_retries_together_are_refused() -> None:
    with pytest.raises(ValidationError, match="max_retries"):
        BouwsoftClient(client_nr=115, refresh_token="t", max_retries=2, retry_policy=RetryPolicy())
    with pytest.raises(ValidationError, match="max_retries"):
        RamBaseClient(client_id="i", client_secret="s", max_retries=2, retry_policy=RetryPolicy())
    BouwsoftClient(client_nr=115, refresh_token="t", retry_policy=RetryPolicy(max_retries=1))


def test_both_clients_take_the_same_options() -> None:
    def options(cls: type) -> dict[str, Any]:
        return {
            name: (param.default, param.annotation)
            for name, param in inspect.signature(cls).parameters.items()
            if param.kind is inspect.Parameter.VAR_KEYWORD
        }

    assert (
        options(BouwsoftClient)
        == options(RamBaseClient)
        == {"options": (inspect.Parameter.empty, "Unpack[ClientOptions]")}
    )
    assert set(ClientOptions.__optional_keys__) == {
        "session",
        "max_concurrency",
        "timeout",
        "max_retries",
        "retry_policy",
        "transport",
        "max_response_bytes",
        "clock",
    }


async def test_the_vendors_error_record_gives_message_and_request_id() -> None:
    body = (
        b'{"RecordChanges":[{"Code":400,"Description":"Could not create a new record",'
        b'"Message":"Bad Request","RequestId":"115-1d64fa85-2d7e-4f9d-a397-10ed1dc09df7-'
        b'250212-142620"}]}'
    )
    async with FakeBouwsoft(sales_invoices=10) as fake, fake.client() as client:
        fake.add_fault(status=400, body=body, path_contains="/SalesInvoices/")
        with pytest.raises(BadRequestError) as info:
            await client.sales_invoices.get(fake.invoice_ids[0])
    assert info.value.message == "Could not create a new record"
    assert info.value.request_id == "115-1d64fa85-2d7e-4f9d-a397-10ed1dc09df7-250212-142620"
    assert info.value.request_id in str(info.value)


async def test_rambase_403_is_permission_denied_and_target_is_sent() -> None:
    async with FakeRamBase(db="ACME-NO") as fake:
        async with fake.client(db="OTHER", target="ACME-USER-7") as rb:
            with pytest.raises(PermissionDeniedError) as info:
                await rb.payments.add_item(100123, total_amount=Decimal("1"))
        async with fake.client() as rb:
            await rb.payments.add_item(100123, total_amount=Decimal("1"))
    assert isinstance(info.value, APIError)
    assert info.value.status == 403
    assert fake.token_targets == ["ACME-USER-7", None]


async def test_bouwsoft_403_is_permission_denied() -> None:
    async with FakeBouwsoft(sales_invoices=10) as fake, fake.client() as client:
        fake.add_fault(status=403, body=b'{"Message": "no"}', path_contains="/SalesInvoices/")
        with pytest.raises(PermissionDeniedError):
            await client.sales_invoices.get(fake.invoice_ids[0])


# -- the transport seam ------------------------------------------------------------------------


class RecordingTransport:
    """A user's transport: answers from a table, records what it was asked."""

    def __init__(self) -> None:
        self.sent: list[Request] = []

    async def send(self, request: Request) -> Response:
        self.sent.append(request)
        body = b'{"Content-Range":"0-0/7","Records":[' + render_invoice(24).encode() + b"]}"
        return Response(status=200, headers={"Content-Type": "application/json"}, body=body)

    async def aclose(self) -> None:
        pass


async def test_a_user_transport_gets_the_wire_url() -> None:
    transport = RecordingTransport()
    async with BouwsoftClient(
        client_nr=115, access_token="t", base_url="https://ra.bouwsoft.be/api/v1",
        transport=transport,
    ) as client:  # fmt: skip
        assert await client.sales_invoices.count(filter="concerning eq 'a b'") == 7
    (request,) = transport.sent
    assert request.wire_url() == (
        "https://ra.bouwsoft.be/api/v1/SalesInvoices/?limit=1&sort=id"
        "&filter=concerning%20eq%20%27a%20b%27"
    )


async def test_a_user_transport_cannot_change_the_headers_of_later_requests() -> None:
    # the requests of one token share its headers: a transport that edits them is refused,
    # never silently sending its edit with every later request
    class Editing(RecordingTransport):
        async def send(self, request: Request) -> Response:
            headers: Any = request.headers
            with pytest.raises(TypeError):
                headers["AccessToken"] = "edited"
            return await super().send(request)

    transport = Editing()
    async with BouwsoftClient(
        client_nr=115, access_token="t", base_url="https://ra.bouwsoft.be/api/v1",
        transport=transport,
    ) as client:  # fmt: skip
        await client.sales_invoices.count()
        await client.sales_invoices.count()
    assert [request.headers["AccessToken"] for request in transport.sent] == ["t", "t"]
