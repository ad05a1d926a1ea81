"""The transport seam: one request in, one fully read response out.

The only module that touches aiohttp's client API and maps its exceptions to ours.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from typing import Protocol
from urllib.parse import urlsplit

import aiohttp
import attrs
import yarl

from ._errors import (
    BouwsoftError,
    ClientClosedError,
    ConnectError,
    ResponseTooLargeError,
    TransportError,
)
from ._protocol import charset_of, encode_query, path_of

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "AiohttpTransport",
    "Request",
    "Response",
    "Transport",
]


# a request body; a form or multipart writer is consumed when sent, so a retry needs a new one
Body = bytes | aiohttp.FormData | aiohttp.MultipartWriter


# dict classes, one of each per attempt: attrs fills a frozen one's __dict__ directly
@attrs.frozen(kw_only=True, slots=False)
class Request:
    """One HTTP request: ``url`` without a query string, ``params`` its query, in order."""

    method: str
    url: str
    params: Mapping[str, str] | None = None
    headers: Mapping[str, str] = attrs.field(factory=dict, repr=False)
    data: Body | None = attrs.field(default=None, repr=False)

    def wire_url(self) -> str:
        """The URL exactly as it goes on the wire, the query RFC 3986 percent-encoded."""
        return f"{self.url}?{encode_query(self.params)}" if self.params else self.url


@attrs.frozen(kw_only=True, slots=False)
class Response:
    """A fully read HTTP response."""

    status: int
    headers: Mapping[str, str] = attrs.field(repr=False)
    body: bytes = attrs.field(repr=False)

    def text(self) -> str:
        """The body as text, in the charset the server declared (UTF-8 if none)."""
        charset = charset_of(self.headers.get("Content-Type")) or "utf-8"
        try:
            return self.body.decode(charset, errors="replace")
        except (LookupError, UnicodeError):  # unknown, or a codec that decodes no text
            return self.body.decode("utf-8", errors="replace")


class Transport(Protocol):
    """Sends a request, returns the whole response, raises TransportError (see the README)."""

    async def send(self, request: Request) -> Response: ...

    async def aclose(self) -> None: ...


# generous: a page of 10,000 invoices is about 28 MB; an answer past this is not read whole
DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024 * 1024
_CHUNK = 256 * 1024


class AiohttpTransport:
    """The aiohttp transport: one connection pool of at most ``max_concurrency`` connections.

    An injected session is used as it is and never closed here; otherwise the transport creates
    one on first use and closes it in ``aclose()``. The requests in flight are bounded by the
    client's core, whatever the transport.
    """

    def __init__(
        self,
        *,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 60.0,
        connect_timeout: float = 10.0,
        max_concurrency: int = 8,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        self._session = session
        self._owns_session = session is None
        self._timeout = aiohttp.ClientTimeout(
            total=timeout, sock_connect=min(connect_timeout, timeout)
        )
        self._max_concurrency = max_concurrency
        self._max_response_bytes = max_response_bytes
        self._closed = False

    async def send(self, request: Request) -> Response:
        if self._closed:
            raise ClientClosedError("this client is closed")
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._max_concurrency)
            self._session = aiohttp.ClientSession(connector=connector)
        failure: BouwsoftError | None = None
        status: int | None = None  # known once the answer's head came
        try:
            async with self._session.request(
                request.method,
                # encoded=True: the query is already encoded; yarl must not re-encode it
                yarl.URL(request.wire_url(), encoded=True),
                headers=request.headers,
                data=request.data,
                timeout=self._timeout,
                allow_redirects=False,
            ) as response:
                status = response.status
                body = await self._read(response, request)
                return Response(status=response.status, headers=response.headers, body=body)
        except (aiohttp.ClientError, TimeoutError) as exc:
            failure = _transport_error(exc, request, status)
        # raised here, outside the except block: aiohttp's exceptions keep the request's
        # headers (the AccessToken), so none may be chained to ours, not even as __context__
        raise failure

    async def _read(self, response: aiohttp.ClientResponse, request: Request) -> bytes:
        limit = self._max_response_bytes
        length = response.content_length
        # a compressed body's length counts its bytes before aiohttp inflates them
        inflated = "Content-Encoding" in response.headers
        if length is not None and length <= limit and not inflated:
            return await response.read()
        chunks: list[bytes] = []
        # a declared length over the limit stops at once
        size = length if length is not None and length > limit else 0
        while size <= limit:
            chunk = await response.content.read(_CHUNK)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            chunks.append(chunk)
        raise ResponseTooLargeError(
            f"the answer to {request.method} {path_of(request.url)} (HTTP {response.status}) "
            f"is larger than max_response_bytes={limit}",
            limit=limit,
            status=response.status,
        )

    async def aclose(self) -> None:
        self._closed = True
        if self._owns_session and self._session is not None:
            await self._session.close()
        self._session = None


def _transport_error(exc: BaseException, request: Request, status: int | None) -> TransportError:
    """Our exception for one of aiohttp's, with what helps (host, port, reason, the status of
    an answer whose body did not come) and no secret: nothing of the request's headers or query
    string goes into it."""
    method, path = request.method, path_of(request.url)
    if isinstance(exc, (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)):
        reason = (
            _reason(exc.os_error)
            if isinstance(exc, aiohttp.ClientConnectorError)
            else "timed out connecting"
        )
        url = urlsplit(request.url)
        host = f"[{url.hostname}]" if ":" in (url.hostname or "") else url.hostname
        where = f"{host}:{url.port}" if url.port else host
        return ConnectError(f"could not connect to {where}: {reason}", method=method, path=path)
    if isinstance(exc, aiohttp.ClientPayloadError):
        return TransportError(
            "the response body was cut short", method=method, path=path, status=status
        )
    if isinstance(exc, TimeoutError):
        return TransportError(
            "timed out waiting for the server", method=method, path=path, status=status
        )
    if isinstance(exc, aiohttp.ClientResponseError):
        # e.g. a malformed status line or header (Content-Length: not-a-number): the message
        # holds no URL or header value, only the status aiohttp read
        return TransportError(
            f"the server's answer could not be read ({type(exc).__name__}, status {exc.status})",
            method=method,
            path=path,
        )
    return TransportError(
        f"connection failed: {type(exc).__name__}", method=method, path=path, status=status
    )


def _reason(error: OSError) -> str:
    """``Connection refused``, ``Name or service not known``: the words of the OS."""
    if isinstance(error, socket.gaierror) or not error.errno or error.errno < 0:
        return error.strerror or str(error) or type(error).__name__
    return os.strerror(error.errno)
