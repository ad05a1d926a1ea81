"""The write side of FakeBouwsoft: PurchaseInvoices, Payments and Upload, held in memory.

VAT lines and totals are computed from ``basis1..5``, ``vatpercent1..5``, ``commercialdiscount``
and ``cashdiscount_amount`` the way the vendor's examples show; money is Decimal inside and
printed as the vendor's binary floats on the wire.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from aiohttp import BodyPartReader, web

from ._invoices import wire_value
from ._server import Fault, Refusal, json_answer
from ._tables import PAYMENTS, PAYMENTS_PUT, PURCHASE_INVOICES, TABLES, FieldRow, field_info_rows

__all__ = ["WritesMixin", "render_record"]

API = "/api/v1"
_CENT = Decimal("0.01")
_encode = json.encoder.encode_basestring_ascii
# one ``name=value`` of ``columns``: text in single quotes (``''`` is a quote), True/False, a number
_COLUMN = re.compile(r"([A-Za-z_]\w*)=(?:'((?:[^']|'')*)'|(True|False)|(-?\d+(?:\.\d+)?))(?:,|\Z)")
# a new record's fields before the columns are applied, by type; text and dates are ""
_BLANK = {"tpLong": 0, "tpBool": False, "tpCurrency": Decimal(0), "tpDouble": Decimal(0)}
_DOUBLES = frozenset(
    name for name, spec in PURCHASE_INVOICES.items() if spec.type_name == "tpDouble"
)
_VAT_SLOTS = [(7, "21", 21, False), (23, "21B", 21, False), (8, "21M", 21, True),
              (28, "6B", 6, False), (1, "0", 0, False)]  # fmt: skip
# the fields of PUT /Payments' answer, as the vendor's example (no ts_lastupdate)
_PAYMENT_PUT_ANSWER = ("id", "paymentaccount_id", "paymentaccount_nr", "paymentaccount_name",
                       "amount", "iban", "bic")  # fmt: skip


def _read_columns(
    request: web.Request, table: dict[str, FieldRow], writeable: frozenset[str] | None = None
) -> dict[str, Any]:
    """The ``columns`` parameter, each value checked against the field's row of ``table``."""
    text = request.query.get("columns")
    if text is None:
        raise Refusal(400, "the columns parameter is missing")
    values: dict[str, Any] = {}
    position = 0
    while position < len(text):
        match = _COLUMN.match(text, position)
        if match is None:
            raise Refusal(400, f"can't read columns at {text[position : position + 20]!r}")
        position = match.end()
        name, quoted, flag, number = match.groups()
        spec = table.get(name)
        if spec is None:
            raise Refusal(400, f"unknown field {name}")
        if not spec.writeable or (writeable is not None and name not in writeable):
            raise Refusal(400, f"field {name} is not writeable")
        value: Any
        if quoted is not None:
            value = quoted.replace("''", "'")
        elif flag:
            value = flag == "True"
        else:
            value = Decimal(number)
        values[name] = _typed(spec, value)
    return values


def _typed(spec: FieldRow, value: Any) -> Any:
    kind = spec.type_name
    wanted: type[Any] = (
        str if kind in ("tpString", "tpDate") else bool if kind == "tpBool" else Decimal
    )
    if type(value) is not wanted:
        raise Refusal(400, f"{spec.name} ({kind}) can't take {value!r}")
    if kind == "tpDate":
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError as exc:
            raise Refusal(400, f"{spec.name}: {exc}") from None
    if spec.length and len(value) > spec.length:
        raise Refusal(400, f"{spec.name} is longer than {spec.length}")
    if kind == "tpLong":
        if value != value.to_integral_value():
            raise Refusal(400, f"{spec.name} takes an integer")
        return int(value)
    if kind == "tpCurrency" and value != value.quantize(Decimal("0.0001")):
        raise Refusal(400, f"{spec.name} has more than 4 decimals")
    return value


def render_record(record: dict[str, Any]) -> str:
    parts = []
    for name, value in record.items():
        if name.startswith("_"):
            continue
        if isinstance(value, Decimal):
            integral = value == value.to_integral_value() and name in _DOUBLES
            value = int(value) if integral else float(value)
        parts.append(f"{_encode(name)}:{wire_value(value)}")
    return "{" + ",".join(parts) + "}"


def _changes(status: int, records: list[dict[str, Any]]) -> web.Response:
    body = '{"RecordChanges":[' + ",".join(map(render_record, records)) + "]}"
    return web.Response(status=status, body=body.encode(), content_type="application/json")


def _blank(record_id: int, table: dict[str, FieldRow], **fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"id": record_id}
    record.update({name: _BLANK.get(spec.type_name, "") for name, spec in table.items()})
    record.update(date=date.today().isoformat(), **fields)
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
    record["ts_lastupdate"] = _now_stamp()


def _now_stamp() -> str:
    return datetime.now().strftime("%Y-%m-%d %H:%M:%S")


