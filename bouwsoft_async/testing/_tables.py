"""The fake's own field tables, transcribed from the vendor's pages (never the client's tables).

Payments and PurchaseInvoices are the rows of the newer pages' tables as printed (``name type-id
type length required writeable force-write``). The SalesInvoices page shows only JSON types
(Number, String, Boolean), so its table here is the fake's reading of each field's meaning:
amounts are tpCurrency, percentages and coordinates tpDouble, dates tpDate (or tpDateNullString
where "" means "not yet"), the rest as the JSON type says.
"""

from __future__ import annotations

from typing import Any

import attrs

from ._invoices import MONEY_FIELDS, invoice_dict

__all__ = ["TABLES", "FieldRow", "field_info_rows"]

TYPE_IDS = {
    "tpLong": 1, "tpString": 2, "tpDate": 3, "tpDouble": 4, "tpBool": 5, "tpDateNullString": 6,
    "tpTime": 7, "tpCurrency": 8, "tpTelefoon": 9, "tpEmail": 10, "tpPercent": 13,
    "tpCurrencyHD": 14, "tpFax": 15, "tpTimeDouble": 20,
}  # fmt: skip


@attrs.frozen(kw_only=True)
class FieldRow:
    """One row of a vendor field table."""

    name: str
    type_name: str
    length: int = 0
    required: bool = False
    writeable: bool = False
    force_write: bool = False
    link: str = ""

    @property
    def type_id(self) -> int:
        return TYPE_IDS[self.type_name]


def _rows(text: str) -> dict[str, FieldRow]:
    table = {}
    for row in filter(str.strip, text.splitlines()):
        name, _type_id, type_name, length, required, writeable, force = row.split()
        table[name] = FieldRow(
            name=name,
            type_name=type_name,
            length=int(length),
            required=required == "Yes",
            writeable=writeable == "Yes",
            force_write=force == "Yes",
        )
    return table


# v1_POST_Payments
PAYMENTS = _rows("""
purchaseinvoice_id 1 tpLong 0 No Yes No
purchaseinvoice_nr 1 tpLong 0 No No No
salesinvoice_id 1 tpLong 0 No Yes No
salesinvoice_type 2 tpString 50 No No No
salesinvoice_nr 1 tpLong 0 No No No
address_id 1 tpLong 0 No Yes No
address_name 2 tpString 150 No No No
paymentaccount_id 1 tpLong 0 No Yes No
paymentaccount_nr 2 tpString 100 No No No
paymentaccount_name 2 tpString 150 No No No
date 3 tpDate 0 No Yes No
amount 8 tpCurrency 0 No Yes No
paymentmethod 2 tpString 0 No No No
paymentmethod_localized 2 tpString 0 No No No
advance 5 tpBool 0 No No No
iban 2 tpString 35 No Yes No
bic 2 tpString 11 No Yes No
note 2 tpString 0 No Yes No
docnr 2 tpString 50 No Yes No
statementnr 2 tpString 50 No Yes No
externalcode 2 tpString 250 No Yes No
externalsource 1 tpLong 0 No No No
ts_lastupdate 3 tpDate 0 No No No
""")

# v1_PUT_Payments (older page): only these may be changed
PAYMENTS_PUT = frozenset({"paymentaccount_id", "amount", "iban", "bic"})

