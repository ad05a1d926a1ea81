"""FakeBouwsoft: a Bouwsoft data and authentication server that follows the vendor's pages."""

from __future__ import annotations

import asyncio
import base64
import bisect
import hashlib
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, cast

import attrs
from aiohttp import BodyPartReader, web

from ._filters import FilterSyntaxError, Node, conjuncts, fields_of, matches, parse_filter
from ._invoices import invoice_dict, invoice_ids, invoice_record
from ._server import FakeServer, Fault, Refusal, json_answer
from ._tables import (
    PAYMENTS,
    PAYMENTS_PUT,
    PURCHASE_INVOICES,
    TABLES,
    FieldRow,
    field_info_rows,
)
from ._writes import blank_record, read_columns, recompute, render_record

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
_VAT_SLOTS = [(7, "21", 21, False), (23, "21B", 21, False), (8, "21M", 21, True),
              (28, "6B", 6, False), (1, "0", 0, False)]  # fmt: skip
# the fields of PUT /Payments' answer, as the vendor's example (no ts_lastupdate)
_PAYMENT_PUT_ANSWER = ("id", "paymentaccount_id", "paymentaccount_nr", "paymentaccount_name",
                       "amount", "iban", "bic")  # fmt: skip
_NOT_FOUND = "No record found with that id."


def _records(records: list[Any], content_range: str = "0-0/1") -> web.Response:
    return json_answer({"Content-Range": content_range, "Records": records})


def _changes(status: int, records: list[dict[str, Any]]) -> web.Response:
    return json_answer({"RecordChanges": list(map(render_record, records))}, status)


