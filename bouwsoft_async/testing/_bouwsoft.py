"""FakeBouwsoft: a Bouwsoft data and authentication server that follows the vendor's pages."""

from __future__ import annotations

import asyncio
import bisect
import contextvars
import inspect
import json
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from aiohttp import web

from ._filters import FilterSyntaxError, Node, conjuncts, fields_of, matches, parse_filter
from ._invoices import FIELD_NAMES, invoice_field, invoice_ids, render_invoice, varying_fields
from ._server import FakeServer
from ._writes import WritesMixin

# when the request being handled arrived (the handler runs in the middleware's task)
_arrived: contextvars.ContextVar[float] = contextvars.ContextVar("arrived")

if TYPE_CHECKING:
    from .._client import BouwsoftClient

__all__ = ["FakeBouwsoft"]

API = "/api/v1"
_TEXT_PARTS = {
    "plain": ("text/plain", "{text}"),
    "html": (
        "text/html",
        '<HTML><BODY>\n<DIV STYLE="text-align: left;"><SPAN STYLE="font-family: Montserrat;'
        'font-size: 11pt;color: #000000;">{text}</SPAN></DIV>\n</BODY></HTML>',
    ),
    "rtf": (
        "application/rtf",
        "{{\\rtf1\\ansi\\deff0{{\\fonttbl{{\\f0\\fnil Montserrat;}}}}{{\\colortbl ;\\red0\\green0"
        "\\blue0;}}{{*\\generator Spikesoft 16.02;}}\\ql\\li0\\f0\\fs22\\cf1 {text}}}",
    ),
}
_TEXT_WORDS = {"introduction": "Inleiding", "conclusion": "Slot"}


def _json(payload: Any, status: int = 200) -> web.Response:
    return web.Response(
        status=status, body=json.dumps(payload).encode(), content_type="application/json"
    )


def _matches_invoice(tree: Node, invoice_id: int) -> bool:
    varying = varying_fields(invoice_id)

    def value_of(name: str) -> Any:
        return invoice_field(invoice_id, name, varying)

    return matches(tree, value_of)


def _error(status: int, message: str) -> web.Response:
    return _json({"Message": message}, status=status)


