"""FakeRamBase: the RamBase token endpoint and ``POST finance/payments/{paymentId}/items``."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import attrs
from aiohttp import web

from ._server import FakeServer, json_answer

if TYPE_CHECKING:
    from ..rambase._client import RamBaseClient

__all__ = ["FakeRamBase"]

# the vendor page: paymentId is at least 100000, a counterparty's objectId at least 100
MIN_PAYMENT_ID = 100000
MIN_OBJECT_ID = 100
# object id: (object type, name, first name)
COUNTERPARTIES = {10234: ("CUS", "Acme Bygg AS", None), 10235: ("SUP", "Nordic Steel", "Ola")}
NO_ACCOUNT_ASSIGNMENT = 10999


def rambase_error(status: int, message: str, error_id: int | None = None) -> web.Response:
    """An error answer in RamBase's documented shape."""
    payload: dict[str, Any] = {
        "HttpStatusCode": status,
        "Message": message,
        "TranslatedMessage": message,
    }
    if error_id is not None:
        # the fake's own choice: the vendor page does not show what the link looks like
        link = f"https://api.rambase.net/system/error-messages/{error_id}"
        payload["ErrorMessage"] = {"ErrorMessageId": error_id, "ErrorMessageLink": link}
    return json_answer(payload, status)


@attrs.define(kw_only=True, slots=False, eq=False)
class FakeRamBase(FakeServer):
    """A fake RamBase on 127.0.0.1 (``async with FakeRamBase() as fake``), as the vendor page
    answers: tokens for ``client_id``/``client_secret``, payment items added to ``payments``
    (kept in ``items``); the counterparty 10999 gets 404 with error 104870, "Default account
    assignment not found"; ``amounts_as="string"`` writes amounts as JSON strings."""

    client_id: str = "fake-client-id"
    client_secret: str = attrs.field(default="fake-client-secret", repr=False)
    db: str | None = "ACME-NO"
    payments: set[int] = attrs.field(default=(100123,), converter=set)
    token_lifetime: int = 3600
    amounts_as: Literal["number", "string"] = "number"
    items: dict[int, list[dict[str, Any]]] = attrs.field(init=False, factory=dict)
    # the optional ``target`` of each token request (None when it named none)
    token_targets: list[str | None] = attrs.field(init=False, factory=list)
    unauthorized_answers: int = attrs.field(init=False, default=0)

    def client(self, **kwargs: Any) -> RamBaseClient:
        """A RamBaseClient for this fake (the fake itself never uses the client's code)."""
        from ..rambase._client import RamBaseClient

        kwargs.setdefault("client_id", self.client_id)
        kwargs.setdefault("client_secret", self.client_secret)
        kwargs.setdefault("db", self.db)
        kwargs.setdefault("base_url", self.url)
        return RamBaseClient(**kwargs)

    def build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/oauth2/access_token", self._access_token)
        app.router.add_post("/finance/payments/{payment_id}/items", self._add_item)
        return app

    async def _access_token(self, request: web.Request) -> web.Response:
        form = await request.post()
        target = form.get("target")
        self.token_targets.append(target if isinstance(target, str) else None)
        if form.get("grant_type") != "client_credentials":
            return json_answer({"error": "unsupported_grant_type"}, 400)
        if (
            form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            return rambase_error(401, "Invalid client credentials")
        token = self.issue_token(self.clock() + timedelta(seconds=self.token_lifetime))
        return json_answer(
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": str(self.token_lifetime),
                "refresh_token": secrets.token_urlsafe(24),
            }
        )

    async def _add_item(self, request: web.Request) -> web.Response:
        if "$access_token" in request.query:
            return rambase_error(400, "Send the access token in the Authorization header")
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or not self.token_works(token):
            self.unauthorized_answers += 1
            return rambase_error(401, "Access token is missing, invalid or expired")
        if request.query.get("$format") != "json":
            # RamBase answers in XML unless told otherwise
            return web.Response(
                status=400,
                text="<Error><HttpStatusCode>400</HttpStatusCode>"
                "<Message>$format=json expected by this fake</Message></Error>",
                content_type="application/xml",
            )
        if self.db is not None and request.query.get("$db") != self.db:
            return rambase_error(403, f"No access to database {request.query.get('$db')!r}")
        try:
            payment_id = int(request.match_info["payment_id"])
        except ValueError:
            return rambase_error(400, "paymentId must be an integer")
        if payment_id < MIN_PAYMENT_ID:
            return rambase_error(400, f"paymentId must be at least {MIN_PAYMENT_ID}")
        try:
            body = json.loads(await request.read(), parse_float=Decimal)
            item = body["paymentItem"]
            amount = item["totals"]["totalAmount"]
        except (ValueError, KeyError, TypeError):
            return rambase_error(400, "TotalAmount is required")
        if not isinstance(amount, (int, Decimal)) or isinstance(amount, bool):
            return rambase_error(400, "TotalAmount must be a number")
        party = item.get("counterparty") or {}
        object_id = party.get("objectId")
        if object_id is not None and (not isinstance(object_id, int) or object_id < MIN_OBJECT_ID):
            return rambase_error(400, f"ObjectId must be at least {MIN_OBJECT_ID}")
        if payment_id not in self.payments:
            return rambase_error(404, f"Payment {payment_id} not found")
        if object_id == NO_ACCOUNT_ASSIGNMENT:
            return rambase_error(404, "Default account assignment not found", 104870)
        stored = self._stored_item(payment_id, Decimal(amount), party, request)
        self.items.setdefault(payment_id, []).append(stored)
        if self.amounts_as == "string":
            return json_answer({"paymentItem": stored}, 201, decimal=str)
        return json_answer({"paymentItem": stored}, 201)

    def _stored_item(
        self, payment_id: int, amount: Decimal, party: Mapping[str, Any], request: web.Request
    ) -> dict[str, Any]:
        item_id = len(self.items.get(payment_id, [])) + 1
        object_id = party.get("objectId")
        known = COUNTERPARTIES.get(object_id) if isinstance(object_id, int) else None
        object_type = party.get("objectType") or (known[0] if known else None)
        api = f"{request.scheme}://{request.host}"
        now = self.clock().replace(microsecond=0, tzinfo=None)
        zero = Decimal("0.00")
        return {
            "paymentItemId": item_id,
            "status": 1,
            "createdAt": now.isoformat(),
            "note": None,
            "remmitanceAdvice": f"Payment {payment_id}/{item_id}",
            "remmitanceAdviceDate": now.date().isoformat(),
            "countryCode": "NO",
            "country": "Norway",
            "confirmationDate": None,
            "reportingCode": "14",
            "reportingText": "Goods",
            "systemMessage": None,
            "paymentItemBankAccount": {
                "name": "Operating account",
                "type": "BBAN",
                "accountNumber": "15036183412",
                "bankCode": None,
                "bank": {
                    "sWIFTCode": "DNBANOKK",
                    "internationalBankAccountNumber": "NO9315036183412",
                    "address": {"country": "Norway", "countryCode": "NO"},
                },
            },
            "counterparty": {
                "objectId": object_id,
                "objectType": object_type,
                "name": known[1] if known else None,
                "firstName": known[2] if known else None,
                "objectLink": f"{api}/sales/customers/{object_id}" if object_id else None,
            },
            "intercompany": {"code": None},
            "journalEntry": {
                "objectId": 300000 + item_id,
                "objectType": "CIN",
                "generalLedgerPosting": {
                    "generalLedgerPostingId": 500000 + item_id,
                    "generalLedgerPostingLink": f"{api}/finance/general-ledger-postings/"
                    f"{500000 + item_id}",
                },
                "objectLink": f"{api}/finance/journal-entries/{300000 + item_id}",
            },
            "accountsTransaction": {
                "objectId": 400000 + item_id,
                "objectType": "ART",
                "totals": {
                    "currency": "NOK",
                    "vATAmount": zero,
                    "totalAmount": amount,
                    "exchangeRate": Decimal("1.0000"),
                },
                "objectLink": f"{api}/finance/accounts-transactions/{400000 + item_id}",
            },
            "vATPosting": {
                "vATPostingId": 600000 + item_id,
                "vATPostingLink": f"{api}/finance/vat-postings/{600000 + item_id}",
            },
            "totals": {
                "generalLedgerPostingAmount": amount,
                "currency": "NOK",
                "currencyAdjustmentAmount": zero,
                "deviationAmount": zero,
                "documentAmount": amount,
                "documentQuantity": 1,
                "paymentAdvanceAmount": zero,
                "totalAmount": amount,
            },
        }
