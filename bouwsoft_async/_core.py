"""The session wrapper every API client drives: authentication, retries, error mapping, lifecycle.

One ``Core`` wraps one transport for one API. What differs between APIs (how to authenticate,
which query parameters every call carries, how an error body reads) is an ``ApiProfile``; what
is the same (when to retry, when a write's outcome is unknown, how a status becomes an
exception, the deadline of a call, closing) is here, once.

A call runs in this order: credentials are fetched first, outside any retried attempt (a token
fetch is its own request with its own retries, shared by every caller waiting for it); then the
attempt (one request, its answer mapped) runs through the single retry path of ``_retry``; a
401 drops the credentials and runs that once more with fresh ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Final, Protocol, TypeVar

import aiohttp
import attrs
from multidict import CIMultiDict

from ._errors import (
    APIError,
    AuthenticationError,
    ClientClosedError,
    ConnectError,
    DeadlineExceeded,
    DecodeError,
    RateLimitError,
    ServerError,
    TransportError,
    ValidationError,
    WriteOutcomeUnknown,
)
from ._protocol import json_as_utf8, parse_retry_after, path_of, resource_url
from ._retry import RetryPolicy, call_with_retries
from ._transport import (
    DEFAULT_MAX_RESPONSE_BYTES,
    AiohttpTransport,
    Body,
    Request,
    Response,
    Transport,
)

__all__ = [
    "UNSET",
    "ApiProfile",
    "ClientBase",
    "Core",
    "Credentials",
    "Unset",
    "build_core",
]

T = TypeVar("T")

# proxies in front of the servers answer these for a request they did not pass on (or may have)
_RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
# a POST is only sent again when the answer proves it was not processed
_NOT_PROCESSED_STATUSES = frozenset({429, 503})
# gateway failures after a write was forwarded leave its outcome open
_OUTCOME_OPEN_STATUSES = frozenset({502, 504})


class Unset(enum.Enum):
    """The type of ``UNSET``: an option the caller did not give (apart from None)."""

    UNSET = enum.auto()


UNSET: Final = Unset.UNSET


@attrs.frozen(kw_only=True)
class Credentials:
    """Where to send a request and the headers that authenticate it."""

    base_url: str
    headers: Mapping[str, str] = attrs.field(repr=False)


class ApiProfile(Protocol):
    """What one API needs from the core: credentials, its common parameters, its error format."""

    async def credentials(self, core: Core) -> Credentials: ...

    def unauthorized(self, used: Credentials) -> bool:
        """Forget credentials a server rejected; True if fresh ones may be fetched."""
        ...

    def secrets(self) -> Iterable[str]: ...

    def common_params(self) -> Mapping[str, str]: ...

    def error_for(
        self, response: Response, *, method: str, path: str, retry_after: float | None
    ) -> APIError: ...

    async def aclose(self) -> None: ...


def _now() -> datetime:
    return datetime.now(UTC)


@attrs.define
class _Call:
    """One logical call: what to send, and whether a write of it is on the wire right now."""

    method: str
    target: str | Sequence[str | int]
    params: Mapping[str, str] | None
    data: Body | Callable[[], Body] | None
    idempotent: bool
    authenticate: bool
    extra_headers: Mapping[str, str] | None
    sent: Mapping[str, Any] | None
    in_flight: bool = False

    def describe(self) -> str:
        target = self.target
        return path_of(target) if isinstance(target, str) else "/" + "/".join(map(str, target))

    def outcome_unknown(self, why: str) -> WriteOutcomeUnknown:
        return WriteOutcomeUnknown(
            f"{why} while the write was on its way; it may or may not have been applied",
            method=self.method,
            path=self.describe(),
            sent=self.sent,
        )


class Core:
    """Sends requests for one API through one transport with its retry policy."""

    def __init__(self, *, transport: Transport, profile: ApiProfile, policy: RetryPolicy) -> None:
        self.transport = transport
        self.profile = profile
        self.policy = policy
        self._closed = False
        # the tasks inside a call (with how deep), and those aclose() cancelled
        self._running: dict[asyncio.Task[Any], int] = {}
        self._closing: set[asyncio.Task[Any]] = set()

    @property
    def closed(self) -> bool:
        return self._closed

    async def request(
        self,
        method: str,
        target: str | Sequence[str | int],
        *,
        params: Mapping[str, str] | None = None,
        data: Body | Callable[[], Body] | None = None,
        idempotent: bool,
        authenticate: bool = True,
        extra_headers: Mapping[str, str] | None = None,
        sent: Mapping[str, Any] | None = None,
        retry: bool = True,
        deadline: float | None = None,
    ) -> Response:
        """Send one logical request and return its 2xx response; raise the mapped error.

        ``target`` is an absolute URL or path segments under the API's base URL. An idempotent
        request is retried on network errors, timeouts, 429 and 502/503/504. A request that is
        not (a POST) is retried only when it surely was not processed: no connection, 429 or
        503; when it may have been, WriteOutcomeUnknown carries ``sent`` to the caller.
        A 401 gets fresh credentials and one more try, once.

        ``retry=False`` sends ONE attempt (the 401 renewal aside) and raises its failure as it
        is: for a caller that drives its own attempt through ``retrying`` (e.g. a create that
        looks itself up before sending again) without multiplying retry budgets.
        ``deadline`` overrides the policy's total deadline for this call.
        """
        call = _Call(
            method=method,
            target=target,
            params=params,
            data=data,
            idempotent=idempotent,
            authenticate=authenticate,
            extra_headers=extra_headers,
            sent=sent,
        )

        async def run() -> Response:
            credentials = await self._credentials(call)
            for renewed in (False, True):
                try:
                    return await self._attempts(call, credentials, retry=retry)
                except AuthenticationError:
                    if renewed or credentials is None or not self.profile.unauthorized(credentials):
                        raise
                credentials = await self._credentials(call)
            raise AssertionError("unreachable")  # pragma: no cover

        return await self._guarded(run, call, deadline)

    async def retrying(
        self,
        attempt: Callable[[], Awaitable[T]],
        *,
        idempotent: bool,
        description: str,
        also_retry: Callable[[BaseException], bool] | None = None,
        deadline: float | None = None,
    ) -> T:
        """Run a caller's own ``attempt`` (built on ``request(..., retry=False)``) through the
        single retry path: retried when the core's rule for an (non-)idempotent request says
        so, or when ``also_retry`` does, within the policy's one budget and deadline."""

        def should_retry(exc: BaseException) -> bool:
            return self.should_retry(exc, idempotent=idempotent) or bool(
                also_retry is not None and also_retry(exc)
            )

        call = _Call(
            method=description.partition(" ")[0],
            target=description.partition(" ")[2],
            params=None,
            data=None,
            idempotent=True,  # the attempts report their own unknown outcomes
            authenticate=False,
            extra_headers=None,
            sent=None,
        )
        return await self._guarded(
            lambda: call_with_retries(
                attempt, policy=self.policy, should_retry=should_retry, description=description
            ),
            call,
            deadline,
        )

    def should_retry(self, exc: BaseException, *, idempotent: bool) -> bool:
        """The one rule: may a request that failed with ``exc`` be sent again?"""
        if isinstance(exc, WriteOutcomeUnknown):
            return False
        if isinstance(exc, ConnectError):
            return True
        if isinstance(exc, TransportError):
            return idempotent
        if isinstance(exc, (RateLimitError, ServerError)):
            allowed = _RETRYABLE_STATUSES if idempotent else _NOT_PROCESSED_STATUSES
            return exc.status in allowed
        return False

    async def _guarded(
        self, run: Callable[[], Awaitable[T]], call: _Call, deadline: float | None
    ) -> T:
        """``run()`` under the call's deadline, ended by ``aclose()`` with a typed error."""
        if self._closed:
            raise ClientClosedError("this client is closed")
        task = asyncio.current_task()
        if task is not None:
            self._running[task] = self._running.get(task, 0) + 1
        limit = deadline if deadline is not None else self.policy.deadline
        closed_error: BaseException | None = None
        try:
            if limit is None:
                return await run()
            deadline_timer = asyncio.timeout(limit)
            try:
                async with deadline_timer:
                    return await run()
            except TimeoutError:
                if not deadline_timer.expired():
                    raise  # not ours (a transport of the user's raised it)
                if not call.idempotent and call.in_flight:
                    raise call.outcome_unknown(
                        f"the call's deadline of {limit:g} s ran out"
                    ) from None
                raise DeadlineExceeded(
                    f"no answer within the call's deadline of {limit:g} s",
                    method=call.method,
                    path=call.describe(),
                ) from None
        except asyncio.CancelledError:
            if task is None or task not in self._closing:
                raise
            self._closing.discard(task)
            if task.uncancel() > 0:
                raise  # the caller cancelled too
            closed_error = (
                call.outcome_unknown("the client was closed")
                if not call.idempotent and call.in_flight
                else ClientClosedError(
                    f"the client was closed during this call ({call.method} {call.describe()})"
                )
            )
        finally:
            if task is not None:
                depth = self._running.pop(task, 1) - 1
                if depth > 0:
                    self._running[task] = depth
        # raised outside the except block: no chained CancelledError
        assert closed_error is not None
        raise closed_error

    async def _credentials(self, call: _Call) -> Credentials | None:
        if not call.authenticate:
            return None
        return await self.profile.credentials(self)

    async def _attempts(
        self, call: _Call, credentials: Credentials | None, *, retry: bool
    ) -> Response:
        if not retry:
            return await self._attempt(call, credentials)
        return await call_with_retries(
            lambda: self._attempt(call, credentials),
            policy=self.policy,
            should_retry=lambda exc: self.should_retry(exc, idempotent=call.idempotent),
            description=f"{call.method} {call.describe()}",
        )

    async def _attempt(self, call: _Call, credentials: Credentials | None) -> Response:
        """One request and its answer: the 2xx response, or the mapped exception."""
        if isinstance(call.target, str):
            url = call.target
        else:
            assert credentials is not None, "path targets need credentials"
            url = resource_url(credentials.base_url, *call.target)
        common = self.profile.common_params()
        params = {**common, **call.params} if common and call.params else call.params or common
        headers = credentials.headers if credentials is not None else {}
        if call.extra_headers:
            headers = {**headers, **call.extra_headers}
        # a body given as a function is built afresh for every attempt (a form is single-use)
        data = call.data
        if data is not None and not isinstance(data, Body):
            data = data()
        request = Request(
            method=call.method, url=url, params=params or None, headers=headers, data=data
        )
        call.in_flight = True
        try:
            response = await self.transport.send(request)
        except ConnectError:
            call.in_flight = False
            raise
        except TransportError as exc:
            call.in_flight = False
            if call.idempotent:
                raise
            raise WriteOutcomeUnknown(
                f"no answer after the write was sent ({exc}); it may or may not have been applied",
                method=exc.method,
                path=exc.path,
                sent=call.sent,
            ) from exc
        # not in a finally: a cancellation (aclose, the deadline) leaves the write on its way
        call.in_flight = False
        status = response.status
        if 200 <= status < 300:
            return _with_utf8_json(response)
        # an error body in its declared charset too; unreadable text does not hide the status
        with contextlib.suppress(DecodeError):
            response = _with_utf8_json(response)
        error = self.profile.error_for(
            response,
            method=call.method,
            path=path_of(url),
            retry_after=parse_retry_after(response.headers.get("Retry-After"), now=_now()),
        )
        if not call.idempotent and status in _OUTCOME_OPEN_STATUSES:
            raise WriteOutcomeUnknown(
                f"the gateway answered {status} after the write was sent",
                method=call.method,
                path=path_of(url),
                sent=call.sent,
            ) from error
        raise error

    def secrets(self) -> list[str]:
        """Every secret the profile holds, for redaction."""
        return [secret for secret in self.profile.secrets() if secret]

    async def aclose(self) -> None:
        """End every running call with ClientClosedError, then close the transport."""
        self._closed = True
        current = asyncio.current_task()
        for task in list(self._running):
            if task is not current and not task.done():
                self._closing.add(task)
                task.cancel()
        await self.profile.aclose()
        await self.transport.aclose()


