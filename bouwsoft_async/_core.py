"""The session wrapper both API clients drive: credentials, retries, error mapping, closing.

What differs between the APIs (getting and sending a token, common query parameters, the error
body) is an ``ApiProfile``; the rest is here, once. A call fetches its credentials first,
outside the retried attempt (one future per fetch, shared by every waiter); then its attempts
run through the one retry path of ``_retry``; a 401 drops the token and runs that once more.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Protocol, Self, TypedDict, TypeVar, cast

import aiohttp
import attrs
from multidict import CIMultiDict

from ._auth import Clock, Grant, SingleFlightToken, utc_now
from ._convert import try_decode_json
from ._errors import (
    APIError,
    AuthenticationError,
    BouwsoftError,
    ClientClosedError,
    ConnectError,
    DeadlineExceeded,
    DecodeError,
    RateLimitError,
    ResponseTooLargeError,
    ServerError,
    TransportError,
    ValidationError,
    WriteAppliedError,
    WriteOutcomeUnknown,
)
from ._protocol import (
    error_for_status,
    excerpt,
    json_as_utf8,
    parse_retry_after,
    path_of,
    redact,
    resource_url,
)
from ._retry import RetryPolicy, call_with_retries
from ._transport import (
    DEFAULT_MAX_RESPONSE_BYTES,
    AiohttpTransport,
    Body,
    Request,
    Response,
    Transport,
)

__all__ = ["ApiProfile", "ClientBase", "ClientOptions", "Core"]

T = TypeVar("T")

# proxies in front of the servers answer these for a request they did not pass on (or may have)
_RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
# a POST is only sent again when the answer proves it was not processed
_NOT_PROCESSED_STATUSES = frozenset({429, 503})
# gateway failures after a write was forwarded leave its outcome open
_OUTCOME_OPEN_STATUSES = frozenset({502, 504})


class ApiProfile(Protocol):
    """What differs between the APIs; the core does the rest."""

    fixed: Grant | None  # a token the user gave: never fetched, never renewed
    common_params: Mapping[str, str]  # sent with every request

    async def fetch_grant(self, core: Core) -> Grant: ...

    def secrets(self) -> list[str]:
        """The secrets the profile holds (tokens excepted), for redaction."""
        ...

    def error_details(self, payload: Any) -> tuple[str | None, int | None, str | None]:
        """The message, error id and request id of a parsed error body (None: not there)."""
        ...


def may_retry(exc: BaseException, *, idempotent: bool) -> bool:
    """The one rule: may a request that failed with ``exc`` be sent again?"""
    if isinstance(exc, WriteOutcomeUnknown):
        return False
    if isinstance(exc, ConnectError):
        return True
    if isinstance(exc, TransportError):
        return idempotent
    if isinstance(exc, (RateLimitError, ServerError)):
        return exc.status in (_RETRYABLE_STATUSES if idempotent else _NOT_PROCESSED_STATUSES)
    return False


@attrs.define
class _Call:
    """What the retries, the deadline and ``aclose()`` need to know of a running call."""

    method: str
    target: str | Sequence[str | int]  # the URL once it is known
    idempotent: bool = True
    sent: Mapping[str, Any] | None = None
    task: asyncio.Task[Any] | None = None  # the task it runs in

    def __str__(self) -> str:
        """The call in a retry's log line (worked out only when a retry is logged)."""
        return f"{self.method} {self.path}"

    @property
    def path(self) -> str:
        """The path for messages (never the query, which could carry data)."""
        target = self.target
        return path_of(target) if isinstance(target, str) else "/" + "/".join(map(str, target))

    def applied(self, status: int, why: str) -> WriteAppliedError:
        """A write whose 2xx answer came without its whole body."""
        return WriteAppliedError(
            why, method=self.method, path=self.path, status=status, body=b"", sent=self.sent
        )

    def outcome_unknown(self, why: str) -> WriteOutcomeUnknown:
        return WriteOutcomeUnknown(
            f"{why}; the write may or may not have been applied",
            method=self.method,
            path=self.path,
            sent=self.sent,
        )


