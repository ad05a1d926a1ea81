"""Uploads over real HTTP against the fake and the strict fake: aiohttp's multipart body, built
afresh for every attempt (issue 13)."""

from __future__ import annotations

from datetime import date

import pytest

from bouwsoft_async import BouwsoftClient, ValidationError
from bouwsoft_async.testing import FakeBouwsoft

# the boundary the hand-built body used: a file containing it was refused
OLD_BOUNDARY = b"--bouwsoft-async-5f0c9d1e7a2b4c36"


async def new_invoice_id(client: BouwsoftClient) -> int:
    invoice = await client.purchase_invoices.create(company_id=1, date=date(2017, 4, 20))
    return invoice.id


async def test_a_file_containing_any_boundary_uploads(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    invoice_id = await new_invoice_id(client)
    content = (
        b"%PDF-1.7\r\n" + OLD_BOUNDARY + b"\r\n" + OLD_BOUNDARY + b"--\r\n" + bytes(range(256))
    )
    uploaded = await client.purchase_invoices.upload(invoice_id, content, filename="scan.pdf")
    assert uploaded.size == len(content)
    assert fake.uploads[invoice_id][0]["content"] == content
    assert fake.uploads[invoice_id][0]["name"] == "scan.pdf"


async def test_a_retried_upload_sends_a_whole_new_body(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    invoice_id = await new_invoice_id(client)
    # a PUT is retried; the first attempt's connection is cut before the fake reads it
    fake.add_fault(status=None, method="PUT", path_contains="/Upload")
    fake.add_fault(status=503, method="PUT", path_contains="/Upload")
    uploaded = await client.purchase_invoices.replace_upload(
        invoice_id, b"v2 content", filename="factuur 2017-04.pdf"
    )
    assert uploaded.size == len(b"v2 content")
    assert [f["content"] for f in fake.uploads[invoice_id]] == [b"v2 content"]
    assert [f["name"] for f in fake.uploads[invoice_id]] == ["factuur 2017-04.pdf"]
    assert len(fake.requests_to("PUT", "/Upload")) == 3


async def test_a_post_upload_after_503_is_sent_again(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    invoice_id = await new_invoice_id(client)
    fake.add_fault(status=503, method="POST", path_contains="/Upload")
    await client.purchase_invoices.upload(invoice_id, b"x" * 70_000, filename="Élec été.bin")
    assert [len(f["content"]) for f in fake.uploads[invoice_id]] == [70_000]
    assert [f["name"] for f in fake.uploads[invoice_id]] == ["Élec été.bin"]


async def test_a_bad_filename_sends_nothing(client: BouwsoftClient, fake: FakeBouwsoft) -> None:
    invoice_id = await new_invoice_id(client)
    before = len(fake.requests)
    for name in ("a/b.pdf", 'x".pdf', "caf\udce9.pdf"):
        with pytest.raises(ValidationError):
            await client.purchase_invoices.upload(invoice_id, b"x", filename=name)
    assert len(fake.requests) == before


async def test_an_upload_answer_with_an_unreadable_value_still_returns_the_file(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    invoice_id = await new_invoice_id(client)
    answer = (
        b'{"RecordChanges":[{"name":"scan.pdf","path_display":".","path_lower":".","id":"",'
        b'"client_modified":"2026-05-07T09:21:28Z","server_modified":"2026-05-07T09:21:28Z",'
        b'"rev":"","size":"big","is_downloadable":true,"checksum":"abc"}]}'
    )
    fake.add_fault(status=201, body=answer, method="POST", path_contains="/Upload",
                   after_handling=True)  # fmt: skip
    uploaded = await client.purchase_invoices.upload(invoice_id, b"%PDF", filename="scan.pdf")
    assert uploaded.name == "scan.pdf"
    assert uploaded.id == ""
    assert uploaded.size is None
    assert uploaded.extra["size"] == "big"
    assert len(fake.uploads[invoice_id]) == 1
