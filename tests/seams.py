"""What several test modules use to reach the client through its public seams."""

from __future__ import annotations

import asyncio

from bouwsoft_async import AiohttpTransport, Request, Response
from bouwsoft_async.testing import FakeBouwsoft


class HeldPosts:
    """The real transport (the public seam), each POST held on its way until ``release`` is
    set; ``posted`` is set when one is held."""

    def __init__(self) -> None:
        self.inner = AiohttpTransport()
        self.release = asyncio.Event()
        self.posted = asyncio.Event()

    async def send(self, request: Request) -> Response:
        if request.method == "POST":
            self.posted.set()
            await self.release.wait()
        return await self.inner.send(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def command_env(fake: FakeBouwsoft) -> dict[str, str]:
    """The environment that points the ``bouwsoft`` command at ``fake`` with a fixed token."""
    return {
        "BOUWSOFT_CLIENTNR": str(fake.client_nr),
        "BOUWSOFT_ACCESS_TOKEN": "fake-access-token",
        "BOUWSOFT_BASE_URL": fake.url,
    }
