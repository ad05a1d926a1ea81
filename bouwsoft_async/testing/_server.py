"""What every fake server shares: start and stop on 127.0.0.1, a request log, injected faults."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar, Self
from urllib.parse import parse_qsl

import attrs
import orjson
from aiohttp import web

__all__ = ["FakeServer", "Fault", "RecordedRequest", "Refusal", "json_answer"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@attrs.frozen(kw_only=True)
class RecordedRequest:
    """A request as the fake received it."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str] = attrs.field(repr=False)
    raw_query: str = ""  # the query string exactly as it came on the request line


@attrs.define(kw_only=True)
class Fault:
    """A misbehaviour for the next ``times`` requests that match ``method`` and ``path_contains``.

    ``status=None`` drops the connection without an answer. ``after_handling=True`` lets the
    request take effect first (a write that is applied, then lost on the way back). ``skip``
    lets that many matching requests through untouched before the fault starts.

    Transport-level faults: ``hang=True`` answers nothing until the fake stops (a hanging
    server; with ``body_size`` it hangs after sending the headers and the first ``hang_after``
    bytes of the body, mid-read); ``body_size`` streams that many bytes of ``body`` repeated
    (``chunked=True``: without a Content-Length); ``raw`` writes those bytes as the whole
    answer, status line and headers included (a malformed answer); ``echo=True`` answers
    ``status`` with an HTML page that quotes the request's body and query string (a server
    that echoes what it was sent).
    """

    status: int | None = None
    body: bytes = b""
    headers: Mapping[str, str] = attrs.field(factory=dict)
    method: str | None = None
    path_contains: str | None = None
    times: int = 1
    after_handling: bool = False
    delay: float = 0.0
    skip: int = 0
    hang: bool = False
    hang_after: int = 0
    body_size: int | None = None
    chunked: bool = False
    raw: bytes | None = None
    echo: bool = False
    # set when the fault is applied (a hanging one: when it starts to hang), for tests to wait on
    reached: asyncio.Event = attrs.field(factory=asyncio.Event, repr=False)

    def matches(self, request: web.Request) -> bool:
        return (
            self.times > 0
            and (self.method is None or self.method == request.method)
            and (self.path_contains is None or self.path_contains in request.path)
        )