class FakeBouwsoft(WritesMixin, FakeServer):
    """A fake Bouwsoft on 127.0.0.1 for tests and demos: ``async with FakeBouwsoft() as fake``.

    It serves the token endpoint and ``GET /SalesInvoices`` (list with ``limit``, ``sort=id``,
    ``filter`` and Content-Range in the body; one by id; the six text sub-resources) with
    ``sales_invoices`` deterministic invoices computed from their id. It answers 401 for a wrong
    Clientnr or a wrong or expired token, 404 for an unknown id and 400 for a filter it can't
    parse. ``latency`` and ``latency_per_record`` model the server's time per request and per
    record returned. ``add_fault()`` injects misbehaviour; ``requests`` logs what came in.
    ``announced_token_lifetime`` makes ValidUntil say another lifetime than the real
    ``token_lifetime`` (a server whose clock differs from the client's; negative: in the past).
    ``strict=True`` behaves like the most conservative server the evidence allows (queries are
    only percent-decoded: a ``+`` is a plus sign; filters: only ``eq ne gt`` with ``and``/``or``
    and parentheses, ``ge lt le`` are a 400).

    Hooks for a server that changes or misbehaves under a walk: ``hidden_ids`` leave every list
    (paid, credited, deleted); ``before_list(query)`` (a function or a coroutine function) runs
    as each list request arrives, before it is answered; ``extra_records`` sends that many
    records more than ``limit`` asked for; ``total_shortfall`` makes Content-Range's total that
    much too small.
    """

    def __init__(
        self,
        *,
        sales_invoices: int = 5000,
        client_nr: int = 115,
        refresh_token: str = "fake-refresh-token",
        access_token: str | None = "fake-access-token",
        token_lifetime: float = 3600.0,
        latency: float = 0.0,
        latency_per_record: float = 0.0,
        max_page_size: int | None = None,
        strict: bool = False,
        announced_token_lifetime: float | None = None,
    ) -> None:
        super().__init__(strict=strict)
        # what ValidUntil says, when it is not the truth (a skewed clock): seconds from now
        self.announced_token_lifetime = announced_token_lifetime
        self.client_nr = client_nr
        self.refresh_token = refresh_token
        self.access_token = access_token
        self.token_lifetime = token_lifetime
        self.latency = latency
        self.latency_per_record = latency_per_record
        self.max_page_size = max_page_size
        self.invoice_ids = invoice_ids(sales_invoices)
        self._valid_tokens: dict[str, datetime | None] = {}
        if access_token is not None:
            self._valid_tokens[access_token] = None
        self.tokens_issued = 0
        self._scans: dict[tuple[Any, ...], list[int]] = {}
        # test hooks for a server that changes or misbehaves under a walk (see ``_list_invoices``)
        self.hidden_ids: set[int] = set()
        self.before_list: Callable[[Mapping[str, str]], Awaitable[None] | None] | None = None
        self.extra_records = 0
        self.total_shortfall = 0
        self._listed: tuple[Any, list[int]] | None = None
        self._listed_version = 0
        self._writes_init()

    # -- for tests -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL of the API (``http://127.0.0.1:<port>/api/v1``); also the auth URL."""
        return self.origin + API

    def expire_tokens(self) -> None:
        """Make every token issued so far (and the fixed one) stop working, as at ValidUntil."""
        self._valid_tokens.clear()

    def client(self, **kwargs: Any) -> BouwsoftClient:
        """A BouwsoftClient for this fake: the token flow unless ``access_token=`` is given."""
        from .._client import BouwsoftClient

        if "access_token" in kwargs:
            kwargs.setdefault("base_url", self.url)
        else:
            kwargs.setdefault("refresh_token", self.refresh_token)
            kwargs.setdefault("auth_url", self.url)
        kwargs.setdefault("client_nr", self.client_nr)
        return BouwsoftClient(**kwargs)

    # -- app -------------------------------------------------------------------------------

    def build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._authorize])
        app.router.add_get(f"{API}/Authorize/AccessToken", self._access_token)
        app.router.add_get(f"{API}/SalesInvoices", self._list_invoices)
        app.router.add_get(f"{API}/SalesInvoices/", self._list_invoices)
        app.router.add_get(f"{API}/SalesInvoices/{{id}}", self._get_invoice)
        app.router.add_get(f"{API}/SalesInvoices/{{id}}/{{part}}", self._invoice_text)
        self.add_write_routes(app)
        return app

    @web.middleware
    async def _authorize(self, request: web.Request, handler: Any) -> web.StreamResponse:
        _arrived.set(time.monotonic())
        if self.latency:
            await asyncio.sleep(self.latency)
        if request.path == f"{API}/Authorize/AccessToken":
            return cast(web.StreamResponse, await handler(request))
        if request.headers.get("Clientnr") != str(self.client_nr):
            return _error(401, "Authorization has been denied for this request.")
        token = request.headers.get("AccessToken", "")
        if token not in self._valid_tokens:
            return _error(401, "Authorization has been denied for this request.")
        valid_until = self._valid_tokens[token]
        if valid_until is not None and datetime.now(UTC) >= valid_until:
            return _error(401, "Authorization has been denied for this request.")
        return cast(web.StreamResponse, await handler(request))

    async def _access_token(self, request: web.Request) -> web.Response:
        if (
            request.headers.get("Clientnr") != str(self.client_nr)
            or request.headers.get("RefreshToken") != self.refresh_token
        ):
            return _error(401, "Invalid RefreshToken.")
        token = secrets.token_urlsafe(24)
        now = datetime.now(UTC)
        valid_until = now + timedelta(seconds=self.token_lifetime)
        self._valid_tokens[token] = valid_until
        self.tokens_issued += 1
        if self.announced_token_lifetime is not None:
            valid_until = now + timedelta(seconds=self.announced_token_lifetime)
        return _json(
            {
                "AccessToken": token,
                "ServerIP": "127.0.0.1",
                "ServerName": f"127.0.0.1:{self.port}",
                "Layout": "B",
                "ValidUntil": valid_until.strftime("%Y-%m-%dT%H:%MZ"),
            }
        )

    def _matching_ids(self, filter_text: str | None) -> list[int]:
        ids = self._listed_ids()
        if not filter_text:
            return ids
        tree = parse_filter(filter_text, strict=self.strict)
        unknown = fields_of(tree) - {"id"} - set(FIELD_NAMES)
        if unknown:
            raise FilterSyntaxError(f"unknown field {sorted(unknown)[0]!r}")
        low, high = 0, len(ids)
        rest: list[Node] = []
        for part in conjuncts(tree):
            if part[0] == "cond" and part[1] == "id" and part[2] != "ne":
                _, _, op, value = part
                bound = int(value) if isinstance(value, Decimal) and value == int(value) else None
                if bound is None:
                    rest.append(part)
                elif op == "gt":
                    low = max(low, bisect.bisect_right(ids, bound))
                elif op == "ge":
                    low = max(low, bisect.bisect_left(ids, bound))
                elif op == "lt":
                    high = min(high, bisect.bisect_left(ids, bound))
                elif op == "le":
                    high = min(high, bisect.bisect_right(ids, bound))
                else:  # eq
                    low = max(low, bisect.bisect_left(ids, bound))
                    high = min(high, bisect.bisect_right(ids, bound))
            else:
                rest.append(part)
        if not rest:
            return ids[low:high] if low < high else []
        if low >= high:
            return []
        # split walks ask the same non-id filter many times over: scan the ids once for it
        key = (tuple(rest), self._listed_version)
        kept = self._scans.get(key)
        if kept is None:
            rest_tree: Node = ("and", tuple(rest))
            kept = [invoice_id for invoice_id in ids if _matches_invoice(rest_tree, invoice_id)]
            if len(self._scans) >= 8:
                self._scans.clear()
            self._scans[key] = kept
        start = bisect.bisect_left(kept, ids[low])
        end = bisect.bisect_right(kept, ids[high - 1])
        return kept[start:end]

    def _listed_ids(self) -> list[int]:
        """The invoice ids a list shows now: ``invoice_ids`` without the hidden ones."""
        key = (id(self.invoice_ids), len(self.invoice_ids), frozenset(self.hidden_ids))
        if self._listed is None or self._listed[0] != key:
            kept = [i for i in self.invoice_ids if i not in self.hidden_ids]
            self._listed = (key, kept)
            self._listed_version += 1
        return self._listed[1]

    async def _list_invoices(self, request: web.Request) -> web.Response:
        query = request.query
        sort = query.get("sort", "id")
        if sort != "id":
            return _error(400, f"sort on {sort!r} is not supported by this fake")
        try:
            limit = int(query.get("limit", "100"))
            if limit < 1:
                raise ValueError
        except ValueError:
            return _error(400, "limit must be a positive integer")
        if self.max_page_size is not None:
            limit = min(limit, self.max_page_size)
        if self.before_list is not None:
            hooked = self.before_list(query)
            if inspect.isawaitable(hooked):
                await hooked
        try:
            ids = self._matching_ids(query.get("filter"))
        except (FilterSyntaxError, ValueError) as exc:
            return _error(400, f"Invalid filter: {exc}")
        chosen = ids[: limit + self.extra_records]
        total = max(len(chosen), len(ids) - self.total_shortfall)
        content_range = f"0-{len(chosen) - 1}/{total}" if chosen else "0-0/0"
        body = (
            '{"Content-Range":"'
            + content_range
            + '","Records":['
            + ",".join(map(render_invoice, chosen))
            + "]}"
        ).encode()
        if self.latency_per_record:
            # the modelled time runs from the request's arrival: building the records, and
            # waiting while this one-threaded fake builds other pages, is part of it, not added
            # to it (a real server builds concurrent pages on several cores)
            due = _arrived.get() + self.latency + self.latency_per_record * len(chosen)
            await asyncio.sleep(max(0.0, due - time.monotonic()))
        return web.Response(body=body, content_type="application/json")

    def _known_id(self, request: web.Request) -> int | None:
        try:
            invoice_id = int(request.match_info["id"])
        except ValueError:
            return None
        index = bisect.bisect_left(self.invoice_ids, invoice_id)
        if index < len(self.invoice_ids) and self.invoice_ids[index] == invoice_id:
            return invoice_id
        return None

    async def _get_invoice(self, request: web.Request) -> web.Response:
        invoice_id = self._known_id(request)
        if invoice_id is None:
            return _error(404, "No record found with that id.")
        body = '{"Content-Range":"0-0/1","Records":[' + render_invoice(invoice_id) + "]}"
        return web.Response(body=body.encode(), content_type="application/json")

    async def _invoice_text(self, request: web.Request) -> web.Response:
        part, _, fmt = request.match_info["part"].partition("_")
        if part not in _TEXT_WORDS or fmt not in _TEXT_PARTS:
            return _error(404, "Unknown resource.")
        invoice_id = self._known_id(request)
        if invoice_id is None:
            return _error(404, "No record found with that id.")
        content_type, template = _TEXT_PARTS[fmt]
        text = f"{_TEXT_WORDS[part]} voor factuur {20120000 + invoice_id} (niet aanpassen aub)"
        return web.Response(text=template.format(text=text), content_type=content_type)