class WritesMixin:
    """Routes and state for the writes; mixed into FakeBouwsoft."""

    strict: bool
    add_fault: Callable[..., Fault]

    def _writes_init(self) -> None:
        # what FieldInfo serves: the fake's own tables, per fake, for a test to change
        self.field_tables = {resource: dict(table) for resource, table in TABLES.items()}
        self.purchase_invoices: dict[int, dict[str, Any]] = {}
        self.payments: dict[int, dict[str, Any]] = {}
        self.uploads: dict[int, list[dict[str, Any]]] = {}
        self._next_purchase_invoice = (884, 202000122)
        self._next_payment = 903

    def add_write_routes(self, app: web.Application) -> None:
        app.router.add_post(f"{API}/PurchaseInvoices{{slash:/?}}", self._create_purchase_invoice)
        app.router.add_post(f"{API}/Payments{{slash:/?}}", self._create_payment)
        app.router.add_put(f"{API}/PurchaseInvoices/{{id}}", self._update_purchase_invoice)
        app.router.add_put(f"{API}/Payments/{{id}}", self._update_payment)
        app.router.add_delete(f"{API}/PurchaseInvoices/{{id}}", self._delete_purchase_invoice)
        app.router.add_post(f"{API}/PurchaseInvoices/{{id}}/Upload", self._upload)
        app.router.add_put(f"{API}/PurchaseInvoices/{{id}}/Upload", self._upload)
        app.router.add_get(f"{API}/{{resource:{'|'.join(TABLES)}}}/FieldInfo/", self._field_info)

    def drop_connection_after_write(
        self, *, method: str = "POST", path_contains: str = "/Payments", times: int = 1
    ) -> Fault:
        """Apply the next matching write(s), then cut the connection before answering."""
        return self.add_fault(
            status=None, after_handling=True, method=method, path_contains=path_contains,
            times=times,
        )  # fmt: skip

    def find_record(self, request: web.Request) -> dict[str, Any]:
        """The stored record the path names; 404 for one that does not exist."""
        records = self.payments if "/Payments/" in request.path else self.purchase_invoices
        try:
            return records[int(request.match_info["id"])]
        except (KeyError, ValueError):
            raise Refusal(404, "No record found with that id.") from None

    async def _create_purchase_invoice(self, request: web.Request) -> web.Response:
        values = _read_columns(request, PURCHASE_INVOICES)
        invoice_id, nr = self._next_purchase_invoice
        self._next_purchase_invoice = (invoice_id + 1, nr + 1)
        record = _blank(invoice_id, PURCHASE_INVOICES, company_id=1, nr=nr)
        record.update(depreciation=Decimal(100), address_countrycode="BE")
        record["_paid_by_payments"] = Decimal(0)
        for n, (vatid, code, percent, cocontractor) in enumerate(_VAT_SLOTS, start=1):
            record.update({
                f"vatid{n}": vatid, f"vatcode{n}": code, f"vatpercent{n}": Decimal(percent),
                f"vatcocontractor{n}": cocontractor,
            })  # fmt: skip
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
        self.purchase_invoices[invoice_id] = record
        return _changes(201, [record])

    async def _update_purchase_invoice(self, request: web.Request) -> web.Response:
        record = self.find_record(request)
        values = _read_columns(request, PURCHASE_INVOICES)
        before = dict(record)
        record.update(values)
        _recompute(record, "paid" in values)
        changed = {k: v for k, v in record.items() if k == "id" or before.get(k) != v}
        changed.pop("ts_lastupdate", None)
        if not self.strict:  # the older vendor pages show PUT answers without it
            changed["ts_lastupdate"] = record["ts_lastupdate"]
        return _changes(200, [changed])

    async def _delete_purchase_invoice(self, request: web.Request) -> web.Response:
        invoice_id = self.find_record(request)["id"]
        del self.purchase_invoices[invoice_id]
        self.uploads.pop(invoice_id, None)
        # the page's text says 200, its examples 204
        return web.Response(status=204) if self.strict else json_answer({})

    async def _upload(self, request: web.Request) -> web.Response:
        invoice_id = self.find_record(request)["id"]
        if not request.content_type.startswith("multipart/"):
            raise Refusal(400, "expected multipart/form-data with a file")
        async for part in await request.multipart():
            if isinstance(part, BodyPartReader) and part.name == "file":
                content = await part.read()
                break
        else:
            raise Refusal(400, "no file part")
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
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
        values = _read_columns(request, PAYMENTS)
        invoice = None
        if values.get("purchaseinvoice_id"):
            invoice = self.purchase_invoices.get(values["purchaseinvoice_id"])
            if invoice is None:
                raise Refusal(400, "purchaseinvoice_id: no such purchase invoice")
        payment_id = self._next_payment
        self._next_payment += 1
        record = _blank(payment_id, PAYMENTS, ts_lastupdate=_now_stamp())
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
        self.payments[payment_id] = record
        answer = dict(record)
        if self.strict:  # the older vendor page answers the number as a string
            answer["purchaseinvoice_nr"] = str(record["purchaseinvoice_nr"])
        return _changes(201, [answer])

    async def _update_payment(self, request: web.Request) -> web.Response:
        record = self.find_record(request)
        values = _read_columns(request, PAYMENTS, PAYMENTS_PUT)
        record.update(values, ts_lastupdate=_now_stamp())
        if "paymentaccount_id" in values:
            number = values["paymentaccount_id"]
            record.update(
                paymentaccount_nr=f"BE67 0013 3231 {number:02d} 87" if number else "",
                paymentaccount_name="Use IT Group NV" if number else "",
            )
        return _changes(200, [{name: record[name] for name in _PAYMENT_PUT_ANSWER}])

    async def _field_info(self, request: web.Request) -> web.Response:
        rows = field_info_rows(
            self.field_tables[request.match_info["resource"]], strict=self.strict
        )
        if self.strict:  # no page shows this answer: the strict fake sends a bare list
            return json_answer(rows)
        return json_answer({"Content-Range": f"0-{len(rows) - 1}/{len(rows)}", "Records": rows})
