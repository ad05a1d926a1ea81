"""``RamBaseClient``: one core for the RamBase API, driven by the same session wrapper."""

from __future__ import annotations

import aiohttp

from .._auth import Clock, utc_now
from .._core import UNSET, ClientBase, Unset, build_core
from .._errors import ValidationError
from .._protocol import check_base_url
from .._retry import RetryPolicy
from .._transport import DEFAULT_MAX_RESPONSE_BYTES, Transport
from ._payments import Payments
from ._profile import RamBaseProfile

__all__ = ["RAMBASE_BASE_URL", "RamBaseClient"]

RAMBASE_BASE_URL = "https://api.rambase.net"


def _non_empty(name: str, value: object, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{name} must be a non-empty string", field=name)


class RamBaseClient(ClientBase):
    """An asyncio client for the RamBase API of one company database (``db``).

    It gets access tokens with OAuth2 client credentials from ``{base_url}/oauth2/access_token``
    (once for any number of concurrent callers), sends them as ``Authorization: Bearer``, and
    renews them before ``expires_in`` runs out and after a 401. Every request carries
    ``$format=json``, and ``$db`` / ``$lang`` when given.

    Use it as ``async with RamBaseClient(...) as rb:`` or call ``aclose()``. ``target`` is the
    optional target of RamBase's client-credentials flow, sent in the token request. The other
    options are the Bouwsoft client's, taken the same way: an injected ``session`` is used as
    it is and left open; ``transport`` replaces the HTTP layer; ``max_retries`` or a whole
    ``retry_policy``, not both; ``max_response_bytes``; ``clock`` (aware UTC ``datetime``) is
    for tests.
    """

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        db: str | None = None,
        lang: str | None = None,
        target: str | None = None,
        base_url: str = RAMBASE_BASE_URL,
        session: aiohttp.ClientSession | None = None,
        max_concurrency: int = 8,
        timeout: float = 60.0,
        max_retries: int | Unset = UNSET,
        retry_policy: RetryPolicy | None = None,
        transport: Transport | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        clock: Clock = utc_now,
    ) -> None:
        _non_empty("client_id", client_id)
        _non_empty("client_secret", client_secret)
        _non_empty("db", db, optional=True)
        _non_empty("lang", lang, optional=True)
        _non_empty("target", target, optional=True)

        self.db = db
        self.base_url = check_base_url(base_url, field="base_url")
        self._profile = RamBaseProfile(
            client_id=client_id,
            client_secret=client_secret,
            base_url=self.base_url,
            db=db,
            lang=lang,
            target=target,
            clock=clock,
        )
        self._core = build_core(
            self._profile,
            session=session,
            max_concurrency=max_concurrency,
            timeout=timeout,
            max_retries=max_retries,
            retry_policy=retry_policy,
            transport=transport,
            max_response_bytes=max_response_bytes,
        )
        self.payments = Payments(self._core)

    @property
    def token_fetches(self) -> int:
        """How many access tokens this client has fetched."""
        return self._profile.tokens.fetch_count

    def __repr__(self) -> str:
        return f"<RamBaseClient db={self.db!r} base_url={self.base_url!r}>"
