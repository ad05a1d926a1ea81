"""Tokens: a Grant, when to renew it, and the single-flight cache both APIs share."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta

import attrs
from multidict import CIMultiDict, CIMultiDictProxy

from ._errors import BouwsoftError

__all__ = ["Clock", "Grant", "SingleFlightToken", "renewal_due_at", "utc_now"]

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def _read_only(headers: Mapping[str, str]) -> Mapping[str, str]:
    # aiohttp takes a multidict as it is; any other mapping it copies into one for each request
    return CIMultiDictProxy(CIMultiDict(headers))


@attrs.frozen(kw_only=True)
class Grant:
    """An access token, the data server it is for and the headers that send it there, and
    when it stops working (None: unknown)."""

    token: str = attrs.field(repr=False)
    base_url: str
    # read-only: every request of the token is sent with this one mapping, not a copy
    headers: Mapping[str, str] = attrs.field(repr=False, converter=_read_only)
    valid_until: datetime | None = None


# ASSUMPTION (the vendors document no token lifetime and no clock): a server's "valid until"
# is read against the client's own clock, which may be skewed. A token is renewed a minute
# before it runs out, but never sooner than half its life as measured on the client's clock
# from the moment it arrived; a token that looks expired on arrival is used until a server
# rejects it (401), which then fetches a new one. So renewal ahead of expiry happens at most
# once per half-life however short or skewed the announced lifetime is.
_MARGIN = timedelta(seconds=60)
_OLD_TOKENS_KEPT = 16
# a renewal ahead of expiry that fails (the token server down for a moment) keeps the token,
# which still works, and is tried again this much later (or at its expiry, if sooner)
_RENEWAL_RETRY = timedelta(seconds=5)

logger = logging.getLogger("bouwsoft_async")


def renewal_due_at(*, received: datetime, valid_until: datetime | None) -> datetime | None:
    """When a token that arrived at ``received`` is to be renewed; None: only after a 401."""
    if valid_until is None:
        return None
    life = valid_until - received
    if life <= timedelta(0):
        return None  # expired on arrival by our clock: a skewed clock; the server decides
    if life >= 2 * _MARGIN:
        return valid_until - _MARGIN
    return received + life / 2


class SingleFlightToken:
    """Holds the current Grant; however many coroutines ask at once, one fetch runs at a time.

    A fetch is one future: every caller that arrives while it runs gets its grant or its
    failure, once. Replaced tokens are kept (a few) for redaction.
    """

    def __init__(self, *, clock: Clock = utc_now) -> None:
        self.clock = clock
        self.fetch_count = 0
        self._grant: Grant | None = None
        self._renew_at: datetime | None = None
        self._flight: asyncio.Future[Grant] | None = None
        self._old_tokens: list[str] = []

    async def get(self, fetch: Callable[[], Awaitable[Grant]]) -> Grant:
        """The current grant, fetching a new one (once, for all waiters) when needed."""
        grant = self._grant
        if grant is not None and (self._renew_at is None or self.clock() < self._renew_at):
            return grant
        if self._flight is None:
            self._flight = asyncio.ensure_future(self._fetch(fetch))
            # a failure nobody awaits any more (all waiters cancelled) is not an error to log
            self._flight.add_done_callback(lambda flight: flight.cancelled() or flight.exception())
        # shielded: a cancelled waiter must not cancel the fetch the others wait for
        return await asyncio.shield(self._flight)

    async def _fetch(self, fetch: Callable[[], Awaitable[Grant]]) -> Grant:
        self.fetch_count += 1
        current = self._grant
        try:
            grant = await fetch()
        except BouwsoftError as exc:
            if current is None or self._grant is not current or not self._still_valid(current):
                raise
            return self._keep_after_failed_renewal(current, exc)
        finally:
            self._flight = None
        self._replace(grant)
        self._renew_at = renewal_due_at(received=self.clock(), valid_until=grant.valid_until)
        return grant

    def _still_valid(self, grant: Grant) -> bool:
        return grant.valid_until is not None and self.clock() < grant.valid_until

    def _keep_after_failed_renewal(self, grant: Grant, exc: BouwsoftError) -> Grant:
        assert grant.valid_until is not None
        self._renew_at = min(self.clock() + _RENEWAL_RETRY, grant.valid_until)
        # the class alone: a token server's message may echo what was sent to it
        logger.warning(
            "renewing the access token failed (%s); the current one works until %s and stays "
            "in use",
            type(exc).__name__,
            grant.valid_until.isoformat(),
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

    def secrets(self) -> list[str]:
        """The current token and the ones it replaced, for redaction."""
        current = [self._grant.token] if self._grant else []
        return [*current, *self._old_tokens]