def api_error(
    status: int,
    *,
    method: str,
    path: str,
    body: bytes,
    secrets: list[str],
    message: str | None,
    request_id: str | None,
    error_id: int | None = None,
    retry_after: float | None = None,
) -> APIError:
    """An error answer as its exception, every secret redacted and each text bounded."""
    return error_for_status(
        status,
        method=method,
        path=path,
        excerpt=excerpt(body, secrets),
        message=redact(message, secrets)[:200] if message else None,
        error_id=error_id,
        retry_after=retry_after,
        request_id=redact(request_id, secrets)[:120] if request_id else None,
    )


class Core:
    """Sends requests for one API through one transport with its retry policy."""

    def __init__(
        self,
        *,
        transport: Transport,
        profile: ApiProfile,
        policy: RetryPolicy,
        clock: Clock = utc_now,
        max_concurrency: int = 8,
    ) -> None:
        self.transport = transport
        self.profile = profile
        self.policy = policy
        self.tokens = SingleFlightToken(clock=clock)
        self._closed = False
        # the tasks inside a call, those aclose() cancelled, and the write each has on the wire
        self._running: set[asyncio.Task[Any]] = set()
        self._closing: set[asyncio.Task[Any]] = set()
        self._writing: dict[asyncio.Task[Any] | None, _Call] = {}
        # the one limit of requests on the wire at once, whatever the transport (a session of
        # the user's too): a write still waiting for a slot was surely not sent
        self._slots = asyncio.Semaphore(max_concurrency)

    async def request(
        self,
        method: str,
        target: str | Sequence[str | int],
        *,
        params: Mapping[str, str] | None = None,
        data: Body | Callable[[], Body] | None = None,
        idempotent: bool,
        extra_headers: Mapping[str, str] | None = None,
        sent: Mapping[str, Any] | None = None,
        retry: bool = True,
    ) -> Response:
        """Send one logical request and return its 2xx response; raise the mapped error.

        ``target``: path segments under the API's base URL, or a token endpoint's URL.
        ``retry=False`` sends ONE attempt, for a caller that drives its own through ``retrying``.
        """
        call = _Call(method, target, idempotent, sent)
        attempts = self._run(call, target, params, data, extra_headers, retry)
        return await self._guarded(attempts, call)

    async def _run(
        self,
        call: _Call,
        target: str | Sequence[str | int],
        params: Mapping[str, str] | None,
        data: Body | Callable[[], Body] | None,
        extra_headers: Mapping[str, str] | None,
        retry: bool,
    ) -> Response:
        """The call's attempts, once more after a 401 with a renewed token."""
        if common := self.profile.common_params:
            params = {**common, **(params or {})}
        for renewed in (False, True):
            grant: Grant | None = None
            headers = extra_headers or {}
            if isinstance(target, str):  # a token endpoint: no credentials
                call.target = target
            else:
                grant = self.profile.fixed or await self.tokens.get(
                    functools.partial(self.profile.fetch_grant, self)
                )
                call.target = resource_url(grant.base_url, *target)
                headers = {**grant.headers, **headers} if headers else grant.headers
            request = Request(method=call.method, url=call.target, params=params, headers=headers)
            try:
                try:  # the first try; only a failure builds the retries
                    return await self._attempt(call, request, data)
                except Exception as exc:
                    if not retry:
                        raise
                    failure = exc
                return await call_with_retries(
                    functools.partial(self._attempt, call, request, data),
                    policy=self.policy,
                    should_retry=functools.partial(may_retry, idempotent=call.idempotent),
                    description=call,
                    failure=failure,
                )
            except AuthenticationError:
                if renewed or grant is None or self.profile.fixed is not None:
                    raise
                self.tokens.invalidate(grant.token)
        raise AssertionError("unreachable")  # pragma: no cover

    async def retrying(
        self,
        attempt: Callable[[], Awaitable[T]],
        *,
        idempotent: bool,
        description: str,
        also_retry: Callable[[BaseException], bool] | None = None,
        started: float | None = None,
    ) -> T:
        """Run a caller's own ``attempt`` (built on ``request(..., retry=False)``) through the
        one retry path: retried when ``may_retry`` or ``also_retry`` says so, in one budget.
        ``started``: the loop time the caller's call began, which its deadline counts from."""
        method, _, target = description.partition(" ")
        retries = call_with_retries(
            attempt,
            policy=self.policy,
            should_retry=lambda exc: (
                may_retry(exc, idempotent=idempotent) or bool(also_retry and also_retry(exc))
            ),
            description=description,
        )
        # the attempts report their own unknown outcomes
        return await self._guarded(retries, _Call(method, target), started)

    async def _guarded(
        self, run: Coroutine[Any, Any, T], call: _Call, started: float | None = None
    ) -> T:
        """``run`` under the policy's deadline, ended by ``aclose()`` with a typed error."""
        if self._closed:
            run.close()
            raise ClientClosedError("this client is closed")
        task = call.task = asyncio.current_task()
        # the outermost call in a task tracks it (a caller's attempts in ``retrying`` are nested)
        tracked = task if task is not None and task not in self._running else None
        if tracked is not None:
            self._running.add(tracked)
        limit = self.policy.deadline
        error: BouwsoftError
        timer = None
        if limit is not None:
            timer = (
                asyncio.timeout(limit) if started is None else asyncio.timeout_at(started + limit)
            )
        try:
            if timer is None:
                return await run
            async with timer:
                return await run
        except TimeoutError:
            if timer is None or not timer.expired():
                raise  # not ours (a transport of the user's raised it)
            # the write on the wire may be a nested call's (a caller's attempt in ``retrying``)
            write = self._writing.pop(task, None)
            error = (
                write.outcome_unknown(f"the call's deadline of {limit:g} s ran out")
                if write
                else DeadlineExceeded(
                    f"no answer within the call's deadline of {limit:g} s",
                    method=call.method,
                    path=call.path,
                )
            )
        except asyncio.CancelledError:
            if task is None or task not in self._closing:
                raise
            self._closing.discard(task)
            if task.uncancel() > 0:
                raise  # the caller cancelled too
            write = self._writing.pop(task, None)
            error = (
                write.outcome_unknown("the client was closed while the write was on its way")
                if write
                else ClientClosedError(
                    f"the client was closed during this call ({call.method} {call.path})"
                )
            )
        finally:
            if tracked is not None:
                self._running.discard(tracked)
                self._writing.pop(tracked, None)  # one the caller's own cancellation left
        raise error  # outside the except blocks: nothing chained

    async def _attempt(
        self, call: _Call, request: Request, data: Body | Callable[[], Body] | None
    ) -> Response:
        """One request and its answer: the 2xx response, or the mapped exception."""
        # a body given as a function is built afresh for every attempt (a form is single-use)
        if data is not None:
            request = attrs.evolve(request, data=data if isinstance(data, Body) else data())
        await self._slots.acquire()
        if not call.idempotent:
            self._writing[call.task] = call
        try:
            response = await self.transport.send(request)
        except TransportError as exc:
            self._writing.pop(call.task, None)
            if call.idempotent or isinstance(exc, ConnectError):
                raise  # a write that never connected was surely not sent
            if exc.status is not None and 200 <= exc.status < 300:
                # the status line said the write was applied; only the body of its answer broke
                raise call.applied(exc.status, f"its answer was cut short ({exc})") from exc
            raise call.outcome_unknown(f"no answer after the write was sent ({exc})") from exc
        except ResponseTooLargeError as exc:
            self._writing.pop(call.task, None)
            if call.idempotent:
                raise
            if 200 <= exc.status < 300:
                raise call.applied(exc.status, f"its answer was not read whole ({exc})") from exc
            if exc.status in _OUTCOME_OPEN_STATUSES:  # a gateway's error page, however long
                raise call.outcome_unknown(_gateway_failed(exc.status)) from exc
            raise
        finally:
            self._slots.release()
        # not in a finally: a cancellation (aclose, the deadline) leaves the write on its way
        self._writing.pop(call.task, None)
        if 200 <= response.status < 300:
            if call.method == "GET":
                return _with_utf8_json(response)
            # after a 2xx a write was applied: an answer whose declared charset can't be applied
            # is left as it came, for the write's reader to read as JSON's UTF-8 or report
            with contextlib.suppress(DecodeError):
                return _with_utf8_json(response)
            return response
        error = self._error(response, call)
        if not call.idempotent and response.status in _OUTCOME_OPEN_STATUSES:
            raise call.outcome_unknown(_gateway_failed(response.status)) from error
        raise error

    def _error(self, response: Response, call: _Call) -> APIError:
        """The exception for an error status, its details read in the profile's error format."""
        secrets = self.secrets()
        # an error body in its declared charset too; unreadable text does not hide the status
        with contextlib.suppress(DecodeError):
            response = _with_utf8_json(response)
        message, error_id, request_id = self.profile.error_details(try_decode_json(response.body))
        return api_error(
            response.status,
            method=call.method,
            path=call.path,
            body=response.body,
            secrets=secrets,
            message=message,
            error_id=error_id,
            retry_after=parse_retry_after(
                response.headers.get("Retry-After"), now=datetime.now(UTC)
            ),
            request_id=request_id,
        )

    def secrets(self) -> list[str]:
        """Every secret the client holds (old tokens too), for redaction."""
        return [secret for secret in [*self.profile.secrets(), *self.tokens.secrets()] if secret]

    async def aclose(self) -> None:
        """End every running call with ClientClosedError, then close the transport."""
        self._closed = True
        for task in self._running - {asyncio.current_task()}:
            if not task.done():
                self._closing.add(task)
                task.cancel()
        self.tokens.cancel()
        await self.transport.aclose()


