from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Iterator
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from aioresponses import core as aioresponses_core

from bouwsoft_async import BouwsoftClient, set_instant_retries
from bouwsoft_async.testing import FakeBouwsoft


class _CompatibleResponse(aiohttp.ClientResponse):
    """aioresponses 0.7.9 builds responses without the ``stream_writer`` aiohttp 3.14 requires."""

    def __init__(self, method: str, url: Any, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", SimpleNamespace(output_size=0))
        super().__init__(method, url, **kwargs)


@pytest.fixture(autouse=True, scope="session")
def aioresponses_on_any_aiohttp() -> Iterator[None]:
    """One patch for every ``aioresponses()`` in the suite, only where aiohttp needs it."""
    with pytest.MonkeyPatch.context() as patch:
        if "stream_writer" in inspect.signature(aiohttp.ClientResponse.__init__).parameters:
            patch.setattr(aioresponses_core, "ClientResponse", _CompatibleResponse)
        yield


@pytest.fixture(autouse=True)
def instant_retries() -> Iterator[None]:
    """Retries keep their count and their rules but never sleep in tests."""
    set_instant_retries(True)
    yield
    set_instant_retries(False)


# The write side's tests run against the fake and the strict fake (issue 12); a test file with a
# fake of its own (another size, no strict twin) defines its own ``fake``/``client``.
@pytest.fixture(params=[False, True], ids=["fake", "strict-fake"])
async def fake(request: pytest.FixtureRequest) -> AsyncIterator[FakeBouwsoft]:
    async with FakeBouwsoft(sales_invoices=10, strict=request.param) as server:
        yield server


@pytest.fixture
async def client(fake: FakeBouwsoft) -> AsyncIterator[BouwsoftClient]:
    async with fake.client() as c:
        yield c


# every spelling of an empty list the server may answer: a count of 0, a look-up finding nothing
@pytest.fixture(
    params=[
        b'{"Content-Range":"*/0","Records":[]}',
        b'{"Content-Range":"0-0/0","Records":[]}',
        b'{"Content-Range":"0--1/0","Records":[]}',
        b'{"Records":[]}',
    ]
)
def empty(request: pytest.FixtureRequest) -> bytes:
    return request.param  # type: ignore[no-any-return]