class Refusal(Exception):
    """Raised by a handler: the fake answers ``status`` with ``{"Message": message}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _exact(value: Any) -> orjson.Fragment:
    if not isinstance(value, Decimal):
        raise TypeError(f"{type(value).__name__} is not JSON")
    return orjson.Fragment(str(value))


def json_answer(
    payload: Any, status: int = 200, *, decimal: Callable[[Any], Any] = _exact
) -> web.Response:
    """``payload`` as JSON; a Decimal as ``decimal`` writes it (a bare number: ``250.00``)."""
    body = orjson.dumps(payload, default=decimal)
    return web.Response(status=status, body=body, content_type="application/json")


# what RFC 3986 allows raw in a query: unreserved, sub-delims, ":@/?" and percent escapes
_STRICT_QUERY = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*")


def parse_query_strictly(raw: str) -> list[tuple[str, str]]:
    """The pairs of a raw query string, read as a server that only percent-decodes reads it.

    A ``+`` stays a ``+`` (it is not a space outside HTML forms); a character RFC 3986 does
    not allow raw, a broken escape or bytes that are not UTF-8 raise ValueError.
    """
    if not _STRICT_QUERY.fullmatch(raw):
        raise ValueError("the query is not valid percent-encoding")
    return parse_qsl(raw.replace("+", "%2B"), keep_blank_values=True, errors="strict")


def _utc_now() -> datetime:
    return datetime.now(UTC)


@attrs.define(kw_only=True, slots=False, eq=False)
class FakeServer:
    """An aiohttp.web app on 127.0.0.1 at a random port for the life of ``async with``.

    ``strict=True`` only percent-decodes queries (a ``+`` is a plus sign, never a space) and
    answers 400 to one that is not valid RFC 3986 percent-encoding.
    """

    base_path: ClassVar[str] = ""

    strict: bool = False
    clock: Callable[[], datetime] = _utc_now  # now, as the fake judges its tokens
    requests: list[RecordedRequest] = attrs.field(init=False, factory=list, repr=False)
    faults: list[Fault] = attrs.field(init=False, factory=list, repr=False)
    tokens_issued: int = attrs.field(init=False, default=0)
    port: int = attrs.field(init=False, default=0)
    # token: until when (None: always)
    _valid_tokens: dict[str, datetime | None] = attrs.field(init=False, factory=dict, repr=False)
    _runner: web.AppRunner | None = attrs.field(init=False, default=None, repr=False)
    _stopping: asyncio.Event = attrs.field(init=False, factory=asyncio.Event, repr=False)

    def build_app(self) -> web.Application:
        raise NotImplementedError

    @property
    def url(self) -> str:
        """The base URL, ``http://127.0.0.1:<port>`` and the API's path."""
        if not self.port:
            raise RuntimeError("the fake server is not running")
        return f"http://127.0.0.1:{self.port}{self.base_path}"

    def expire_tokens(self) -> None:
        """Make every token issued so far stop working (a revocation, or their end passed)."""
        self._valid_tokens.clear()

    def issue_token(self, valid_until: datetime | None) -> str:
        token = secrets.token_urlsafe(24)
        self._valid_tokens[token] = valid_until
        self.tokens_issued += 1
        return token

    def token_works(self, token: str) -> bool:
        if token not in self._valid_tokens:
            return False
        valid_until = self._valid_tokens[token]
        return valid_until is None or self.clock() < valid_until

    def add_fault(self, **kwargs: Any) -> Fault:
        """Queue a Fault (see its fields); returns it so a test can check ``times`` left."""
        fault = Fault(**kwargs)
        self.faults.append(fault)
        return fault

    def requests_to(self, method: str, path_contains: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method and path_contains in r.path]

    @web.middleware
    async def _record_and_misbehave(
        self, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        raw_query = request.rel_url.raw_query_string
        bad_query = None
        if self.strict:
            try:
                pairs = parse_query_strictly(raw_query)
            except ValueError as exc:
                bad_query = str(exc)
            else:
                # every handler reads request.query: give them the strict reading
                request = request.clone(rel_url=request.rel_url.with_query(pairs))
        self.requests.append(
            RecordedRequest(
                method=request.method,
                path=request.path,
                query=dict(request.query),
                headers=dict(request.headers),
                raw_query=raw_query,
            )
        )
        if bad_query is not None:
            return json_answer({"Message": f"Bad query string: {bad_query}"}, status=400)
        fault = next((f for f in self.faults if f.matches(request)), None)
        if fault is not None and fault.skip > 0:
            fault.skip -= 1
            fault = None
        if fault is None:
            return await handler(request)
        fault.times -= 1
        if not fault.hang:
            fault.reached.set()
        if fault.after_handling:
            await handler(request)
        await asyncio.sleep(fault.delay)
        if fault.body_size is not None:
            return await self._stream(request, fault)
        if fault.hang:
            fault.reached.set()
            await self._stopping.wait()
        elif fault.echo:
            echoed = (await request.read()) + b" ? " + raw_query.encode()
            body = b"<html><body><pre>You sent: " + echoed + b"</pre></body></html>"
            return web.Response(status=fault.status or 400, body=body, content_type="text/html")
        elif fault.status is not None and fault.raw is None:
            return web.Response(status=fault.status, body=fault.body, headers=dict(fault.headers))
        # no answer, or a malformed one: the client is gone, answer nothing more on this connection
        transport = request.transport
        if transport is not None:  # None: the client left while the answer hung
            if fault.raw is not None:
                transport.write(fault.raw)
                transport.close()
            else:
                transport.abort()
        raise asyncio.CancelledError

    async def _stream(self, request: web.Request, fault: Fault) -> web.StreamResponse:
        assert fault.body_size is not None
        response = web.StreamResponse(status=fault.status or 200, headers=dict(fault.headers))
        if not fault.chunked:
            response.content_length = fault.body_size
        else:
            response.enable_chunked_encoding()
        await response.prepare(request)
        piece = (fault.body or b"x") * max(1, 65536 // max(1, len(fault.body or b"x")))
        sent = 0
        while sent < fault.body_size:
            if fault.hang and sent >= fault.hang_after:
                fault.reached.set()
                await self._stopping.wait()
                break
            chunk = piece[: fault.body_size - sent]
            await response.write(chunk)
            sent += len(chunk)
        if sent >= fault.body_size:
            await response.write_eof()
        return response

    async def start(self, port: int = 0) -> None:
        app = self.build_app()
        app.middlewares.insert(0, self._record_and_misbehave)
        # a stopped fake cuts the answers still in flight (a modelled latency, a slow hook), as a
        # server that goes down; aiohttp waits up to 60 s for them (0 would wait without end)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=0.001
        )
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        self._stopping.set()  # hanging answers end (without an answer)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()
