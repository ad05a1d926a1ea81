"""The session wrapper every API client drives: authentication, retries, error mapping.

One ``Core`` wraps one transport for one API. What differs between APIs (how to authenticate,
which query parameters every call carries, how an error body reads) is an ``ApiProfile``; what
is the same (when to retry, when a write's outcome is unknown, how a status becomes an
exception) is here, once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Protocol, TypeVar

import aiohttp
import attrs

from ._errors import (
    APIError,
    ConnectError,
    RateLimitError,
    ServerError,
    TransportError,
    ValidationError,
    WriteOutcomeUnknown,
)
from ._protocol import parse_retry_after, path_of, resource_url
from ._retry import RetryPolicy, call_with_retries
from ._transport import AiohttpTransport, Request, Response, Transport

__all__ = ["ApiProfile", "ClientBase", "Core", "Credentials", "build_core"]

# proxies in front of the servers answer these for a request they did not pass on (or may have)
_RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
# a POST is only sent again when the answer proves it was not processed
_NOT_PROCESSED_STATUSES = frozenset({429, 503})
# gateway failures after a write was forwarded leave its outcome open
_OUTCOME_OPEN_STATUSES = frozenset({502, 504})


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


def _now() -> datetime:
    return datetime.now(UTC)


class Core:
    """Sends requests for one API through one transport with its retry policy."""

    def __init__(self, *, transport: Transport, profile: ApiProfile, policy: RetryPolicy) -> None:
        self.transport = transport
        self.profile = profile
        self.policy = policy

    async def request(
        self,
        method: str,
        target: str | Sequence[str | int],
        *,
        params: Mapping[str, str] | None = None,
        data: bytes | aiohttp.FormData | None = None,
        idempotent: bool,
        authenticate: bool = True,
        extra_headers: Mapping[str, str] | None = None,
        sent: Mapping[str, Any] | None = None,
    ) -> Response:
        """Send one logical request and return its 2xx response; raise the mapped error.

        ``target`` is an absolute URL or path segments under the API's base URL. An idempotent
        request is retried on network errors, timeouts, 429 and 502/503/504. A request that is
        not (a POST) is retried only when it surely was not processed: no connection, 429 or
        503; when it may have been, WriteOutcomeUnknown carries ``sent`` to the caller.
        A 401 gets fresh credentials and one more try, once.
        """
        all_params = {**self.profile.common_params(), **(params or {})}
        # a failed token request was already retried by its own request: not again from here
        credential_failures: list[BaseException] = []

        async def attempt() -> Response:
            for auth_try in range(2):
                try:
                    credentials = await self.profile.credentials(self) if authenticate else None
                except Exception as exc:
                    credential_failures.append(exc)
                    raise
                if isinstance(target, str):
                    url = target
                else:
                    assert credentials is not None, "path targets need credentials"
                    url = resource_url(credentials.base_url, *target)
                path = path_of(url)
                response = await self._send_once(
                    Request(
                        method=method,
                        url=url,
                        params=all_params or None,
                        headers={
                            **(credentials.headers if credentials else {}),
                            **(extra_headers or {}),
                        },
                        data=data,
                    ),
                    idempotent=idempotent,
                    sent=sent,
                )
                if 200 <= response.status < 300:
                    return response
                if (
                    response.status == 401
                    and credentials is not None
                    and auth_try == 0
                    and self.profile.unauthorized(credentials)
                ):
                    continue
                error = self.profile.error_for(
                    response,
                    method=method,
                    path=path,
                    retry_after=parse_retry_after(response.headers.get("Retry-After"), now=_now()),
                )
                if not idempotent and response.status in _OUTCOME_OPEN_STATUSES:
                    raise WriteOutcomeUnknown(
                        f"the gateway answered {response.status} after the write was sent",
                        method=method,
                        path=path,
                        sent=sent,
                    ) from error
                raise error
            raise AssertionError("unreachable")  # pragma: no cover

        def should_retry(exc: BaseException) -> bool:
            if any(exc is failure for failure in credential_failures):
                return False
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

        return await call_with_retries(
            attempt,
            policy=self.policy,
            should_retry=should_retry,
            description=f"{method} {_describe(target)}",
        )

    async def _send_once(
        self, request: Request, *, idempotent: bool, sent: Mapping[str, Any] | None
    ) -> Response:
        try:
            return await self.transport.send(request)
        except ConnectError:
            raise
        except TransportError as exc:
            if idempotent:
                raise
            raise WriteOutcomeUnknown(
                "no answer after the write was sent "
                f"({type(exc.__cause__ or exc).__name__}); it may or may not have been applied",
                method=exc.method,
                path=exc.path,
                sent=sent,
            ) from exc

    def secrets(self) -> list[str]:
        """Every secret the profile holds, for redaction."""
        return [secret for secret in self.profile.secrets() if secret]


def _describe(target: str | Sequence[str | int]) -> str:
    return path_of(target) if isinstance(target, str) else "/".join(map(str, target))


def build_core(
    profile: ApiProfile,
    *,
    session: aiohttp.ClientSession | None,
    max_concurrency: int,
    timeout: float,
    max_retries: int,
    retry_policy: RetryPolicy | None,
    transport: Transport | None,
) -> Core:
    """Check a client's common options and assemble its transport and core."""
    if (
        isinstance(max_concurrency, bool)
        or not isinstance(max_concurrency, int)
        or max_concurrency < 1
    ):
        raise ValidationError("max_concurrency must be at least 1", field="max_concurrency")
    if not timeout > 0:
        raise ValidationError("timeout must be a positive number of seconds", field="timeout")
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ValidationError("max_retries must be 0 or more", field="max_retries")
    return Core(
        transport=transport
        or AiohttpTransport(session=session, timeout=timeout, max_concurrency=max_concurrency),
        profile=profile,
        policy=retry_policy or RetryPolicy(max_retries=max_retries),
    )


ClientT = TypeVar("ClientT", bound="ClientBase")


class ClientBase:
    """The lifecycle every API client shares: ``async with`` closes what the client owns."""

    _core: Core

    async def aclose(self) -> None:
        """Close the connection pool if the client owns it."""
        await self._core.transport.aclose()

    async def __aenter__(self: ClientT) -> ClientT:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