# v1_PUT_PurchaseInvoices; the POST page also lists address_city, which this table lacks: the
# fake keeps it, read-only
_VAT_LINE = """
basis{n} 8 tpCurrency 0 No Yes No
vatid{n} 1 tpLong 0 No Yes No
vatcode{n} 2 tpString 5 No Yes No
vatpercent{n} 4 tpDouble 0 No Yes No
vatcocontractor{n} 5 tpBool 0 No Yes No
amountexclvat{n} 8 tpCurrency 0 No No No
taxableamount{n} 8 tpCurrency 0 No No No
vatamount{n} 8 tpCurrency 0 No No No
amountinclvat{n} 8 tpCurrency 0 No No No
"""
PURCHASE_INVOICES = _rows(
    """
company_id 1 tpLong 0 No Yes No
nr 1 tpLong 0 No Yes No
date 3 tpDate 0 No Yes No
expirationdate 3 tpDate 0 No Yes No
nr_supplier 2 tpString 100 No Yes No
concerning 2 tpString 250 No Yes No
paymentnotification 2 tpString 200 No Yes No
ledger 1 tpLong 0 No Yes No
depreciation 4 tpDouble 0 No Yes No
accountnumber 2 tpString 30 No Yes No
address_id 1 tpLong 0 No Yes No
address_name 2 tpString 150 No Yes No
address_address 2 tpString 63 No Yes No
address_addressline2 2 tpString 63 No No No
address_countrycode 2 tpString 2 No Yes No
address_zipcode 2 tpString 15 No Yes No
address_city 2 tpString 0 No No No
address_vatnr 2 tpString 30 No Yes No
commercialdiscount 4 tpDouble 0 No Yes No
cashdiscount 4 tpDouble 0 No Yes No
cashdiscount_amount 8 tpCurrency 0 No Yes No
cashdiscount_approved 5 tpBool 0 No Yes No
"""
    + "".join(_VAT_LINE.format(n=n) for n in range(1, 6))
    + """
totalsbasedonvatcodebreakdown 5 tpBool 0 No No No
amountexclvat_total 8 tpCurrency 0 No Yes No
vatamount_total 8 tpCurrency 0 No Yes No
amountinclvat_total 8 tpCurrency 0 No No No
paid 5 tpBool 0 No Yes No
amountoutstanding 8 tpCurrency 0 No No No
amountpaid 8 tpCurrency 0 No No No
ts_lastupdate 3 tpDate 0 No No No
"""
)

_SALES_DOUBLE = {
    "address_latitude", "address_longitude", "shippingaddress_latitude",
    "shippingaddress_longitude", "vatpercent", "cashdiscount_percent",
    "creditlimitation_percent", "commercialdiscount_percent",
    *(f"vatpercent{n}" for n in range(1, 6)),
}  # fmt: skip
# as in the documented PurchaseInvoices and Payments tables, an invoice's own dates are tpDate
_SALES_DATE = {"date", "expirationdate", "chargeableevent", "ts_lastupdate"}
# dates of things that may not have happened yet ("" until then)
_SALES_DATE_OR_EMPTY = {
    "senttoaccountingsoftware_ts", "cashdiscount_expirationdate",
    "creditlimitation_expirationdate", "approved_date", "rejected_date", "sent_date",
    "einvoice_sent_ts",
}  # fmt: skip


# the page shows JSON types only: these are the fake's reading, the rest follow the JSON type
_SALES_TYPES = {
    **dict.fromkeys(MONEY_FIELDS, "tpCurrency"),
    **dict.fromkeys(_SALES_DOUBLE, "tpDouble"),
    **dict.fromkeys(_SALES_DATE, "tpDate"),
    **dict.fromkeys(_SALES_DATE_OR_EMPTY, "tpDateNullString"),
}
_JSON_TYPES = {bool: "tpBool", int: "tpLong", str: "tpString"}
SALES_INVOICES = {
    name: FieldRow(name=name, type_name=_SALES_TYPES.get(name) or _JSON_TYPES[type(value)])
    for name, value in invoice_dict(24).items()
    if name != "id"
}

TABLES: dict[str, dict[str, FieldRow]] = {
    "Payments": PAYMENTS,
    "PurchaseInvoices": PURCHASE_INVOICES,
    "SalesInvoices": SALES_INVOICES,
}


# FieldInfo's columns: the vendor's table titles and the FieldRow attributes they show
_INFO_COLUMNS = {
    "Field Name": "name", "Type Id": "type_id", "Type Name": "type_name", "Length": "length",
    "Required": "required", "Writeable": "writeable", "Force Write": "force_write", "Link": "link",
}  # fmt: skip


def _yes_no(value: Any) -> Any:
    return ("Yes" if value else "No") if isinstance(value, bool) else value


def field_info_rows(table: dict[str, FieldRow], *, strict: bool) -> list[dict[str, Any]]:
    """A FieldInfo answer's rows. No vendor page shows one: the normal fake spells them as the
    pages' table titles with Yes/No, the strict one as lower-case API names with JSON booleans."""
    if strict:
        return [
            {a.replace("_", ""): getattr(row, a) for a in _INFO_COLUMNS.values()}
            for row in table.values()
        ]
    return [
        {title: _yes_no(getattr(row, a)) for title, a in _INFO_COLUMNS.items()}
        for row in table.values()
    ]
