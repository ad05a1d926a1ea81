"""The write side of FakeBouwsoft: PurchaseInvoices, Payments and Upload, held in memory.

VAT lines and totals are computed from ``basis1..5``, ``vatpercent1..5``, ``commercialdiscount``
and ``cashdiscount_amount`` the way the vendor's examples show; money is Decimal inside and
printed as the vendor's binary floats on the wire.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from aiohttp import BodyPartReader, web

from ._filters import FilterSyntaxError, matches, parse_filter
from ._invoices import wire_value
from ._tables import PAYMENTS, PAYMENTS_PUT, PURCHASE_INVOICES, TABLES, FieldRow, field_info_rows

__all__ = ["ColumnsSyntaxError", "WritesMixin", "parse_columns"]

API = "/api/v1"
_CENT = Decimal("0.01")
_encode = json.encoder.encode_basestring_ascii


class ColumnsSyntaxError(ValueError):
    pass


def parse_columns(text: str) -> list[tuple[str, Any]]:
    """Read ``name=value,...``: text in single quotes (``''`` is a quote), True/False, numbers."""
    pairs: list[tuple[str, Any]] = []
    i, n = 0, len(text)
    while i < n:
        eq = text.find("=", i)
        if eq < 0:
            raise ColumnsSyntaxError(f"no '=' after {text[i : i + 20]!r}")
        name = text[i:eq]
        if not name.isidentifier():
            raise ColumnsSyntaxError(f"bad field name {name!r}")
        j = eq + 1
        value: Any
        if j < n and text[j] == "'":
            chunks, j = [], j + 1
            while True:
                end = text.find("'", j)
                if end < 0:
                    raise ColumnsSyntaxError(f"unterminated text for {name}")
                chunks.append(text[j:end])
                if end + 1 < n and text[end + 1] == "'":
                    chunks.append("'")
                    j = end + 2
                    continue
                j = end + 1
                break
            value = "".join(chunks)
        else:
            end = text.find(",", j)
            end = n if end < 0 else end
            raw = text[j:end]
            j = end
            if raw in ("True", "False"):
                value = raw == "True"
            else:
                try:
                    value = Decimal(raw)
                except ArithmeticError:
                    raise ColumnsSyntaxError(f"bad value for {name}: {raw!r}") from None
                if not value.is_finite() or "e" in raw.lower():
                    raise ColumnsSyntaxError(f"bad number for {name}: {raw!r}")
        pairs.append((name, value))
        if j < n:
            if text[j] != ",":
                raise ColumnsSyntaxError(f"expected ',' after {name}")
            j += 1
        i = j
    return pairs


def _typed(spec: FieldRow, value: Any) -> Any:
    kind = spec.type_name
    if kind in ("tpString", "tpTelefoon", "tpEmail", "tpFax", "tpTime"):
        if not isinstance(value, str):
            raise ColumnsSyntaxError(f"{spec.name} takes quoted text")
        if spec.length and len(value) > spec.length:
            raise ColumnsSyntaxError(f"{spec.name} is longer than {spec.length}")
        return value
    if kind == "tpDate":
        if not isinstance(value, str):
            raise ColumnsSyntaxError(f"{spec.name} takes a quoted date")
        return date.fromisoformat(value).isoformat()
    if kind == "tpBool":
        if not isinstance(value, bool):
            raise ColumnsSyntaxError(f"{spec.name} takes True or False")
        return value
    if not isinstance(value, Decimal):
        raise ColumnsSyntaxError(f"{spec.name} takes a number")
    if kind == "tpLong":
        if value != value.to_integral_value():
            raise ColumnsSyntaxError(f"{spec.name} takes an integer")
        return int(value)
    if kind == "tpCurrency" and value != value.quantize(Decimal("0.0001")):
        raise ColumnsSyntaxError(f"{spec.name} has more than 4 decimals")
    return value


def _render(record: dict[str, Any]) -> str:
    parts = []
    for name, value in record.items():
        if isinstance(value, Decimal):
            wire: Any = (
                int(value)
                if value == value.to_integral_value() and name in _DOUBLES
                else float(value)
            )
        else:
            wire = value
        parts.append(f"{_encode(name)}:{wire_value(wire)}")
    return "{" + ",".join(parts) + "}"


_DOUBLES = frozenset(
    name for name, spec in PURCHASE_INVOICES.items() if spec.type_name == "tpDouble"
)

_VAT_SLOTS = [(7, "21", 21, False), (23, "21B", 21, False), (8, "21M", 21, True),
              (28, "6B", 6, False), (1, "0", 0, False)]  # fmt: skip


def _new_purchase_invoice(invoice_id: int, nr: int) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": invoice_id, "company_id": 1, "nr": nr, "date": date.today().isoformat(),
        "expirationdate": "", "nr_supplier": "", "concerning": "", "paymentnotification": "",
        "ledger": 0, "depreciation": Decimal(100), "accountnumber": "", "address_id": 0,
        "address_name": "", "address_address": "", "address_addressline2": "",
        "address_countrycode": "BE", "address_zipcode": "", "address_city": "",
        "address_vatnr": "", "commercialdiscount": Decimal(0), "cashdiscount": Decimal(0),
        "cashdiscount_amount": Decimal("0.0"), "cashdiscount_approved": False,
    }  # fmt: skip
    for n, (vatid, code, pct, cocontractor) in enumerate(_VAT_SLOTS, start=1):
        record.update({
            f"basis{n}": Decimal("0.0"), f"vatid{n}": vatid, f"vatcode{n}": code,
            f"vatpercent{n}": Decimal(pct), f"vatcocontractor{n}": cocontractor,
            f"amountexclvat{n}": Decimal("0.0"), f"taxableamount{n}": Decimal("0.0"),
            f"vatamount{n}": Decimal("0.0"), f"amountinclvat{n}": Decimal("0.0"),
        })  # fmt: skip
    record.update({
        "totalsbasedonvatcodebreakdown": False, "amountexclvat_total": Decimal("0.0"),
        "vatamount_total": Decimal("0.0"), "amountinclvat_total": Decimal("0.0"),
        "paid": False, "amountoutstanding": Decimal("0.0"), "amountpaid": Decimal("0.0"),
        "ts_lastupdate": "",
    })  # fmt: skip
    return record


def _recompute(record: dict[str, Any], paid_set: bool) -> None:
    """Derived fields, as the vendor's examples show them."""
    discount = 1 - record["commercialdiscount"] / 100
    cash = record["cashdiscount_amount"]
    lines = range(1, 6)
    breakdown = any(record[f"basis{n}"] != 0 for n in lines)
    if breakdown:
        for n in lines:
            excl = (record[f"basis{n}"] * discount).quantize(_CENT, ROUND_HALF_UP)
            taxable = excl - (cash if n == 1 else 0)
            vat = (taxable * record[f"vatpercent{n}"] / 100).quantize(_CENT, ROUND_HALF_UP)
            record[f"amountexclvat{n}"] = excl
            record[f"taxableamount{n}"] = taxable
            record[f"vatamount{n}"] = vat
            record[f"amountinclvat{n}"] = excl + vat
        if cash and record["amountexclvat1"]:
            record["cashdiscount"] = (cash / record["amountexclvat1"] * 100).quantize(
                Decimal("0.000001")
            )
        record["totalsbasedonvatcodebreakdown"] = True
        record["amountexclvat_total"] = sum((record[f"basis{n}"] for n in lines), Decimal(0))
        record["vatamount_total"] = sum((record[f"vatamount{n}"] for n in lines), Decimal(0))
        record["amountinclvat_total"] = sum(
            (record[f"amountinclvat{n}"] for n in lines), Decimal(0)
        )
    else:
        record["amountinclvat_total"] = record["amountexclvat_total"] + record["vatamount_total"]
    if paid_set and record["paid"]:
        record["amountpaid"] = record["amountinclvat_total"] - cash
    record["amountoutstanding"] = record["amountinclvat_total"] - record["_paid_by_payments"]


