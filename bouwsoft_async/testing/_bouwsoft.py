"""FakeBouwsoft: a Bouwsoft data and authentication server that follows the vendor's pages."""

from __future__ import annotations

import asyncio
import bisect
import inspect
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, cast

import attrs
from aiohttp import web

from ._filters import FilterSyntaxError, Node, conjuncts, fields_of, matches, parse_filter
from ._invoices import invoice_dict, invoice_ids, render_invoice
from ._server import FakeServer, Refusal, json_answer
from ._tables import TABLES
from ._writes import WritesMixin, render_record

if TYPE_CHECKING:
    from .._client import BouwsoftClient

__all__ = ["FakeBouwsoft"]

API = "/api/v1"
_ARRIVED = web.RequestKey("arrived", float)  # when the request came in
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
# where ``id <op> N`` cuts the sorted ids: the search for the first kept and the first dropped
_ID_CUTS = {
    "gt": (bisect.bisect_right, None),
    "ge": (bisect.bisect_left, None),
    "lt": (None, bisect.bisect_left),
    "le": (None, bisect.bisect_right),
    "eq": (bisect.bisect_left, bisect.bisect_right),
}


def _records(content_range: str, records: Iterable[str]) -> web.Response:
    body = f'{{"Content-Range":"{content_range}","Records":[{",".join(records)}]}}'
    return web.Response(body=body.encode(), content_type="application/json")


