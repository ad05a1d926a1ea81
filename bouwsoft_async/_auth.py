"""Tokens: a single-flight cache shared by both APIs, and Bouwsoft's ApiProfile."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from ._convert import decode_json, structure, try_decode_json
from ._core import Core, Credentials
from ._errors import APIError, DecodeError
from ._protocol import (
    data_headers,
    data_server_url,
    error_for_status,
    excerpt,
    parse_valid_until,
    redact,
    resource_url,
    token_headers,
)
from ._transport import Response

__all__ = ["BouwsoftProfile", "Grant", "SingleFlightToken"]

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@attrs.frozen(kw_only=True)
class Grant:
    """An access token, when it stops working, and (Bouwsoft) the data server it is for."""

    token: str = attrs.field(repr=False)
    valid_until: datetime | None = None
    base_url: str | None = None


class SingleFlightToken:
    """Holds the current Grant; however many coroutines ask at once, one fetch runs at a time.

    A grant is renewed ``margin`` before it expires. After a 401, ``invalidate(token)`` drops the
    grant only if it is still the one that failed, so a hundred coroutines rejected with the same
    token cause exactly one fetch.
    """

    def __init__(
        self, *, margin: timedelta = timedelta(seconds=60), clock: Clock = utc_now
    ) -> None:
        self._grant: Grant | None = None
        self._lock = asyncio.Lock()
        self._margin = margin
        self._clock = clock
        self.fetch_count = 0
        self._last_failure: BaseException | None = None

    def _usable(self, grant: Grant | None) -> bool:
        if grant is None:
            return False
        return grant.valid_until is None or self._clock() + self._margin < grant.valid_until

    def _expired(self, grant: Grant) -> bool:
        return grant.valid_until is not None and self._clock() >= grant.valid_until

    async def get(self, fetch: Callable[[], Awaitable[Grant]]) -> Grant:
        """The current grant, fetching a new one (once, for all waiters) when needed."""
        grant = self._grant
        if self._usable(grant):
            assert grant is not None
            return grant
        fetches_before = self.fetch_count
        async with self._lock:
            # a fetch that failed while this caller waited fails it too: a hundred waiters on a
            # down auth server must not each try again in turn
            if self.fetch_count != fetches_before and self._last_failure is not None:
                raise self._last_failure
            current = self._grant
            # a grant fetched by another caller while this one waited is used while it has
            # not expired, even inside the margin: else every waiter would fetch one more
            if current is not None and (
                self._usable(current) or (current is not grant and not self._expired(current))
            ):
                return current
            self.fetch_count += 1
            try:
                self._grant = await fetch()
            except Exception as exc:
                self._last_failure = exc
                raise
            self._last_failure = None
            return self._grant

    def invalidate(self, token: str) -> None:
        """Forget the grant if ``token`` is still current (a server rejected it)."""
        if self._grant is not None and self._grant.token == token:
            self._grant = None

    @property
    def current_token(self) -> str | None:
        return self._grant.token if self._grant else None


def error_message_of(payload: Any) -> str | None:
    """The message in an error body when it is JSON with a usual message key."""
    if isinstance(payload, Mapping):
        for key in ("Message", "message", "Error", "error", "ErrorMessage", "detail"):
            value = payload.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
    return None


# a JSON string, possibly cut short; group 1 is set when it is an object key
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*(?:"(\s*:)?|$)')
_ACCESS_TOKEN_VALUE = re.compile(rb'("AccessToken"\s*:\s*)[^,}\]\s]+')


def _mask_values(body: bytes) -> bytes:
    """``body`` with every JSON string value (not the keys) and the AccessToken masked."""
    body = _JSON_STRING.sub(lambda m: m[0] if m[1] is not None else b'"***"', body)
    return _ACCESS_TOKEN_VALUE.sub(rb"\1***", body)


def _token_answer_error(exc: DecodeError, body: bytes, secrets: Iterable[str]) -> DecodeError:
    """``exc`` again, its excerpt taken from ``body`` with the values that may be a token masked."""
    reason = str(exc)
    if exc.excerpt:
        reason = reason.removesuffix(f": {exc.excerpt!r}")
    return DecodeError(reason, excerpt=excerpt(_mask_values(body), secrets))


@attrs.frozen(kw_only=True)
class TokenAnswer:
    """The JSON of ``GET /Authorize/AccessToken``."""

    AccessToken: str = attrs.field(repr=False)
    ServerName: str
    ValidUntil: str
    ServerIP: str = ""
    Layout: str = ""


class BouwsoftProfile:
    """Bouwsoft authentication: a fixed AccessToken, or one fetched with a RefreshToken."""

    def __init__(
        self,
        *,
        client_nr: int,
        access_token: str | None,
        refresh_token: str | None,
        base_url: str | None,
        auth_url: str,
        clock: Clock = utc_now,
    ) -> None:
        self.client_nr = client_nr
        self._access_token = access_token
        self._refresh_token = refresh_token
        self._base_url = base_url.rstrip("/") if base_url else None
        self._auth_url = auth_url.rstrip("/")
        self.tokens = SingleFlightToken(clock=clock)

    async def credentials(self, core: Core) -> Credentials:
        if self._access_token is not None:
            assert self._base_url is not None
            return Credentials(
                base_url=self._base_url, headers=data_headers(self.client_nr, self._access_token)
            )
        grant = await self.tokens.get(lambda: self._fetch_grant(core))
        base_url = self._base_url or grant.base_url
        assert base_url is not None
        return Credentials(base_url=base_url, headers=data_headers(self.client_nr, grant.token))

    async def _fetch_grant(self, core: Core) -> Grant:
        assert self._refresh_token is not None
        response = await core.request(
            "GET",
            resource_url(self._auth_url, "Authorize", "AccessToken"),
            idempotent=True,  # asking for a token changes nothing on the server
            authenticate=False,
            extra_headers=token_headers(self.client_nr, self._refresh_token),
        )
        try:
            payload = decode_json(response.body, core.secrets())
            token = payload.get("AccessToken") if isinstance(payload, Mapping) else None
            # checked before structuring, which would turn a null or a number into text
            if not isinstance(token, str) or not token:
                raise DecodeError("the token answer has no AccessToken (a non-empty string)")
            answer = structure(payload, TokenAnswer)
        except DecodeError as exc:
            # the body carries the new AccessToken: never let it into a message or a traceback
            raise _token_answer_error(exc, response.body, core.secrets()) from None
        return Grant(
            token=answer.AccessToken,
            valid_until=parse_valid_until(answer.ValidUntil),
            base_url=data_server_url(self._auth_url, answer.ServerName),
        )

    def unauthorized(self, used: Credentials) -> bool:
        if self._refresh_token is None:
            return False
        self.tokens.invalidate(used.headers.get("AccessToken", ""))
        return True

    def secrets(self) -> Iterable[str]:
        return [
            s for s in (self._access_token, self._refresh_token, self.tokens.current_token) if s
        ]

    def common_params(self) -> Mapping[str, str]:
        return {}

    def error_for(
        self, response: Response, *, method: str, path: str, retry_after: float | None
    ) -> APIError:
        secrets = list(self.secrets())
        message = error_message_of(try_decode_json(response.body))
        return error_for_status(
            response.status,
            method=method,
            path=path,
            excerpt=excerpt(response.body, secrets),
            message=redact(message, secrets)[:200] if message else None,
            retry_after=retry_after,
        )
