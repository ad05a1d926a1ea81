"""``BouwsoftClient``: the entry point that owns one core and exposes the endpoints."""

from __future__ import annotations

import aiohttp

from . import _schema
from ._auth import BouwsoftProfile, Clock, utc_now
from ._core import UNSET, ClientBase, Unset, build_core
from ._errors import ValidationError
from ._payments import Payments
from ._protocol import check_base_url
from ._purchase_invoices import PurchaseInvoices
from ._retry import RetryPolicy
from ._sales_invoices import SalesInvoices
from ._schema import FieldInfo, SchemaDifference
from ._transport import DEFAULT_MAX_RESPONSE_BYTES, Transport

__all__ = ["DEFAULT_AUTH_URL", "BouwsoftClient", "one_token_message"]

DEFAULT_AUTH_URL = "https://charon.bouwsoft.be/api/v1"


def one_token_message(access: str = "access_token", refresh: str = "refresh_token") -> str:
    """The words for "give exactly one of the two tokens", shared by the library and the CLI
    (which passes its variable names, e.g. ``BOUWSOFT_ACCESS_TOKEN``)."""
    return (
        f"give exactly one of {access} (with the data server's base URL) and {refresh}, "
        "not both and not neither"
    )


class BouwsoftClient(ClientBase):
    """An asyncio client for one Bouwsoft customer (``client_nr``).

    Authenticate with a fixed ``access_token`` and its ``base_url``, or with a ``refresh_token``:
    then the client fetches AccessTokens from ``auth_url`` (once for any number of concurrent
    callers), renews them before ``ValidUntil`` and after a 401, and finds the data server from
    the token answer unless ``base_url`` is given.

    Use it as ``async with BouwsoftClient(...) as client:`` or call ``aclose()``. An injected
    ``session`` is used as it is and left open; otherwise the client owns one connection pool.
    ``transport`` replaces the HTTP layer altogether (see ``Transport``). Give ``max_retries``
    or a whole ``retry_policy``, not both. ``max_response_bytes`` caps one answer's size;
    ``clock`` (aware UTC ``datetime``) is for tests of token renewal.
    """

    def __init__(
        self,
        *,
        client_nr: int,
        access_token: str | None = None,
        refresh_token: str | None = None,
        base_url: str | None = None,
        auth_url: str = DEFAULT_AUTH_URL,
        session: aiohttp.ClientSession | None = None,
        max_concurrency: int = 8,
        timeout: float = 60.0,
        max_retries: int | Unset = UNSET,
        retry_policy: RetryPolicy | None = None,
        transport: Transport | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        clock: Clock = utc_now,
    ) -> None:
        if isinstance(client_nr, bool) or not isinstance(client_nr, int) or client_nr < 1:
            raise ValidationError("client_nr must be a positive integer", field="client_nr")
        if (access_token is None) == (refresh_token is None):
            raise ValidationError(one_token_message())
        if access_token is not None and not base_url:
            raise ValidationError(
                "an access_token needs the data server's base_url", field="base_url"
            )
        if base_url is not None:
            base_url = check_base_url(base_url, field="base_url")
        auth_url = check_base_url(auth_url, field="auth_url")
        for name, value in (("access_token", access_token), ("refresh_token", refresh_token)):
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise ValidationError(f"{name} must be a non-empty string", field=name)

        self.client_nr = client_nr
        self._profile = BouwsoftProfile(
            client_nr=client_nr,
            access_token=access_token,
            refresh_token=refresh_token,
            base_url=base_url,
            auth_url=auth_url,
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
        self.sales_invoices = SalesInvoices(self._core, max_concurrency=max_concurrency)
        self.purchase_invoices = PurchaseInvoices(self._core, max_concurrency=max_concurrency)
        self.payments = Payments(self._core, max_concurrency=max_concurrency)

    @property
    def token_fetches(self) -> int:
        """How many AccessTokens this client has fetched (0 with a fixed access_token)."""
        return self._profile.tokens.fetch_count

    async def field_info(self, resource: str) -> list[FieldInfo]:
        """The server's field table of ``resource`` (``"SalesInvoices"``, ``"Payments"``, ...):
        ``GET /<resource>/FieldInfo/``, one typed entry per field."""
        return await _schema.fetch_field_info(self._core, resource)

    async def check_schema(self) -> list[SchemaDifference]:
        """How the server's field tables differ from the client's, for every resource the client
        models (empty when they agree): learn of drift before an export loses precision."""
        return await _schema.check_schema(self._core)

    def __repr__(self) -> str:
        return f"<BouwsoftClient client_nr={self.client_nr}>"
