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
    vendor_error_of,
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


# ASSUMPTION (the vendors document no token lifetime and no clock): a server's "valid until"
# is read against the client's own clock, which may be skewed. A token is renewed ``margin``
# before it runs out, but never sooner than half its life as measured on the client's clock
# from the moment it arrived; a token that looks expired on arrival is used until a server
# rejects it (401), which then fetches a new one. So renewal ahead of expiry happens at most
# once per half-life however short or skewed the announced lifetime is.
_OLD_TOKENS_KEPT = 16


def renewal_due_at(
    *, received: datetime, valid_until: datetime | None, margin: timedelta
) -> datetime | None:
    """When a token that arrived at ``received`` is to be renewed; None: only after a 401."""
    if valid_until is None:
        return None
    life = valid_until - received
    if life <= timedelta(0):
        return None  # expired on arrival by our clock: a skewed clock; the server decides
    if life >= 2 * margin:
        return valid_until - margin
    return received + life / 2


class SingleFlightToken:
    """Holds the current Grant; however many coroutines ask at once, one fetch runs at a time.

    A fetch is one future: every caller that arrives while it runs waits for it and gets its
    grant (whatever its ``valid_until`` says) or its failure, once; no caller starts a second
    fetch behind a failed one. A grant is renewed ``margin`` before it expires, at most once
    per half of its life (see ``renewal_due_at``). After a 401, ``invalidate(token)`` drops the
    grant only if it is still the one that failed, so a hundred coroutines rejected with the
    same token cause exactly one fetch. Tokens that were replaced are remembered (a few) for
    redaction.
    """

    def __init__(
        self, *, margin: timedelta = timedelta(seconds=60), clock: Clock = utc_now
    ) -> None:
        self._grant: Grant | None = None
        self._renew_at: datetime | None = None
        self._flight: asyncio.Future[Grant] | None = None
        self._margin = margin
        self._clock = clock
        self._old_tokens: list[str] = []
        self.fetch_count = 0

    async def get(self, fetch: Callable[[], Awaitable[Grant]]) -> Grant:
        """The current grant, fetching a new one (once, for all waiters) when needed."""
        grant = self._grant
        if grant is not None and (self._renew_at is None or self._clock() < self._renew_at):
            return grant
        flight = self._flight
        if flight is None:
            flight = self._flight = asyncio.ensure_future(self._fetch(fetch))
            # a failure nobody awaits any more (all waiters cancelled) is not an error to log
            flight.add_done_callback(_retrieve)
        # shielded: a cancelled waiter must not cancel the fetch the others wait for
        return await asyncio.shield(flight)

    async def _fetch(self, fetch: Callable[[], Awaitable[Grant]]) -> Grant:
        self.fetch_count += 1
        try:
            grant = await fetch()
        finally:
            self._flight = None
        self._replace(grant)
        self._renew_at = renewal_due_at(
            received=self._clock(), valid_until=grant.valid_until, margin=self._margin
        )
        return grant

    def _replace(self, grant: Grant | None) -> None:
        if self._grant is not None:
            self._old_tokens = [*self._old_tokens, self._grant.token][-_OLD_TOKENS_KEPT:]
        self._grant = grant

    def invalidate(self, token: str) -> None:
        """Forget the grant if ``token`` is still current (a server rejected it)."""
        if self._grant is not None and self._grant.token == token:
            self._replace(None)

    def cancel(self) -> None:
        """Stop a fetch in progress (the client is closing)."""
        if self._flight is not None:
            self._flight.cancel()

    @property
    def current_token(self) -> str | None:
        return self._grant.token if self._grant else None

    def secrets(self) -> list[str]:
        """The current token and the ones it replaced, for redaction."""
        current = [self._grant.token] if self._grant else []
        return [*current, *self._old_tokens]


def _retrieve(future: asyncio.Future[Grant]) -> None:
    if not future.cancelled():
        future.exception()


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
        self._fixed: Credentials | None = None
        if access_token is not None:
            assert self._base_url is not None
            self._fixed = Credentials(
                base_url=self._base_url, headers=data_headers(client_nr, access_token)
            )

    async def credentials(self, core: Core) -> Credentials:
        if self._fixed is not None:
            return self._fixed
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
        failure: DecodeError | None = None
        try:
            payload = decode_json(response.body, core.secrets())
            token = payload.get("AccessToken") if isinstance(payload, Mapping) else None
            # checked before structuring, which would turn a null or a number into text
            if not isinstance(token, str) or not token:
                raise DecodeError("the token answer has no AccessToken (a non-empty string)")
            answer = structure(payload, TokenAnswer)
        except DecodeError as exc:
            failure = _token_answer_error(exc, response.body, core.secrets())
        if failure is not None:
            # the body carries the new AccessToken: never let it into a message, a traceback
            # or a chained exception (raised outside the except block: no __context__)
            raise failure
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
        fixed = [s for s in (self._access_token, self._refresh_token) if s]
        return [*fixed, *self.tokens.secrets()]

    def common_params(self) -> Mapping[str, str]:
        return {}

    def error_for(
        self, response: Response, *, method: str, path: str, retry_after: float | None
    ) -> APIError:
        secrets = list(self.secrets())
        payload = try_decode_json(response.body)
        # the vendor's own error record ({"RecordChanges":[{"Code","Description","RequestId"}]})
        # first, then the usual message keys
        vendor = vendor_error_of(payload)
        message = vendor.description if vendor else error_message_of(payload)
        request_id = vendor.request_id if vendor else None
        return error_for_status(
            response.status,
            method=method,
            path=path,
            excerpt=excerpt(response.body, secrets),
            message=redact(message, secrets)[:200] if message else None,
            retry_after=retry_after,
            request_id=redact(request_id, secrets)[:120] if request_id else None,
        )

    async def aclose(self) -> None:
        self.tokens.cancel()
