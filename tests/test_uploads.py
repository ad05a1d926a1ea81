"""Uploads over real HTTP against the fake and the strict fake: aiohttp's multipart body, built
afresh for every attempt (issue 13)."""

from __future__ import annotations

import base64
import hashlib
import io
import os
from datetime import date
from pathlib import Path
from typing import IO, Any

import pytest
from aiohttp import BodyPartReader

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


# -- file names and sources, as the fake's multipart parser receives them -------------------------


@pytest.fixture
def part_headers(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, str]]:
    """The headers of every multipart part the fake reads, as they came on the wire."""
    seen: list[dict[str, str]] = []
    read = BodyPartReader.read

    async def recording(self: BodyPartReader, **kwargs: Any) -> Any:
        seen.append(dict(self.headers))
        return await read(self, **kwargs)

    monkeypatch.setattr(BodyPartReader, "read", recording)
    return seen


def open_binary(file: str | bytes | int | Path) -> IO[bytes]:
    """A file opened for reading (a small local file: blocking is harmless in a test)."""
    return open(file, "rb")


def sha256_b64(content: bytes) -> str:
    return base64.b64encode(hashlib.sha256(content).digest()).decode()


@pytest.mark.parametrize(
    "name",
    ["a;b.pdf", "é.pdf", "中文 发票.pdf", "😀.pdf", "a b=c, 'd'.pdf", "x" * 300 + ".pdf", ".."],
)
async def test_a_file_name_goes_out_as_given_in_utf8(
    client: BouwsoftClient, fake: FakeBouwsoft, part_headers: list[dict[str, str]], name: str
) -> None:
    invoice_id = await new_invoice_id(client)
    uploaded = await client.purchase_invoices.upload(invoice_id, b"%PDF-1", filename=name)
    assert part_headers == [
        {
            "Content-Type": "application/octet-stream",
            "Content-Disposition": f'form-data; name="file"; filename="{name}"',
        }
    ]
    assert (uploaded.name, uploaded.size, uploaded.checksum) == (name, 6, sha256_b64(b"%PDF-1"))
    assert fake.uploads[invoice_id][0]["name"] == name


@pytest.mark.parametrize(
    "name", ["", "a\r\nContent-Type: text/html.pdf", "a\n.pdf", "a\r.pdf", "a\x00.pdf",
             "a\x7f.pdf", 'a".pdf', "a\\b.pdf", "dir/a.pdf", "caf\udce9.pdf"],
)  # fmt: skip
async def test_a_file_name_that_would_break_the_header_sends_nothing(
    client: BouwsoftClient, fake: FakeBouwsoft, name: str
) -> None:
    invoice_id = await new_invoice_id(client)
    before = len(fake.requests)
    with pytest.raises(ValidationError) as error:
        await client.purchase_invoices.replace_upload(invoice_id, b"x", filename=name)
    assert error.value.field == "filename"
    assert len(fake.requests) == before


@pytest.mark.parametrize("content", [b"", b"%PDF-1.7\r\n" + bytes(range(256))])
async def test_every_kind_of_source_uploads_the_same_file(
    client: BouwsoftClient, fake: FakeBouwsoft, tmp_path: Path, content: bytes
) -> None:
    invoice_id = await new_invoice_id(client)
    path = tmp_path / "scan é.pdf"
    path.write_bytes(content)
    with open_binary(path) as opened, open_binary(os.fsencode(path)) as opened_by_bytes:
        sources: list[tuple[Any, str | None]] = [
            (path, None), (str(path), None), (opened, None), (opened_by_bytes, None),
            (content, "scan é.pdf"), (bytearray(content), "scan é.pdf"),
            (memoryview(content), "scan é.pdf"), (io.BytesIO(content), "scan é.pdf"),
        ]  # fmt: skip
        for source, filename in sources:
            uploaded = await client.purchase_invoices.upload(invoice_id, source, filename=filename)
            assert (uploaded.name, uploaded.size) == ("scan é.pdf", len(content))
            assert uploaded.checksum == sha256_b64(content)
    assert [f["content"] for f in fake.uploads[invoice_id]] == [content] * len(sources)


async def test_a_refused_file_object_is_left_unread_for_the_next_try(
    client: BouwsoftClient, fake: FakeBouwsoft, tmp_path: Path
) -> None:
    invoice_id = await new_invoice_id(client)
    path = tmp_path / "scan.pdf"
    path.write_bytes(b"%PDF")
    before = len(fake.requests)
    # a file opened from a descriptor is named by its number: 7 is no file name
    with open_binary(os.open(path, os.O_RDONLY)) as by_descriptor:
        with pytest.raises(ValidationError, match="filename="):
            await client.purchase_invoices.upload(invoice_id, by_descriptor)
        with pytest.raises(ValidationError, match="quotes"):
            await client.purchase_invoices.upload(invoice_id, by_descriptor, filename='"s".pdf')
        assert len(fake.requests) == before
        uploaded = await client.purchase_invoices.upload(
            invoice_id, by_descriptor, filename="scan.pdf"
        )
    assert (uploaded.name, uploaded.size) == ("scan.pdf", 4)


async def test_a_scan_over_a_mebibyte_uploads(client: BouwsoftClient, fake: FakeBouwsoft) -> None:
    # aiohttp warns (ResourceWarning) about a bytes part over 1 MiB, and under warnings-as-errors
    # (pytest's filterwarnings = error, python -W error) every upload of a real scan raised
    # TypeError: "Can not serialize value type: <class 'bytes'>", nothing sent
    invoice_id = await new_invoice_id(client)
    content = b"%PDF-1.7\r\n" + bytes(range(256)) * 12288  # 3 MiB
    fake.add_fault(status=503, method="PUT", path_contains="/Upload")  # the PUT's body twice
    uploaded = await client.purchase_invoices.upload(invoice_id, content, filename="scan.pdf")
    replaced = await client.purchase_invoices.replace_upload(
        invoice_id, content[::-1], filename="scan-v2.pdf"
    )
    assert (uploaded.size, uploaded.checksum) == (len(content), sha256_b64(content))
    assert replaced.checksum == sha256_b64(content[::-1])
    assert [f["content"] for f in fake.uploads[invoice_id]] == [content[::-1]]
