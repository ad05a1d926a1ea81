"""RamBase's ApiProfile: OAuth2 client credentials, ``$format``/``$db``/``$lang``, its errors."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from .._auth import Clock, Grant, SingleFlightToken, utc_now
from .._convert import try_decode_json
from .._core import Core, Credentials
from .._errors import APIError, DecodeError
from .._protocol import error_for_status, excerpt, redact, resource_url
from .._transport import Response

__all__ = ["RamBaseProfile", "bearer_headers", "parse_error", "parse_expires_in"]

# a token is renewed this long before ``expires_in`` runs out (or at half its life if shorter)
RENEW_MARGIN = timedelta(seconds=60)
_MESSAGE_LIMIT = 200


def bearer_headers(token: str) -> dict[str, str]:
    """Headers of every authenticated RamBase call: the token never goes into the URL."""
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


def parse_expires_in(value: object) -> float | None:
    """Seconds from ``expires_in`` (RamBase sends a string such as ``"3600"``); None if absent."""
    if value is None:
        return None
    if isinstance(value, (int, str)) and not isinstance(value, bool):
        try:
            seconds = float(value)
        except ValueError:
            seconds = math.nan
        if math.isfinite(seconds) and seconds > 0:
            return seconds
    raise DecodeError("the token answer's expires_in is not a positive number of seconds")


def _key(payload: Mapping[str, Any], name: str) -> Any:
    """``payload[name]`` matched case-insensitively (``Message``, ``message``)."""
    for key, value in payload.items():
        if isinstance(key, str) and key.lower() == name:
            return value
    return None


def parse_error(payload: Any) -> tuple[str | None, int | None]:
    """The message and error id of a RamBase error body (or an OAuth2 one); Nones otherwise.

    RamBase: ``{"HttpStatusCode", "Message", "TranslatedMessage", "ErrorMessage":
    {"ErrorMessageId", "ErrorMessageLink"}}``, at the top or under ``error``. OAuth2:
    ``{"error": "invalid_client", "error_description": "..."}``.
    """
    if not isinstance(payload, Mapping):
        return None, None
    wrapped = _key(payload, "error")
    if isinstance(wrapped, Mapping):
        payload = wrapped
    elif isinstance(wrapped, str):
        description = _key(payload, "error_description")
        text = description if isinstance(description, str) and description.strip() else wrapped
        return text.strip() or None, None
    message = None
    for name in ("message", "translatedmessage"):
        value = _key(payload, name)
        if isinstance(value, str) and value.strip():
            message = value.strip()
            break
    error_id = None
    details = _key(payload, "errormessage")
    if isinstance(details, Mapping):
        raw_id = _key(details, "errormessageid")
        if isinstance(raw_id, int) and not isinstance(raw_id, bool):
            error_id = raw_id
        elif isinstance(raw_id, str) and raw_id.strip().isdigit():
            error_id = int(raw_id)
    elif isinstance(details, str) and details.strip() and message is None:
        message = details.strip()
    return message, error_id


class RamBaseProfile:
    """RamBase authentication: access tokens from OAuth2 client credentials, single-flight."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        base_url: str,
        db: str | None = None,
        lang: str | None = None,
        target: str | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self._client_id = client_id
        self._target = target
        self._client_secret = client_secret
        self._base_url = base_url.rstrip("/")
        self._db = db
        self._lang = lang
        self._clock = clock
        self._refresh_token: str | None = None
        self.tokens = SingleFlightToken(margin=RENEW_MARGIN, clock=clock)

    @property
    def token_url(self) -> str:
        return resource_url(self._base_url, "oauth2", "access_token")

    async def credentials(self, core: Core) -> Credentials:
        grant = await self.tokens.get(lambda: self._fetch_grant(core))
        return Credentials(base_url=self._base_url, headers=bearer_headers(grant.token))

    async def _fetch_grant(self, core: Core) -> Grant:
        fields = {
            "client_id": self._client_id,
            "client_secret": self._client_secret,
            "grant_type": "client_credentials",
        }
        if self._target is not None:
            # RamBase's client-credentials flow takes an optional target (a user with access
            # to several targets needs it)
            fields["target"] = self._target
        form = urlencode(fields).encode()
        response = await core.request(
            "POST",
            self.token_url,
            data=form,
            idempotent=True,  # a second token request only issues a second token
            authenticate=False,
            extra_headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
        )
        # no excerpt of this body in any message: it holds the token we could not read
        payload = try_decode_json(response.body)
        if not isinstance(payload, Mapping):
            raise DecodeError(f"the token answer is not a JSON object ({len(response.body)} bytes)")
        token = payload.get("access_token")
        if not isinstance(token, str) or not token.strip():
            raise DecodeError("the token answer has no access_token")
        refresh_token = payload.get("refresh_token")
        if isinstance(refresh_token, str) and refresh_token:
            self._refresh_token = refresh_token  # unused, but redacted like the token
        return Grant(token=token, valid_until=self._valid_until(payload.get("expires_in")))

    def _valid_until(self, expires_in: object) -> datetime | None:
        seconds = parse_expires_in(expires_in)
        if seconds is None:
            return None  # no lifetime given: used until a 401
        # renewed RENEW_MARGIN ahead, a short-lived token at half its life (renewal_due_at)
        return self._clock() + timedelta(seconds=seconds)

    def unauthorized(self, used: Credentials) -> bool:
        token = used.headers.get("Authorization", "").removeprefix("Bearer ")
        self.tokens.invalidate(token)
        return True

    def secrets(self) -> Iterable[str]:
        fixed = [s for s in (self._client_secret, self._refresh_token) if s]
        return [*fixed, *self.tokens.secrets()]

    async def aclose(self) -> None:
        self.tokens.cancel()

    def common_params(self) -> Mapping[str, str]:
        params = {"$format": "json"}
        if self._db is not None:
            params["$db"] = self._db
        if self._lang is not None:
            params["$lang"] = self._lang
        return params

    def error_for(
        self, response: Response, *, method: str, path: str, retry_after: float | None
    ) -> APIError:
        secrets = list(self.secrets())
        message, error_id = parse_error(try_decode_json(response.body))
        return error_for_status(
            response.status,
            method=method,
            path=path,
            excerpt=excerpt(response.body, secrets),
            message=redact(message, secrets)[:_MESSAGE_LIMIT] if message else None,
            error_id=error_id,
            retry_after=retry_after,
        )