@attrs.define(kw_only=True, slots=False, eq=False)
class FakeBouwsoft(WritesMixin, FakeServer):
    """A fake Bouwsoft on 127.0.0.1 for tests and demos; the README lists what it serves.

    ``latency`` and ``latency_per_record`` model the server's time per request and per record
    returned. ``announced_token_lifetime`` makes ValidUntil say another lifetime than the real
    ``token_lifetime`` (a skewed clock; negative: in the past). ``strict=True`` is the most
    conservative server the evidence allows (filters: only ``eq ne gt``, ``and``/``or``, and
    parentheses). Hooks for a server that changes or misbehaves under a walk: ``hidden_ids``
    leave every list; ``before_list(query)`` (a function or a coroutine function) runs as each
    list request arrives; ``extra_records`` sends that many records more than ``limit`` asked
    for; ``total_shortfall`` makes Content-Range's total that much too small.
    """

    base_path: ClassVar[str] = API

    sales_invoices: int = 5000
    client_nr: int = 115
    refresh_token: str = attrs.field(default="fake-refresh-token", repr=False)
    access_token: str | None = attrs.field(default="fake-access-token", repr=False)
    token_lifetime: float = 3600.0
    latency: float = 0.0
    latency_per_record: float = 0.0
    max_page_size: int | None = None
    # what ValidUntil says, when it is not the truth (a skewed clock): seconds from now
    announced_token_lifetime: float | None = None
    # test hooks for a server that changes or misbehaves under a walk (see the docstring)
    hidden_ids: set[int] = attrs.field(init=False, factory=set)
    before_list: Callable[[Mapping[str, str]], Awaitable[None] | None] | None = attrs.field(
        init=False, default=None
    )
    extra_records: int = attrs.field(init=False, default=0)
    total_shortfall: int = attrs.field(init=False, default=0)

    def __attrs_post_init__(self) -> None:
        self.invoice_ids = invoice_ids(self.sales_invoices)
        self._scans: dict[tuple[Any, ...], list[int]] = {}
        if self.access_token is not None:
            self._valid_tokens[self.access_token] = None
        self._writes_init()

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

    def build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._authorize])
        app.router.add_get(f"{API}/Authorize/AccessToken", self._access_token)
        records = f"{API}/{{resource:SalesInvoices|PurchaseInvoices|Payments}}"
        app.router.add_get(records + "{slash:/?}", self._list)
        app.router.add_get(records + "/{id}", self._get)
        app.router.add_get(f"{API}/SalesInvoices/{{id}}/{{part}}", self._invoice_text)
        self.add_write_routes(app)
        return app

    @web.middleware
    async def _authorize(self, request: web.Request, handler: Any) -> web.StreamResponse:
        request[_ARRIVED] = time.monotonic()
        if self.latency:
            await asyncio.sleep(self.latency)
        if request.path != f"{API}/Authorize/AccessToken" and (
            request.headers.get("Clientnr") != str(self.client_nr)
            or not self.token_works(request.headers.get("AccessToken", ""))
        ):
            message = "Authorization has been denied for this request."
            return json_answer({"Message": message}, status=401)
        try:
            return cast(web.StreamResponse, await handler(request))
        except Refusal as refusal:
            return json_answer({"Message": refusal.message}, status=refusal.status)

    async def _access_token(self, request: web.Request) -> web.Response:
        if (
            request.headers.get("Clientnr") != str(self.client_nr)
            or request.headers.get("RefreshToken") != self.refresh_token
        ):
            raise Refusal(401, "Invalid RefreshToken.")
        now = self.clock()
        token = self.issue_token(now + timedelta(seconds=self.token_lifetime))
        announced = self.token_lifetime
        if self.announced_token_lifetime is not None:
            announced = self.announced_token_lifetime
        return json_answer(
            {
                "AccessToken": token,
                "ServerIP": "127.0.0.1",
                "ServerName": f"127.0.0.1:{self.port}",
                "Layout": "B",
                "ValidUntil": (now + timedelta(seconds=announced)).strftime("%Y-%m-%dT%H:%MZ"),
            }
        )

    def _filter_tree(self, resource: str, filter_text: str) -> Node:
        tree = parse_filter(filter_text, strict=self.strict)
        unknown = fields_of(tree) - {"id"} - set(TABLES[resource])
        if unknown:
            raise FilterSyntaxError(f"unknown field {sorted(unknown)[0]!r}")
        return tree

    def _matching_ids(self, filter_text: str | None) -> list[int]:
        """The sales invoice ids a list with this filter shows, in order."""
        ids = self.invoice_ids
        if filter_text:
            # conditions on the id cut the sorted ids; the rest are looked up in a scan
            low, high, rest = 0, len(ids), []
            for part in conjuncts(self._filter_tree("SalesInvoices", filter_text)):
                cuts = _ID_CUTS.get(part[2]) if part[:2] == ("cond", "id") else None
                if cuts is None or not isinstance(part[3], Decimal) or part[3] != int(part[3]):
                    rest.append(part)
                    continue
                first, end = cuts
                low = max(low, first(ids, int(part[3]))) if first else low
                high = min(high, end(ids, int(part[3]))) if end else high
            if rest and low < high:
                kept = self._scan(tuple(rest))
                ids = kept[
                    bisect.bisect_left(kept, ids[low]) : bisect.bisect_right(kept, ids[high - 1])
                ]
            else:
                ids = ids[low:high]
        if self.hidden_ids:
            ids = [i for i in ids if i not in self.hidden_ids]
        return ids

    def _scan(self, conditions: tuple[Node, ...]) -> list[int]:
        """The invoice ids that meet all ``conditions``; split walks ask the same filter many
        times over, so the last few scans are kept."""
        key = (conditions, id(self.invoice_ids), len(self.invoice_ids))
        if key not in self._scans:
            tree = ("and", conditions)
            if len(self._scans) >= 8:
                self._scans.clear()
            self._scans[key] = [
                i for i in self.invoice_ids if matches(tree, invoice_dict(i).__getitem__)
            ]
        return self._scans[key]

    def _listing(
        self, resource: str, filter_text: str | None
    ) -> tuple[list[int], Callable[[int], str]]:
        """The ids a list of ``resource`` shows, in order, and how to render each one."""
        if resource == "SalesInvoices":
            return self._matching_ids(filter_text), render_invoice
        records = self.payments if resource == "Payments" else self.purchase_invoices
        tree = self._filter_tree(resource, filter_text) if filter_text else None
        ids = [i for i in sorted(records) if tree is None or matches(tree, records[i].__getitem__)]
        return ids, lambda i: render_record(records[i])

    async def _list(self, request: web.Request) -> web.Response:
        query = request.query
        sort = query.get("sort", "id")
        if sort != "id":
            raise Refusal(400, f"sort on {sort!r} is not supported by this fake")
        limit = int(query.get("limit", "100")) if query.get("limit", "1").isdigit() else 0
        if limit < 1:
            raise Refusal(400, "limit must be a positive integer")
        if self.max_page_size is not None:
            limit = min(limit, self.max_page_size)
        if self.before_list is not None:
            hooked = self.before_list(query)
            if inspect.isawaitable(hooked):
                await hooked
        try:
            ids, render = self._listing(request.match_info["resource"], query.get("filter"))
        except ValueError as exc:  # FilterSyntaxError is one
            raise Refusal(400, f"Invalid filter: {exc}") from None
        chosen = ids[: limit + self.extra_records]
        total = max(len(chosen), len(ids) - self.total_shortfall)
        content_range = f"0-{len(chosen) - 1}/{total}" if chosen else "0-0/0"
        answer = _records(content_range, map(render, chosen))
        if self.latency_per_record:
            # the modelled time runs from the request's arrival: building the records, and
            # waiting while this one-threaded fake builds other pages, is part of it, not added
            # to it (a real server builds concurrent pages on several cores)
            due = request[_ARRIVED] + self.latency + self.latency_per_record * len(chosen)
            await asyncio.sleep(max(0.0, due - time.monotonic()))
        return answer

    async def _get(self, request: web.Request) -> web.Response:
        if request.match_info["resource"] == "SalesInvoices":
            return _records("0-0/1", [render_invoice(self._known_id(request))])
        return _records("0-0/1", [render_record(self.find_record(request))])

    def _known_id(self, request: web.Request) -> int:
        """The sales invoice id in the path; 404 for one that does not exist."""
        try:
            invoice_id = int(request.match_info["id"])
        except ValueError:
            raise Refusal(404, "No record found with that id.") from None
        index = bisect.bisect_left(self.invoice_ids, invoice_id)
        if self.invoice_ids[index : index + 1] != [invoice_id]:
            raise Refusal(404, "No record found with that id.")
        return invoice_id

    async def _invoice_text(self, request: web.Request) -> web.Response:
        part, _, fmt = request.match_info["part"].partition("_")
        if part not in _TEXT_WORDS or fmt not in _TEXT_PARTS:
            raise Refusal(404, "Unknown resource.")
        number = 20120000 + self._known_id(request)
        content_type, template = _TEXT_PARTS[fmt]
        text = f"{_TEXT_WORDS[part]} voor factuur {number} (niet aanpassen aub)"
        return web.Response(text=template.format(text=text), content_type=content_type)
