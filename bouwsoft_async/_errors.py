"""The exception tree of bouwsoft_async, as the README draws it.

Messages never contain a token: the core redacts every secret it knows (in any encoding it
may come back in) from server text before it builds an exception, the request line in a
message carries no query string, and no exception of the HTTP library (which keeps the
request's headers) is chained to one of ours.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "BouwsoftError",
    "ClientClosedError",
    "ConnectError",
    "DeadlineExceeded",
    "DecodeError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseTooLargeError",
    "ServerError",
    "TransportError",
    "ValidationError",
    "WriteAppliedError",
    "WriteOutcomeUnknown",
]


class BouwsoftError(Exception):
    """Base class of every exception this package raises on purpose."""


class ValidationError(BouwsoftError, ValueError):
    """The caller's input breaks a documented rule (``field``, if one); nothing was sent."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class TransportError(BouwsoftError):
    """The request did not produce an HTTP answer: a network error, a timeout, a cut body.

    ``status``: the answer's HTTP status when its head came and its body did not (else None).
    """

    def __init__(self, message: str, *, method: str, path: str, status: int | None = None) -> None:
        super().__init__(f"{message} ({method} {path})")
        self.method = method
        self.path = path
        self.status = status


class ClientClosedError(BouwsoftError, RuntimeError):
    """The client was closed, before this call or while it ran (``aclose()`` ends running calls)."""


class ConnectError(TransportError):
    """No connection could be made (host, port and reason in the message): nothing was sent."""


class DeadlineExceeded(TransportError):
    """The call's total deadline (``RetryPolicy.deadline``) ran out, retries and waits included."""


class WriteOutcomeUnknown(TransportError):
    """A write was sent but no answer came back: it may or may not have been applied.

    ``sent``: the fields sent, in order; ``lookup_error``: the failed look-up of an idempotent
    payment (also the ``__cause__``).
    """

    def __init__(
        self,
        message: str,
        *,
        method: str,
        path: str,
        sent: Mapping[str, Any] | None = None,
        lookup_error: BaseException | None = None,
    ) -> None:
        super().__init__(message, method=method, path=path)
        self.sent: Mapping[str, Any] = dict(sent or {})
        self.lookup_error = lookup_error


class APIError(BouwsoftError):
    """The server answered with an error status; ``excerpt`` is a short, redacted piece of
    the body, the other attributes are None when the answer did not carry them."""

    def __init__(
        self,
        *,
        status: int,
        method: str,
        path: str,
        excerpt: str = "",
        message: str | None = None,
        error_id: int | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.method = method
        self.path = path
        self.excerpt = excerpt
        self.message = message
        self.error_id = error_id
        self.request_id = request_id
        self.retry_after = retry_after
        detail = message or excerpt or "no body"
        prefix = f"error {error_id}: " if error_id is not None else ""
        suffix = f" (RequestId {request_id})" if request_id else ""
        super().__init__(f"{method} {path} -> HTTP {status}: {prefix}{detail}{suffix}")


class BadRequestError(APIError):
    """HTTP 400: the server rejected the request as malformed."""


class AuthenticationError(APIError):
    """HTTP 401: missing, invalid or expired authorization."""


class PermissionDeniedError(APIError):
    """HTTP 403: authenticated, but not allowed (e.g. no access to that RamBase database)."""


class NotFoundError(APIError):
    """HTTP 404: no record with that id."""


class RateLimitError(APIError):
    """HTTP 429: too many requests. ``retry_after`` is in seconds when the server said."""


class ServerError(APIError):
    """HTTP 5xx: the server or a proxy in front of it failed."""


class DecodeError(BouwsoftError):
    """A response was not in the documented shape. ``excerpt`` shows the start of what came."""

    def __init__(self, message: str, *, excerpt: str = "") -> None:
        super().__init__(f"{message}: {excerpt!r}" if excerpt else message)
        self.excerpt = excerpt


class WriteAppliedError(BouwsoftError):
    """A write WAS applied (2xx) but its answer can't be read at all: do not send it again.
    ``body`` is the raw answer (secrets redacted), ``sent`` the fields that were sent."""

    def __init__(
        self,
        message: str,
        *,
        method: str,
        path: str,
        status: int,
        body: bytes,
        sent: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{method} {path} -> HTTP {status}: the write was applied, but {message}")
        self.method = method
        self.path = path
        self.status = status
        self.body = body
        self.sent: Mapping[str, Any] = dict(sent or {})


class ResponseTooLargeError(DecodeError):
    """An answer was larger than the client's ``max_response_bytes``; it was not read whole."""

    def __init__(self, message: str, *, limit: int, status: int) -> None:
        super().__init__(message)
        self.limit = limit
        self.status = status


def first_error(error: BaseException) -> BaseException:
    """The error to raise from a TaskGroup's group: the first that is not a cancellation."""
    while isinstance(error, BaseExceptionGroup):
        errors = [e for e in error.exceptions if not isinstance(e, asyncio.CancelledError)]
        error = (errors or list(error.exceptions))[0]
    return error