def _now_stamp() -> str:
    return datetime.now().strftime("%Y-%m-%d %H:%M:%S")


def _json(payload: Any, status: int) -> web.Response:
    return web.Response(
        status=status, body=json.dumps(payload).encode(), content_type="application/json"
    )


def _changes(status: int, records: list[dict[str, Any]]) -> web.Response:
    body = '{"RecordChanges":[' + ",".join(_render(r) for r in records) + "]}"
    return web.Response(status=status, body=body.encode(), content_type="application/json")


class WritesMixin:
    """Routes and state for the writes; mixed into FakeBouwsoft."""

    strict: bool

    def _writes_init(self) -> None:
        # what FieldInfo serves: the fake's own tables, per fake, for a test to change
        self.field_tables: dict[str, dict[str, FieldRow]] = {
            resource: dict(table) for resource, table in TABLES.items()
        }
        self.purchase_invoices: dict[int, dict[str, Any]] = {}
        self.payments: dict[int, dict[str, Any]] = {}
        self.uploads: dict[int, list[dict[str, Any]]] = {}
        self._next_purchase_invoice = (884, 202000122)
        self._next_payment = 903

    def add_write_routes(self, app: web.Application) -> None:
        app.router.add_post(f"{API}/PurchaseInvoices", self._create_purchase_invoice)
        app.router.add_post(f"{API}/PurchaseInvoices/", self._create_purchase_invoice)
        app.router.add_get(f"{API}/PurchaseInvoices/", self._list_purchase_invoices)
        app.router.add_get(f"{API}/PurchaseInvoices", self._list_purchase_invoices)
        app.router.add_get(f"{API}/PurchaseInvoices/{{id}}", self._get_purchase_invoice)
        app.router.add_put(f"{API}/PurchaseInvoices/{{id}}", self._update_purchase_invoice)
        app.router.add_post(f"{API}/PurchaseInvoices/{{id}}/Upload", self._upload)
        app.router.add_put(f"{API}/PurchaseInvoices/{{id}}/Upload", self._upload)
        app.router.add_post(f"{API}/Payments", self._create_payment)
        app.router.add_post(f"{API}/Payments/", self._create_payment)
        app.router.add_get(f"{API}/Payments/", self._list_payments)
        app.router.add_get(f"{API}/Payments", self._list_payments)
        app.router.add_get(f"{API}/Payments/{{id}}", self._get_payment)
        app.router.add_put(f"{API}/Payments/{{id}}", self._update_payment)
        app.router.add_delete(f"{API}/PurchaseInvoices/{{id}}", self._delete_purchase_invoice)
        for resource in TABLES:
            app.router.add_get(f"{API}/{resource}/FieldInfo/", self._field_info)

    def drop_connection_after_write(
        self, *, method: str = "POST", path_contains: str = "/Payments", times: int = 1
    ) -> Any:
        """Apply the next matching write(s), then cut the connection before answering."""
        return self.add_fault(  # type: ignore[attr-defined]
            status=None,
            after_handling=True,
            method=method,
            path_contains=path_contains,
            times=times,
        )

    # -- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _read_columns(
        request: web.Request, table: dict[str, FieldRow], writeable: frozenset[str] | None = None
    ) -> dict[str, Any]:
        raw = request.query.get("columns")
        if raw is None:
            raise ColumnsSyntaxError("the columns parameter is missing")
        values: dict[str, Any] = {}
        for name, value in parse_columns(raw):
            spec = table.get(name)
            if spec is None:
                raise ColumnsSyntaxError(f"unknown field {name}")
            if not spec.writeable or (writeable is not None and name not in writeable):
                raise ColumnsSyntaxError(f"field {name} is not writeable")
            values[name] = _typed(spec, value)
        return values

    @staticmethod
    def _public(record: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in record.items() if not k.startswith("_")}

    def _list(self, request: web.Request, records: dict[int, dict[str, Any]]) -> web.Response:
        query = request.query
        if query.get("sort", "id") != "id":
            return _json({"Message": "sort is only supported on id in this fake"}, 400)
        try:
            limit = int(query.get("limit", "100"))
            tree = (
                parse_filter(query["filter"], strict=getattr(self, "strict", False))
                if query.get("filter")
                else None
            )
            ids = sorted(records)
            chosen = [i for i in ids if tree is None or matches(tree, records[i].__getitem__)]
        except (ValueError, KeyError, FilterSyntaxError) as exc:
            return _json({"Message": f"Invalid filter: {exc}"}, 400)
        page = chosen[:limit]
        content_range = f"0-{len(page) - 1}/{len(chosen)}" if page else "0-0/0"
        body = (
            '{"Content-Range":"' + content_range + '","Records":['
            + ",".join(_render(WritesMixin._public(records[i])) for i in page) + "]}"
        )  # fmt: skip
        return web.Response(body=body.encode(), content_type="application/json")

    @staticmethod
    def _one(request: web.Request, records: dict[int, dict[str, Any]]) -> web.Response:
        try:
            record = records[int(request.match_info["id"])]
        except (KeyError, ValueError):
            return _json({"Message": "No record found with that id."}, 404)
        body = '{"Content-Range":"0-0/1","Records":[' + _render(WritesMixin._public(record)) + "]}"
        return web.Response(body=body.encode(), content_type="application/json")

    # -- PurchaseInvoices ------------------------------------------------------------------

    async def _create_purchase_invoice(self, request: web.Request) -> web.Response:
        try:
            values = self._read_columns(request, PURCHASE_INVOICES)
        except (ColumnsSyntaxError, ValueError) as exc:
            return _json({"Message": str(exc)}, 400)
        invoice_id, nr = self._next_purchase_invoice
        self._next_purchase_invoice = (invoice_id + 1, nr + 1)
        record = _new_purchase_invoice(invoice_id, nr)
        record["_paid_by_payments"] = Decimal(0)
        record.update(values)
        if "expirationdate" not in values and record["date"]:
            record["expirationdate"] = (
                date.fromisoformat(record["date"]) + timedelta(days=30)
            ).isoformat()
        if record["address_id"] and not record["address_name"]:
            record.update(
                address_name="DirkAPISupp", address_address="Molleweg 9",
                address_zipcode="8377", address_city="Meetkerke",
            )  # fmt: skip
        _recompute(record, "paid" in values)
        record["ts_lastupdate"] = _now_stamp()
        self.purchase_invoices[invoice_id] = record
        return _changes(201, [self._public(record)])

    async def _update_purchase_invoice(self, request: web.Request) -> web.Response:
        try:
            record = self.purchase_invoices[int(request.match_info["id"])]
        except (KeyError, ValueError):
            return _json({"Message": "No record found with that id."}, 404)
        try:
            values = self._read_columns(request, PURCHASE_INVOICES)
        except (ColumnsSyntaxError, ValueError) as exc:
            return _json({"Message": str(exc)}, 400)
        before = dict(record)
        record.update(values)
        _recompute(record, "paid" in values)
        record["ts_lastupdate"] = _now_stamp()
        changed = {"id": record["id"]}
        changed.update(
            {k: v for k, v in self._public(record).items() if k != "id" and before.get(k) != v}
        )
        changed.pop("ts_lastupdate", None)
        if not self.strict:  # the older vendor pages show PUT answers without it
            changed["ts_lastupdate"] = record["ts_lastupdate"]
        return _changes(200, [changed])

    async def _list_purchase_invoices(self, request: web.Request) -> web.Response:
        return self._list(request, self.purchase_invoices)

    async def _get_purchase_invoice(self, request: web.Request) -> web.Response:
        return self._one(request, self.purchase_invoices)

    async def _upload(self, request: web.Request) -> web.Response:
        try:
            invoice_id = int(request.match_info["id"])
        except ValueError:
            return _json({"Message": "bad id"}, 400)
        if invoice_id not in self.purchase_invoices:
            return _json({"Message": "No record found with that id."}, 404)
        if not request.content_type.startswith("multipart/"):
            return _json({"Message": "expected multipart/form-data with a file"}, 400)
        reader = await request.multipart()
        while True:
            part = await reader.next()
            if part is None:
                return _json({"Message": "no file part"}, 400)
            if isinstance(part, BodyPartReader) and part.name == "file":
                content = await part.read()
                name = part.filename or "upload"
                break
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        record = {
            "name": name, "path_display": ".", "path_lower": ".", "id": "",
            "client_modified": stamp, "server_modified": stamp, "rev": "",
            "size": len(content), "is_downloadable": True,
            "checksum": base64.b64encode(hashlib.sha256(content).digest()).decode(),
        }  # fmt: skip
        files = self.uploads.setdefault(invoice_id, [])
        if request.method == "PUT":
            files.clear()
        files.append({**record, "content": bytes(content)})
        return _changes(201, [record])

    # -- Payments --------------------------------------------------------------------------

    async def _create_payment(self, request: web.Request) -> web.Response:
        try:
            values = self._read_columns(request, PAYMENTS)
        except (ColumnsSyntaxError, ValueError) as exc:
            return _json({"Message": str(exc)}, 400)
        invoice = None
        if values.get("purchaseinvoice_id"):
            invoice = self.purchase_invoices.get(values["purchaseinvoice_id"])
            if invoice is None:
                return _json({"Message": "purchaseinvoice_id: no such purchase invoice"}, 400)
        payment_id = self._next_payment
        self._next_payment += 1
        record: dict[str, Any] = {
            "id": payment_id, "purchaseinvoice_id": 0, "purchaseinvoice_nr": 0,
            "salesinvoice_id": 0, "salesinvoice_type": "", "salesinvoice_nr": 0,
            "address_id": 0, "address_name": "", "paymentaccount_id": 0,
            "paymentaccount_nr": "", "paymentaccount_name": "", "date": date.today().isoformat(),
            "amount": Decimal("0.0"), "paymentmethod": "", "paymentmethod_localized": "",
            "advance": False, "iban": "", "bic": "", "note": "", "docnr": "", "statementnr": "",
            "externalcode": "", "externalsource": 0, "ts_lastupdate": _now_stamp(),
        }  # fmt: skip
        record.update(values)
        if invoice is not None:
            record.update(
                purchaseinvoice_nr=invoice["nr"], address_id=invoice["address_id"],
                address_name=invoice["address_name"],
            )  # fmt: skip
            invoice["_paid_by_payments"] += record["amount"]
            invoice["amountpaid"] = invoice["_paid_by_payments"]
            _recompute(invoice, paid_set=False)
            invoice["paid"] = invoice["amountoutstanding"] <= 0
            invoice["ts_lastupdate"] = _now_stamp()
        self.payments[payment_id] = record
        answer = dict(record)
        if self.strict:  # the older vendor page answers the number as a string
            answer["purchaseinvoice_nr"] = str(record["purchaseinvoice_nr"])
        return _changes(201, [answer])

    async def _update_payment(self, request: web.Request) -> web.Response:
        try:
            record = self.payments[int(request.match_info["id"])]
        except (KeyError, ValueError):
            return _json({"Message": "No record found with that id."}, 404)
        try:
            values = self._read_columns(request, PAYMENTS, PAYMENTS_PUT)
        except (ColumnsSyntaxError, ValueError) as exc:
            return _json({"Message": str(exc)}, 400)
        record.update(values)
        if "paymentaccount_id" in values:
            number = values["paymentaccount_id"]
            record.update(
                paymentaccount_nr=f"BE67 0013 3231 {number:02d} 87" if number else "",
                paymentaccount_name="Use IT Group NV" if number else "",
            )
        record["ts_lastupdate"] = _now_stamp()
        # as the vendor's example: every field of the PUT table, no ts_lastupdate
        names = ("id", "paymentaccount_id", "paymentaccount_nr", "paymentaccount_name",
                 "amount", "iban", "bic")  # fmt: skip
        return _changes(200, [{name: record[name] for name in names}])

    async def _delete_purchase_invoice(self, request: web.Request) -> web.Response:
        try:
            del self.purchase_invoices[int(request.match_info["id"])]
        except (KeyError, ValueError):
            return _json({"Message": "No record found with that id."}, 404)
        self.uploads.pop(int(request.match_info["id"]), None)
        # the page's text says 200, its examples 204
        return web.Response(status=204) if self.strict else _json({}, 200)

    async def _field_info(self, request: web.Request) -> web.Response:
        table = self.field_tables[request.path.split("/")[3]]
        rows = field_info_rows(table, strict=self.strict)
        if self.strict:  # no page shows this answer: the strict fake sends a bare list
            return _json(rows, 200)
        return _json({"Content-Range": f"0-{len(rows) - 1}/{len(rows)}", "Records": rows}, 200)

    async def _list_payments(self, request: web.Request) -> web.Response:
        return self._list(request, self.payments)

    async def _get_payment(self, request: web.Request) -> web.Response:
        return self._one(request, self.payments)