def _gateway_failed(status: int) -> str:
    return f"the gateway answered {status} after the write was sent"


def _with_utf8_json(response: Response) -> Response:
    body = json_as_utf8(response.headers.get("Content-Type"), response.body)
    if body is response.body:
        return response
    headers = CIMultiDict(response.headers)
    headers["Content-Type"] = "application/json; charset=utf-8"
    return attrs.evolve(response, body=body, headers=headers)


class ClientOptions(TypedDict, total=False):
    """The options both clients take, the same way (see the README's table of options)."""

    session: aiohttp.ClientSession | None
    max_concurrency: int
    timeout: float
    max_retries: int
    retry_policy: RetryPolicy | None
    transport: Transport | None
    max_response_bytes: int
    clock: Clock


def check_text(name: str, value: object, *, optional: bool = False) -> None:
    """Refuse a credential or name that is not a non-empty string (None only if ``optional``)."""
    if value is None and optional:
        return
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{name} must be a non-empty string", field=name)


def _whole(options: ClientOptions, name: str, default: int, minimum: int) -> int:
    value = cast(Mapping[str, object], options).get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValidationError(f"{name} must be a whole number, at least {minimum}", field=name)
    return value


class ClientBase:
    """What both clients share: their options, one core, and ``async with`` closing it."""

    def __init__(self, profile: ApiProfile, options: ClientOptions) -> None:
        for name in options.keys() - ClientOptions.__optional_keys__:
            raise TypeError(f"{type(self).__name__}() got an unexpected keyword argument {name!r}")
        self._max_concurrency = _whole(options, "max_concurrency", 8, 1)
        max_response_bytes = _whole(options, "max_response_bytes", DEFAULT_MAX_RESPONSE_BYTES, 1)
        timeout = options.get("timeout", 60.0)
        number = isinstance(timeout, (int, float)) and not isinstance(timeout, bool)
        if not number or not 0 < timeout < math.inf:  # inf: aiohttp's timer can't be set
            raise ValidationError(
                "timeout must be a positive, finite number of seconds", field="timeout"
            )
        policy = options.get("retry_policy")
        if policy is not None and "max_retries" in options:
            raise ValidationError(
                "give max_retries or retry_policy, not both "
                "(RetryPolicy(max_retries=...) holds it)",
                field="max_retries",
            )
        if policy is not None and not isinstance(policy, RetryPolicy):
            raise ValidationError("retry_policy must be a RetryPolicy", field="retry_policy")
        policy = policy or RetryPolicy(max_retries=_whole(options, "max_retries", 3, 0))
        session, transport = options.get("session"), options.get("transport")
        if transport is not None and session is not None:
            raise ValidationError("give a session or a transport, not both", field="transport")
        self._core = Core(
            transport=transport
            or AiohttpTransport(
                session=session,
                timeout=timeout,
                max_concurrency=self._max_concurrency,
                max_response_bytes=max_response_bytes,
            ),
            profile=profile,
            policy=policy,
            clock=options.get("clock", utc_now),
            max_concurrency=self._max_concurrency,
        )

    @property
    def token_fetches(self) -> int:
        """How many access tokens this client has fetched (0 with a fixed access_token)."""
        return self._core.tokens.fetch_count

    async def aclose(self) -> None:
        """End every running call (ClientClosedError) and close the connection pool if the
        client owns it. Calls after this raise ClientClosedError."""
        await self._core.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
