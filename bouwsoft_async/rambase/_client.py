"""``RamBaseClient`` and RamBase's ApiProfile: OAuth2 client credentials, ``$format``/``$db``/
``$lang`` on every call, RamBase's error body."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Unpack
from urllib.parse import urlencode

from .._auth import Grant
from .._convert import try_decode_json
from .._core import ClientBase, ClientOptions, Core, check_text
from .._errors import DecodeError
from .._protocol import check_base_url, digits_value, fits_a_header, resource_url, text_of
from ._payments import Payments

__all__ = ["RAMBASE_BASE_URL", "RamBaseClient", "RamBaseProfile", "parse_error", "parse_expires_in"]

RAMBASE_BASE_URL = "https://api.rambase.net"


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


def _lower_keys(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, Mapping):
        return {}
    return {key.lower(): value for key, value in payload.items() if isinstance(key, str)}


def parse_error(payload: Any) -> tuple[str | None, int | None]:
    """The message and error id of a RamBase error body (or an OAuth2 one); Nones otherwise.

    RamBase: ``{"HttpStatusCode", "Message", "TranslatedMessage", "ErrorMessage":
    {"ErrorMessageId", "ErrorMessageLink"}}``, at the top or under ``error``, keys in any case.
    OAuth2: ``{"error": "invalid_client", "error_description": "..."}``.
    """
    body = _lower_keys(payload)
    if isinstance(body.get("error"), str):
        return text_of(body.get("error_description")) or text_of(body["error"]), None
    if isinstance(body.get("error"), Mapping):
        body = _lower_keys(body["error"])
    message = text_of(body.get("message")) or text_of(body.get("translatedmessage"))
    details = body.get("errormessage")
    if not isinstance(details, Mapping):
        return message or text_of(details), None
    error_id = _lower_keys(details).get("errormessageid")
    if isinstance(error_id, str):
        error_id = digits_value(error_id)
    return message, error_id if type(error_id) is int else None


class RamBaseProfile:
    """RamBase: access tokens from OAuth2 client credentials, sent as ``Bearer``."""

    fixed: Grant | None = None

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        base_url: str,
        db: str | None = None,
        lang: str | None = None,
        target: str | None = None,
    ) -> None:
        self._base_url = base_url
        self._form = {
            "client_id": client_id,
            "client_secret": client_secret,
            "grant_type": "client_credentials",
        }
        if target is not None:
            # RamBase's client-credentials flow takes an optional target (a user with access
            # to several targets needs it)
            self._form["target"] = target
        self._refresh_token = ""  # unused, but redacted like the token
        common = {"$format": "json", "$db": db, "$lang": lang}
        self.common_params: Mapping[str, str] = {k: v for k, v in common.items() if v is not None}

    def secrets(self) -> list[str]:
        return [self._form["client_secret"], self._refresh_token]

    async def fetch_grant(self, core: Core) -> Grant:
        response = await core.request(
            "POST",
            resource_url(self._base_url, "oauth2", "access_token"),
            data=urlencode(self._form).encode(),
            idempotent=True,  # a second token request only issues a second token
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
        if not fits_a_header(token):
            raise DecodeError(
                "the token answer's access_token holds a character no header can carry"
            )
        refresh_token = payload.get("refresh_token")
        if isinstance(refresh_token, str):
            self._refresh_token = refresh_token
        seconds = parse_expires_in(payload.get("expires_in"))
        try:
            valid_until = (
                None if seconds is None else core.tokens.clock() + timedelta(seconds=seconds)
            )
        except OverflowError:
            valid_until = None  # a lifetime past the calendar's end: as good as none
        return Grant(
            token=token,
            # the token never goes into the URL
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            base_url=self._base_url,
            valid_until=valid_until,  # no lifetime given: used until a 401
        )

    @staticmethod
    def error_details(payload: Any) -> tuple[str | None, int | None, str | None]:
        return (*parse_error(payload), None)


class RamBaseClient(ClientBase):
    """An asyncio client for the RamBase API of one company database (``db``); ``target`` is
    the optional target of RamBase's client-credentials flow."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        db: str | None = None,
        lang: str | None = None,
        target: str | None = None,
        base_url: str = RAMBASE_BASE_URL,
        **options: Unpack[ClientOptions],
    ) -> None:
        check_text("client_id", client_id)
        check_text("client_secret", client_secret)
        for name, value in (("db", db), ("lang", lang), ("target", target)):
            check_text(name, value, optional=True)
        self.db = db
        self.base_url = check_base_url(base_url, field="base_url")
        profile = RamBaseProfile(
            client_id=client_id,
            client_secret=client_secret,
            base_url=self.base_url,
            db=db,
            lang=lang,
            target=target,
        )
        super().__init__(profile, options)
        self.payments = Payments(self._core)

    def __repr__(self) -> str:
        return f"<RamBaseClient db={self.db!r} base_url={self.base_url!r}>"
