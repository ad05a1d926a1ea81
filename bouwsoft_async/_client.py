"""``BouwsoftClient`` and Bouwsoft's ApiProfile: how it gets, sends and loses its tokens."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from typing import Any, Unpack

from ._auth import Grant
from ._convert import decode_json, try_decode_json
from ._core import ClientBase, ClientOptions, Core, check_text
from ._errors import DecodeError, ValidationError, first_error
from ._fields import FIELD_TABLES
from ._listing import validate_id
from ._payments import Payments
from ._protocol import (
    check_base_url,
    data_headers,
    data_server_url,
    fits_a_header,
    parse_valid_until,
    redact_error,
    resource_url,
    token_headers,
    vendor_error_of,
)
from ._purchase_invoices import PurchaseInvoices
from ._sales_invoices import SalesInvoices
from ._schema import FieldInfo, SchemaDifference, compare_tables, read_field_info

__all__ = ["DEFAULT_AUTH_URL", "ONE_TOKEN", "BouwsoftClient", "BouwsoftProfile"]

DEFAULT_AUTH_URL = "https://charon.bouwsoft.be/api/v1"


ONE_TOKEN = (
    "give exactly one of access_token (with the data server's base URL) and refresh_token, "
    "not both and not neither"
)


class BouwsoftProfile:
    """Bouwsoft: a fixed AccessToken, or one fetched with a RefreshToken."""

    def __init__(
        self,
        *,
        client_nr: int,
        access_token: str | None,
        refresh_token: str | None,
        base_url: str | None,
        auth_url: str,
    ) -> None:
        self.client_nr = client_nr
        self.common_params: Mapping[str, str] = {}
        self._refresh_token = refresh_token
        self._base_url = base_url
        self._auth_url = auth_url
        self._secrets = [token for token in (access_token, refresh_token) if token]
        self.fixed = (
            Grant(
                token=access_token,
                base_url=base_url,
                headers=data_headers(client_nr, access_token),
            )
            if access_token is not None and base_url is not None
            else None
        )

    def secrets(self) -> list[str]:
        return self._secrets

    async def fetch_grant(self, core: Core) -> Grant:
        assert self._refresh_token is not None
        response = await core.request(
            "GET",
            resource_url(self._auth_url, "Authorize", "AccessToken"),
            idempotent=True,  # asking for a token changes nothing on the server
            extra_headers=token_headers(self.client_nr, self._refresh_token),
        )
        # no excerpt of this body in any message: it holds the new AccessToken
        payload = try_decode_json(response.body)
        if payload is None:
            raise DecodeError(f"the token answer is not JSON ({len(response.body)} bytes)")
        token = payload.get("AccessToken") if isinstance(payload, Mapping) else None
        if not isinstance(token, str) or not token:
            raise DecodeError("the token answer has no AccessToken (a non-empty string)")
        if not fits_a_header(token):
            raise DecodeError(
                "the token answer's AccessToken holds a character no header can carry"
            )
        return Grant(
            token=token,
            headers=data_headers(self.client_nr, token),
            valid_until=parse_valid_until(payload.get("ValidUntil")),
            base_url=self._base_url or data_server_url(self._auth_url, payload.get("ServerName")),
        )

    @staticmethod
    def error_details(payload: Any) -> tuple[str | None, int | None, str | None]:
        # the vendor's own error record ({"RecordChanges":[{"Code","Description","RequestId"}]})
        # first, then the usual message keys
        vendor = vendor_error_of(payload)
        if vendor is not None:
            return vendor.description, None, vendor.request_id
        if isinstance(payload, Mapping):
            for key in ("Message", "message", "Error", "error", "ErrorMessage", "detail"):
                value = payload.get(key)
                if isinstance(value, str) and value.strip():
                    return value.strip(), None, None
        return None, None, None


class BouwsoftClient(ClientBase):
    """An asyncio client for one Bouwsoft customer (``client_nr``): a fixed ``access_token``
    and its ``base_url``, or a ``refresh_token`` (the data server from the token answer)."""

    def __init__(
        self,
        *,
        client_nr: int,
        access_token: str | None = None,
        refresh_token: str | None = None,
        base_url: str | None = None,
        auth_url: str = DEFAULT_AUTH_URL,
        **options: Unpack[ClientOptions],
    ) -> None:
        validate_id(client_nr, "client_nr")
        if (access_token is None) == (refresh_token is None):
            raise ValidationError(ONE_TOKEN)
        if access_token is not None and not base_url:
            raise ValidationError(
                "an access_token needs the data server's base_url", field="base_url"
            )
        if base_url is not None:
            base_url = check_base_url(base_url, field="base_url")
        for name, value in (("access_token", access_token), ("refresh_token", refresh_token)):
            check_text(name, value, optional=True)
            if value is not None and not fits_a_header(value):
                raise ValidationError(
                    f"{name} holds a line break or another character no header can carry",
                    field=name,
                )

        self.client_nr = client_nr
        profile = BouwsoftProfile(
            client_nr=client_nr,
            access_token=access_token,
            refresh_token=refresh_token,
            base_url=base_url,
            auth_url=check_base_url(auth_url, field="auth_url"),
        )
        super().__init__(profile, options)
        self.sales_invoices = SalesInvoices(self._core, max_concurrency=self._max_concurrency)
        self.purchase_invoices = PurchaseInvoices(self._core, max_concurrency=self._max_concurrency)
        self.payments = Payments(self._core, max_concurrency=self._max_concurrency)

    async def field_info(self, resource: str) -> list[FieldInfo]:
        """The server's field table of ``resource`` (``"SalesInvoices"``, ``"Payments"``, ...):
        ``GET /<resource>/FieldInfo/``, one typed entry per field."""
        if not isinstance(resource, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", resource):
            raise ValidationError(
                f"{resource!r} is not a resource name such as 'SalesInvoices'", field="resource"
            )
        response = await self._core.request("GET", (resource, "FieldInfo", ""), idempotent=True)
        secrets = self._core.secrets()
        payload = decode_json(response.body, secrets)
        try:
            return read_field_info(payload)
        except DecodeError as exc:
            # the error quotes the answer, which may echo a secret
            error = redact_error(exc, secrets)
        raise error  # outside the except block: the unredacted original is not its context

    async def check_schema(self) -> list[SchemaDifference]:
        """How the server's field tables differ from the client's, for every resource the client
        models (empty when they agree): learn of drift before an export loses precision."""
        try:
            async with asyncio.TaskGroup() as group:
                tasks = {name: group.create_task(self.field_info(name)) for name in FIELD_TABLES}
        except ExceptionGroup as errors:
            # the caller gets one of our errors, as from any other call, not a group of them
            raise first_error(errors) from None
        return [
            difference
            for resource, table in FIELD_TABLES.items()
            for difference in compare_tables(resource, table, tasks[resource].result())
        ]

    def __repr__(self) -> str:
        return f"<BouwsoftClient client_nr={self.client_nr}>"