@attrs.define(kw_only=True, slots=False, eq=False)
class FakeBouwsoft(FakeServer):
    """A fake Bouwsoft on 127.0.0.1 for tests and demos; the README lists what it serves."""

    base_path: ClassVar[str] = API

    sales_invoices: int = 5000
    client_nr: int = 115
    refresh_token: str = attrs.field(default="fake-refresh-token", repr=False)
    access_token: str = attrs.field(default="fake-access-token", repr=False)
    token_lifetime: float = 3600.0
    latency: float = 0.0
    latency_per_record: float = 0.0
    max_page_size: int | None = None
    # what ValidUntil says, when not the truth (a skewed clock): seconds from now
    announced_token_lifetime: float | None = None
    # a server that changes or misbehaves under a walk: ids that leave every list, a hook each
    # list request awaits, records sent beyond ``limit``, how much Content-Range's total is short
    hidden_ids: set[int] = attrs.field(init=False, factory=set)
    before_list: Callable[[Mapping[str, str]], Awaitable[None]] | None = attrs.field(
        init=False, default=None
    )
    extra_records: int = attrs.field(init=False, default=0)
    total_shortfall: int = attrs.field(init=False, default=0)
    # what FieldInfo serves: the fake's own tables, per fake, for a test to change
    field_tables: dict[str, dict[str, FieldRow]] = attrs.field(
        init=False, factory=lambda: {resource: dict(table) for resource, table in TABLES.items()}
    )
    purchase_invoices: dict[int, dict[str, Any]] = attrs.field(init=False, factory=dict)
    payments: dict[int, dict[str, Any]] = attrs.field(init=False, factory=dict)
    uploads: dict[int, list[dict[str, Any]]] = attrs.field(init=False, factory=dict)
    _next_purchase_invoice: tuple[int, int] = attrs.field(init=False, default=(884, 202000122))
    _next_payment: int = attrs.field(init=False, default=903)
    _scans: dict[tuple[Any, ...], list[int]] = attrs.field(init=False, factory=dict)

    def __attrs_post_init__(self) -> None:
        self.invoice_ids = invoice_ids(self.sales_invoices)
        self._valid_tokens[self.access_token] = None  # it never expires

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

    def drop_connection_after_write(
        self, *, method: str = "POST", path_contains: str = "/Payments", times: int = 1
    ) -> Fault:
        """Apply the next matching write(s), then cut the connection before answering."""
        return self.add_fault(
            status=None, after_handling=True, method=method, path_contains=path_contains,
            times=times,
        )  # fmt: skip

    def _today(self) -> date:
        """Today on the fake's clock, in the server's local time (as ``_stamp``)."""
        return self.clock().astimezone().date()

    def _stamp(self) -> str:
        """Now on the fake's clock as a ``ts_lastupdate``: the server's local time."""
        return self.clock().astimezone().strftime("%Y-%m-%d %H:%M:%S")

    def build_app(self) -> web.Application:
        # a scanned PDF is often several MiB; aiohttp's default refuses over 1 MiB (413)
        app = web.Application(middlewares=[self._authorize], client_max_size=64 * 1024 * 1024)
        add = app.router.add_route
        records = f"{API}/{{resource:{'|'.join(TABLES)}}}"
        add("GET", f"{API}/Authorize/AccessToken", self._access_token)
        add("GET", records + "{slash:/?}", self._list)
        add("GET", records + "/{id}", self._get)
        add("GET", f"{API}/SalesInvoices/{{id}}/{{part}}", self._invoice_text)
        add("GET", records + "/FieldInfo/", self._field_info)
        add("POST", f"{API}/PurchaseInvoices{{slash:/?}}", self._create_purchase_invoice)
        add("POST", f"{API}/Payments{{slash:/?}}", self._create_payment)
        add("PUT", f"{API}/PurchaseInvoices/{{id}}", self._update_purchase_invoice)
        add("PUT", f"{API}/Payments/{{id}}", self._update_payment)
        add("DELETE", f"{API}/PurchaseInvoices/{{id}}", self._delete_purchase_invoice)
        add("POST", f"{API}/PurchaseInvoices/{{id}}/Upload", self._upload)
        add("PUT", f"{API}/PurchaseInvoices/{{id}}/Upload", self._upload)
        return app

    @web.middleware
    async def _authorize(self, request: web.Request, handler: Any) -> web.StreamResponse:
        request[_ARRIVED] = time.monotonic()
        if self.latency:
            await asyncio.sleep(self.latency)
        try:
            if request.path != f"{API}/Authorize/AccessToken" and (
                request.headers.get("Clientnr") != str(self.client_nr)
                or not self.token_works(request.headers.get("AccessToken", ""))
            ):
                raise Refusal(401, "Authorization has been denied for this request.")
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
                # "Z": UTC, whatever zone the clock's datetimes are in
                "ValidUntil": (now + timedelta(seconds=announced))
                .astimezone(UTC)
                .strftime("%Y-%m-%dT%H:%MZ"),
            }
        )

    # -- reads ---------------------------------------------------------------------------------

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
        return [i for i in ids if i not in self.hidden_ids] if self.hidden_ids else ids

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
    ) -> tuple[list[int], Callable[[int], Any]]:
        """The ids a list of ``resource`` shows, in order, and each one's record."""
        if resource == "SalesInvoices":
            return self._matching_ids(filter_text), invoice_record
        records = self.payments if resource == "Payments" else self.purchase_invoices
        tree = self._filter_tree(resource, filter_text) if filter_text else None
        ids = [i for i in sorted(records) if tree is None or matches(tree, records[i].__getitem__)]
        return ids, lambda i: render_record(records[i])

    async def _list(self, request: web.Request) -> web.Response:
        query = request.query
        sort = query.get("sort", "id")
        if sort != "id":
            raise Refusal(400, f"sort on {sort!r} is not supported by this fake")
        try:
            limit = int(query.get("limit", "100"))
        except ValueError:  # "²" is a digit to isdigit() but not to int()
            limit = 0
        if limit < 1:
            raise Refusal(400, "limit must be a positive integer")
        if self.max_page_size is not None:
            limit = min(limit, self.max_page_size)
        if self.before_list is not None:
            await self.before_list(query)
        try:
            ids, record = self._listing(request.match_info["resource"], query.get("filter"))
        except ValueError as exc:  # FilterSyntaxError is one
            raise Refusal(400, f"Invalid filter: {exc}") from None
        chosen = ids[: limit + self.extra_records]
        total = max(len(chosen), len(ids) - self.total_shortfall)
        content_range = f"0-{len(chosen) - 1}/{total}" if chosen else "0-0/0"
        answer = _records(list(map(record, chosen)), content_range)
        if self.latency_per_record:
            # the modelled time runs from the request's arrival: building the records, and
            # waiting while this one-threaded fake builds other pages, is part of it, not added
            # to it (a real server builds concurrent pages on several cores)
            due = request[_ARRIVED] + self.latency + self.latency_per_record * len(chosen)
            await asyncio.sleep(max(0.0, due - time.monotonic()))
        return answer

    async def _get(self, request: web.Request) -> web.Response:
        if request.match_info["resource"] == "SalesInvoices":
            return _records([invoice_record(self._known_id(request))])
        return _records([render_record(self._stored(request))])

    def _known_id(self, request: web.Request) -> int:
        """The sales invoice id in the path; 404 for one that does not exist."""
        try:
            invoice_id = int(request.match_info["id"])
        except ValueError:
            raise Refusal(404, _NOT_FOUND) from None
        index = bisect.bisect_left(self.invoice_ids, invoice_id)
        if self.invoice_ids[index : index + 1] != [invoice_id]:
            raise Refusal(404, _NOT_FOUND)
        return invoice_id

    async def _invoice_text(self, request: web.Request) -> web.Response:
        part, _, fmt = request.match_info["part"].partition("_")
        if part not in _TEXT_WORDS or fmt not in _TEXT_PARTS:
            raise Refusal(404, "Unknown resource.")
        number = 20120000 + self._known_id(request)
        content_type, template = _TEXT_PARTS[fmt]
        text = f"{_TEXT_WORDS[part]} voor factuur {number} (niet aanpassen aub)"
        return web.Response(text=template.format(text=text), content_type=content_type)

    async def _field_info(self, request: web.Request) -> web.Response:
        table = self.field_tables[request.match_info["resource"]]
        rows = field_info_rows(table, strict=self.strict)
        if self.strict:  # no page shows this answer: the strict fake sends a bare list
            return json_answer(rows)
        return json_answer({"Content-Range": f"0-{len(rows) - 1}/{len(rows)}", "Records": rows})

    # -- writes --------------------------------------------------------------------------------

    def _stored(self, request: web.Request) -> dict[str, Any]:
        """The stored record the path names; 404 for one that does not exist."""
        records = self.payments if "/Payments/" in request.path else self.purchase_invoices
        try:
            return records[int(request.match_info["id"])]
        except (KeyError, ValueError):
            raise Refusal(404, _NOT_FOUND) from None

    async def _create_purchase_invoice(self, request: web.Request) -> web.Response:
        values = read_columns(request, PURCHASE_INVOICES)
        invoice_id, nr = self._next_purchase_invoice
        self._next_purchase_invoice = (invoice_id + 1, nr + 1)
        record = blank_record(invoice_id, PURCHASE_INVOICES, self._today(), company_id=1, nr=nr)
        record.update(depreciation=Decimal(100), address_countrycode="BE")
        record["_paid_by_payments"] = Decimal(0)
        for n, (vatid, code, percent, cocontractor) in enumerate(_VAT_SLOTS, start=1):
            record.update({
                f"vatid{n}": vatid, f"vatcode{n}": code, f"vatpercent{n}": Decimal(percent),
                f"vatcocontractor{n}": cocontractor,
            })  # fmt: skip
        record.update(values)
        if "expirationdate" not in values and record["date"]:
            try:
                due = date.fromisoformat(record["date"]) + timedelta(days=30)
            except OverflowError:  # past 9999-12-31: the last day a date holds
                due = date.max
            record["expirationdate"] = due.isoformat()
        if record["address_id"] and not record["address_name"]:
            record.update(
                address_name="DirkAPISupp", address_address="Molleweg 9",
                address_zipcode="8377", address_city="Meetkerke",
            )  # fmt: skip
        recompute(record, "paid" in values, stamp=self._stamp())
        self.purchase_invoices[invoice_id] = record
        return _changes(201, [record])

    async def _update_purchase_invoice(self, request: web.Request) -> web.Response:
        record = self._stored(request)
        values = read_columns(request, PURCHASE_INVOICES)
        before = dict(record)
        record.update(values)
        recompute(record, "paid" in values, stamp=self._stamp())
        changed = {k: v for k, v in record.items() if k == "id" or before.get(k) != v}
        changed.pop("ts_lastupdate", None)
        if not self.strict:  # the older vendor pages show PUT answers without it
            changed["ts_lastupdate"] = record["ts_lastupdate"]
        return _changes(200, [changed])

    async def _delete_purchase_invoice(self, request: web.Request) -> web.Response:
        invoice_id = self._stored(request)["id"]
        del self.purchase_invoices[invoice_id]
        self.uploads.pop(invoice_id, None)
        # the page's text says 200, its examples 204
        return web.Response(status=204) if self.strict else json_answer({})

    async def _upload(self, request: web.Request) -> web.Response:
        invoice_id = self._stored(request)["id"]
        if not request.content_type.startswith("multipart/"):
            raise Refusal(400, "expected multipart/form-data with a file")
        async for part in await request.multipart():
            if isinstance(part, BodyPartReader) and part.name == "file":
                content = await part.read()
                break
        else:
            raise Refusal(400, "no file part")
        stamp = self.clock().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        record = {
            "name": part.filename or "upload", "path_display": ".", "path_lower": ".", "id": "",
            "client_modified": stamp, "server_modified": stamp, "rev": "",
            "size": len(content), "is_downloadable": True,
            "checksum": base64.b64encode(hashlib.sha256(content).digest()).decode(),
        }  # fmt: skip
        files = self.uploads.setdefault(invoice_id, [])
        if request.method == "PUT":
            files.clear()
        files.append({**record, "content": bytes(content)})
        return _changes(201, [record])

    async def _create_payment(self, request: web.Request) -> web.Response:
        values = read_columns(request, PAYMENTS)
        invoice = None
        if values.get("purchaseinvoice_id"):
            invoice = self.purchase_invoices.get(values["purchaseinvoice_id"])
            if invoice is None:
                raise Refusal(400, "purchaseinvoice_id: no such purchase invoice")
        payment_id = self._next_payment
        self._next_payment += 1
        record = blank_record(payment_id, PAYMENTS, self._today(), ts_lastupdate=self._stamp())
        record.update(values)
        if invoice is not None:
            record.update(
                purchaseinvoice_nr=invoice["nr"], address_id=invoice["address_id"],
                address_name=invoice["address_name"],
            )  # fmt: skip
            invoice["_paid_by_payments"] += record["amount"]
            invoice["amountpaid"] = invoice["_paid_by_payments"]
            recompute(invoice, paid_set=False, stamp=self._stamp())
            invoice["paid"] = invoice["amountoutstanding"] <= 0
        self.payments[payment_id] = record
        answer = dict(record)
        if self.strict:  # the older vendor page answers the number as a string
            answer["purchaseinvoice_nr"] = str(record["purchaseinvoice_nr"])
        return _changes(201, [answer])

    async def _update_payment(self, request: web.Request) -> web.Response:
        record = self._stored(request)
        values = read_columns(request, PAYMENTS, PAYMENTS_PUT)
        record.update(values, ts_lastupdate=self._stamp())
        if "paymentaccount_id" in values:
            number = values["paymentaccount_id"]
            record.update(
                paymentaccount_nr=f"BE67 0013 3231 {number:02d} 87" if number else "",
                paymentaccount_name="Use IT Group NV" if number else "",
            )
        return _changes(200, [{name: record[name] for name in _PAYMENT_PUT_ANSWER}])
