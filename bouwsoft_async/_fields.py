"""The vendors' field tables, and the validation and encoding of writes against them.

The tables are the rows of the vendor pages, copied verbatim (``name type-id type length required
writeable force-write``), so a reviewer can diff them against ``shared/api-docs``. A write is
checked field by field against its table before anything is sent: unknown field, read-only field,
wrong type, text too long, money with more than 4 decimals all raise ValidationError.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, cast

import attrs

from ._errors import ValidationError
from ._protocol import MAX_CURRENCY_DECIMALS, encode_columns, encode_value

__all__ = ["PAYMENT_FIELDS", "PURCHASE_INVOICE_FIELDS", "FieldSpec", "encode_write"]

Kind = Literal["tpLong", "tpString", "tpDate", "tpBool", "tpDouble", "tpCurrency"]


@attrs.frozen(kw_only=True)
class FieldSpec:
    """One row of a vendor field table."""

    name: str
    kind: Kind
    length: int
    writeable: bool


def _table(rows: str) -> Mapping[str, FieldSpec]:
    table: dict[str, FieldSpec] = {}
    for row in filter(str.strip, rows.splitlines()):
        name, _type_id, kind, length, _required, writeable, _force = row.split()
        assert kind in ("tpLong", "tpString", "tpDate", "tpBool", "tpDouble", "tpCurrency"), row
        table[name] = FieldSpec(
            name=name,
            kind=cast(Kind, kind),
            length=int(length),
            writeable=writeable == "Yes",
        )
    return table


# 000_5dd8ca57a822e4d3.txt, POST /Payments
PAYMENT_FIELDS = _table("""
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

# 002_3276b44058afa804.txt, PUT /PurchaseInvoices/{id}; POST uses the same resource. The page's
# table has no row for address_city although the POST page lists the field: the one row below
# that is ours, not the vendor's. It is known but not writeable until FieldInfo says otherwise.
PURCHASE_INVOICE_FIELDS = _table("""
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
""" + "".join(f"""
basis{n} 8 tpCurrency 0 No Yes No
vatid{n} 1 tpLong 0 No Yes No
vatcode{n} 2 tpString 5 No Yes No
vatpercent{n} 4 tpDouble 0 No Yes No
vatcocontractor{n} 5 tpBool 0 No Yes No
amountexclvat{n} 8 tpCurrency 0 No No No
taxableamount{n} 8 tpCurrency 0 No No No
vatamount{n} 8 tpCurrency 0 No No No
amountinclvat{n} 8 tpCurrency 0 No No No""" for n in range(1, 6)) + """
totalsbasedonvatcodebreakdown 5 tpBool 0 No No No
amountexclvat_total 8 tpCurrency 0 No Yes No
vatamount_total 8 tpCurrency 0 No Yes No
amountinclvat_total 8 tpCurrency 0 No No No
paid 5 tpBool 0 No Yes No
amountoutstanding 8 tpCurrency 0 No No No
amountpaid 8 tpCurrency 0 No No No
ts_lastupdate 3 tpDate 0 No No No
""")  # fmt: skip


def _check_type(spec: FieldSpec, value: Any) -> None:
    def wrong(expected: str) -> ValidationError:
        return ValidationError(
            f"{spec.name} ({spec.kind}) must be {expected}, not {type(value).__name__} {value!r}",
            field=spec.name,
        )

    if value is None:
        raise ValidationError(
            f"{spec.name}: None can't be sent (leave the field out to keep it as it is)",
            field=spec.name,
        )
    kind = spec.kind
    if kind == "tpLong":
        if isinstance(value, bool) or not isinstance(value, int):
            raise wrong("an int")
    elif kind == "tpBool":
        if not isinstance(value, bool):
            raise wrong("a bool")
    elif kind == "tpDate":
        if isinstance(value, datetime) or not isinstance(value, date):
            raise wrong("a datetime.date")
    elif kind == "tpString":
        if not isinstance(value, str):
            raise wrong("a str")
        if spec.length and len(value) > spec.length:
            raise ValidationError(
                f"{spec.name} is at most {spec.length} characters, got {len(value)}",
                field=spec.name,
            )
    elif kind in ("tpCurrency", "tpDouble"):
        # money never travels through float; a float here is a rounding bug waiting to happen
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            raise wrong("a Decimal or an int (floats are refused: use Decimal)")
        if isinstance(value, Decimal) and not value.is_finite():
            raise ValidationError(
                f"{spec.name} must be a finite number, not {value}", field=spec.name
            )


def encode_write(
    table: Mapping[str, FieldSpec], fields: Mapping[str, Any], *, resource: str
) -> tuple[str, dict[str, Any]]:
    """Validate ``fields`` against ``table`` and encode them as the ``columns`` parameter.

    Returns the parameter text and the fields as sent (in the caller's order).
    """
    if not fields:
        raise ValidationError(f"a write to {resource} needs at least one field")
    encoded: list[tuple[str, str]] = []
    for name, value in fields.items():
        spec = table.get(name)
        if spec is None:
            raise ValidationError(f"{resource} has no field {name!r}", field=name)
        if not spec.writeable:
            raise ValidationError(
                f"{resource}.{name} is computed by the server and is not writeable", field=name
            )
        _check_type(spec, value)
        max_decimals = MAX_CURRENCY_DECIMALS if spec.kind == "tpCurrency" else None
        encoded.append((name, encode_value(value, field=name, max_decimals=max_decimals)))
    return encode_columns(encoded), dict(fields)