def _with_utf8_json(response: Response) -> Response:
    content_type = response.headers.get("Content-Type")
    body = json_as_utf8(content_type, response.body)
    if body is response.body:
        return response
    headers = CIMultiDict(response.headers)
    headers["Content-Type"] = "application/json; charset=utf-8"
    return attrs.evolve(response, body=body, headers=headers)


def build_core(
    profile: ApiProfile,
    *,
    session: aiohttp.ClientSession | None,
    max_concurrency: int,
    timeout: float,
    max_retries: int | Unset,
    retry_policy: RetryPolicy | None,
    transport: Transport | None,
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
) -> Core:
    """Check a client's common options and assemble its transport and core."""
    if (
        isinstance(max_concurrency, bool)
        or not isinstance(max_concurrency, int)
        or max_concurrency < 1
    ):
        raise ValidationError("max_concurrency must be at least 1", field="max_concurrency")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValidationError("timeout must be a positive number of seconds", field="timeout")
    if (
        isinstance(max_response_bytes, bool)
        or not isinstance(max_response_bytes, int)
        or max_response_bytes < 1
    ):
        raise ValidationError(
            "max_response_bytes must be a positive number of bytes", field="max_response_bytes"
        )
    if retry_policy is not None and max_retries is not UNSET:
        raise ValidationError(
            "give max_retries or retry_policy, not both (RetryPolicy(max_retries=...) holds it)",
            field="max_retries",
        )
    if retry_policy is not None and not isinstance(retry_policy, RetryPolicy):
        raise ValidationError("retry_policy must be a RetryPolicy", field="retry_policy")
    retries = 3 if max_retries is UNSET else max_retries
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ValidationError("max_retries must be 0 or more", field="max_retries")
    if transport is not None and session is not None:
        raise ValidationError("give a session or a transport, not both", field="transport")
    return Core(
        transport=transport
        or AiohttpTransport(
            session=session,
            timeout=timeout,
            max_concurrency=max_concurrency,
            max_response_bytes=max_response_bytes,
        ),
        profile=profile,
        policy=retry_policy or RetryPolicy(max_retries=retries),
    )


ClientT = TypeVar("ClientT", bound="ClientBase")


class ClientBase:
    """The lifecycle every API client shares: ``async with`` closes what the client owns."""

    _core: Core

    async def aclose(self) -> None:
        """End every running call (ClientClosedError) and close the connection pool if the
        client owns it. Calls after this raise ClientClosedError."""
        await self._core.aclose()

    async def __aenter__(self: ClientT) -> ClientT:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
