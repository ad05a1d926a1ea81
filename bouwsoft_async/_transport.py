"""The transport seam: one request in, one fully read response out.

This is the only module that touches aiohttp's client API, and the only place aiohttp's
exceptions are mapped to ours. It knows nothing of authentication, retries or any API's rules.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Protocol

import aiohttp
import attrs
import yarl

from ._errors import ConnectError, TransportError
from ._protocol import path_of, url_with_query

__all__ = ["AiohttpTransport", "Request", "Response", "Transport"]


@attrs.frozen(kw_only=True)
class Request:
    """One HTTP request. ``data`` is a body (bytes, a form, or multipart) or None.

    ``url`` has no query string; ``params`` are its query parameters, in order.
    """

    method: str
    url: str
    params: Mapping[str, str] | None = None
    headers: Mapping[str, str] = attrs.field(factory=dict, repr=False)
    data: bytes | aiohttp.FormData | None = attrs.field(default=None, repr=False)

    def wire_url(self) -> str:
        """The URL exactly as it goes on the wire, the query RFC 3986 percent-encoded."""
        return url_with_query(self.url, self.params)


@attrs.frozen(kw_only=True)
class Response:
    """A fully read HTTP response."""

    status: int
    headers: Mapping[str, str] = attrs.field(repr=False)
    body: bytes = attrs.field(repr=False)

    def text(self) -> str:
        """The body as text, in the charset the server declared (UTF-8 if none)."""
        content_type = self.headers.get("Content-Type", "")
        charset = "utf-8"
        for part in content_type.split(";")[1:]:
            name, _, value = part.strip().partition("=")
            if name.lower() == "charset" and value:
                charset = value.strip('"')
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


class Transport(Protocol):
    """Sends a request and returns the whole response; raises only TransportError."""

    async def send(self, request: Request) -> Response: ...

    async def aclose(self) -> None: ...


class AiohttpTransport:
    """The aiohttp transport: one connection pool, at most ``max_concurrency`` requests in flight.

    An injected session is used as it is and never closed here; otherwise the transport creates
    one on first use and closes it in ``aclose()``.
    """

    def __init__(
        self,
        *,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 60.0,
        connect_timeout: float = 10.0,
        max_concurrency: int = 8,
    ) -> None:
        self._session = session
        self._owns_session = session is None
        self._timeout = aiohttp.ClientTimeout(
            total=timeout, sock_connect=min(connect_timeout, timeout)
        )
        self._max_concurrency = max_concurrency
        self._slots = asyncio.Semaphore(max_concurrency)
        self._closed = False

    def _session_for_request(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("this client is closed")
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._max_concurrency)
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session

    async def send(self, request: Request) -> Response:
        session = self._session_for_request()
        path = path_of(request.url)
        async with self._slots:
            try:
                async with session.request(
                    request.method,
                    # encoded=True: the query is already encoded; yarl must not re-encode it
                    yarl.URL(request.wire_url(), encoded=True),
                    headers=dict(request.headers),
                    data=request.data,
                    timeout=self._timeout,
                    allow_redirects=False,
                ) as response:
                    body = await response.read()
                    return Response(status=response.status, headers=response.headers, body=body)
            except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
                raise ConnectError(
                    f"could not connect: {type(exc).__name__}", method=request.method, path=path
                ) from exc
            except aiohttp.ClientPayloadError as exc:
                raise TransportError(
                    "the response body was cut short", method=request.method, path=path
                ) from exc
            except TimeoutError as exc:
                raise TransportError(
                    "timed out waiting for the server", method=request.method, path=path
                ) from exc
            except aiohttp.ClientError as exc:
                raise TransportError(
                    f"connection failed: {type(exc).__name__}", method=request.method, path=path
                ) from exc

    async def aclose(self) -> None:
        self._closed = True
        if self._owns_session and self._session is not None:
            await self._session.close()
        self._session = None
