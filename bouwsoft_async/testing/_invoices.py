"""Deterministic, realistic sales invoices computed from their id (nothing is stored).

Amounts are whole cents held as floats and printed the way the vendor prints a ``tpCurrency``
(``%.15f``: ``4571.399999999999636``), so clients meet the real float noise.
"""

from __future__ import annotations

import functools
import itertools
from datetime import date, datetime, timedelta
from typing import Any, cast

import orjson

_NAMES = [
    ("Iserbyt", "Stefaniestraat 48", "2018", "Antwerpen 1", "Antwerpen"),
    ("SABBE BEDRIJF", "HOUTHULSTSTRAAT 76", "8840", "Staden", "West-Vlaanderen"),
    ("Spikesoft", "Gruuthof 23", "8490", "Varsenare", "West-vlaanderen"),
    ("Bouwwerken Peeters", "Kerkstraat 5", "9000", "Gent", "Oost-Vlaanderen"),
    ("Dakwerken D'Hondt", "Molenweg 112", "3000", "Leuven", "Vlaams-Brabant"),
    ("Renovatie Janssens", "Rue de la Gare 9", "5000", "Namur", "Namur"),
    ("Élec Dubois", "Chaussée de Mons 201", "7000", "Mons", "Hainaut"),
]
_CONCERNING = [
    "Leveren van parket: Bijbestelling",
    "Leveren van verf",
    "Warmtepomp plaatsen",
    "Renovatie badkamer",
    "Dakisolatie en pannen",
    "",
]
_VAT = [("21", 21, 5), ("6", 6, 3), ("12", 12.5, 4), ("0M", 0, 2), ("21", 21, 5)]
_SOURCELISTS = ["PARKET", "VERF", "", "SANITAIR"]
_EPOCH = date(2012, 1, 2)
_TS_EPOCH = datetime(2019, 1, 1)
_DAYS = 4700
_DAY_TEXT = tuple((_EPOCH + timedelta(days=k)).isoformat() for k in range(_DAYS + 31))


def invoice_ids(count: int) -> list[int]:
    """``count`` strictly increasing ids from 24 with uneven gaps (1 to 4, sometimes 50)."""
    mixes = ((k * 2654435761) & 0xFFFFFFFF for k in range(count))
    gaps = (50 if mix % 97 == 0 else 1 + (mix >> 7) % 4 for mix in mixes)
    return list(itertools.accumulate(gaps, initial=24))[:count]


def wire_value(value: Any) -> str:
    """One JSON value as the vendor prints it: a float with 15 decimals (a whole one: 1.0)."""
    if isinstance(value, float):
        return f"{value:.1f}" if value.is_integer() else f"{value:.15f}"
    return orjson.dumps(value).decode()


@functools.lru_cache(maxsize=4096, typed=True)
def wire_number(value: float) -> orjson.Fragment:
    """A number as the vendor prints it, for orjson to copy; amounts repeat, so remembered."""
    return orjson.Fragment(wire_value(value))


# the documented record (id 25 of the vendor's page); invoice_record changes the fields that vary
_BASE: dict[str, Any] = {
    "id": 25, "company_id": 1, "company_name": "Bouwsoft", "type": "FAKTUUR",
    "type_localized": "INVOICE", "type_id": 4, "nr": 20120003, "nr_add": "",
    "date": "2012-03-08", "expirationdate": "2020-12-25", "title": "",
    "concerning": "Leveren van verf", "chargeableevent": "2012-03-08",
    "senttoaccountingsoftware": False, "senttoaccountingsoftware_ts": "",
    # the newer vendor table (2026-05-07) adds these five after senttoaccountingsoftware_ts
    "einvoice_sent": False, "einvoice_sent_ts": "", "einvoice_technical_status": "",
    "einvoice_transmissionid": "", "einvoice_lasterrors": "",
    "structuredpaymentnotification": "", "ordernr": "", "pricedecimals": 2, "ledger": 70000,
    "workingdocumentdata_id": 15, "address_id": 1930, "address_salutation": "",
    "address_name": "SABBE BEDRIJF", "address_address": "HOUTHULSTSTRAAT 76",
    "address_addressline2": "", "address_latitude": 0, "address_longitude": 0,
    "address_countrycode": "BE", "address_zipcode": "8840", "address_city": "Staden",
    "address_state": "West-Vlaanderen", "address_readonly": False,
    "shippingaddress_address": "", "shippingaddress_addressline2": "",
    "shippingaddress_latitude": 0, "shippingaddress_longitude": 0,
    "shippingaddress_countrycode": "", "shippingaddress_zipcode": "",
    "shippingaddress_city": "", "shippingaddress_state": "", "contact_id": 0,
    "contact_salutation": "", "contact_name": "", "vatnr": "BE 0427.257.581", "gln": "",
    "be_rpr": "", "telephone1": "+32 51 70 81 38 ", "telephone2": "", "fax": "", "gsm": "",
    "email": "info@sabbebvba.be", "project_id": 0, "project_pnr": 0, "project_unr": 0,
    "project_name": "", "yourreference": "", "be_werkplaatsnr30bis": "",
    "basis": 4571.4, "vatcode": "21", "vatpercent": 21, "vatamount": 274.28,
    "amountinclvat": 4845.68,
    **{
        key: value
        for n, (code, pct, coc) in enumerate(
            [("0", 0, False), ("0M", 0, True), ("6", 6, False), ("12", 12.5, False),
             ("21", 21, False)],
            start=1,
        )
        for key, value in (
            (f"basis{n}", 0.0), (f"taxableamount{n}", 0.0), (f"vatcode{n}", code),
            (f"vatpercent{n}", pct), (f"vatcocontractor{n}", coc), (f"vatamount{n}", 0.0),
            (f"amountinclvat{n}", 0.0),
        )
    },
    "cashdiscount_expirationdate": "", "cashdiscount_percent": 0, "cashdiscount_amount": 0,
    "creditlimitation_expirationdate": "", "creditlimitation_percent": 0,
    "creditlimitation_amount": 0, "commercialdiscount_percent": 10,
    "distributeddiscount_amount": 0, "include_commission_in_total": True, "advance": 0.0,
    "balance": 4745.68, "locked": False, "createdby": "", "lasteditedby": "DIRK",
    "approved": True, "approved_date": "2024-07-15", "rejected": False, "rejected_date": "",
    "verified": False, "sent": True, "sent_date": "2023-04-17", "signed": False,
    "billed": False, "detail_source": 11, "detail_sourcelist": "VERF",
    "detail_ordergroups": True, "ts_lastupdate": "2025-02-12 14:29:54",
}  # fmt: skip

_BASE_WIRE = {k: wire_number(v) if isinstance(v, float) else v for k, v in _BASE.items()}
# the amounts (tpCurrency): the page shows them only as JSON numbers
MONEY_FIELDS = frozenset(
    {"basis", "vatamount", "amountinclvat", "advance", "balance", "cashdiscount_amount"}
    | {"creditlimitation_amount", "distributeddiscount_amount"}
    | {f"{kind}{n}" for kind in ("basis", "taxableamount", "vatamount", "amountinclvat")
       for n in range(1, 6)}
)  # fmt: skip


def invoice_record(invoice_id: int) -> dict[str, Any]:
    """The record, amounts as orjson fragments: the documented one with the fields that vary."""
    h = (invoice_id * 2654435761) & 0xFFFFFFFF
    name, street, zipcode, city, state = _NAMES[h % len(_NAMES)]
    credit = invoice_id % 10 == 0
    day = invoice_id % _DAYS
    vatcode, vatpercent, slot = _VAT[(h >> 3) % len(_VAT)]
    basis_cents = 500 + (h >> 5) % 2_000_000
    if credit:
        basis_cents = -basis_cents
    vat_cents = round(basis_cents * vatpercent / 100)
    incl_cents = basis_cents + vat_cents
    advance_cents = 0 if h % 3 else (abs(basis_cents) // 4)
    approved = h % 5 != 0
    # the newer vendor table's e-invoice fields: about one invoice in four went out as one
    einvoiced = h % 4 == 1
    basis, vat, incl = (
        wire_number(basis_cents / 100),
        wire_number(vat_cents / 100),
        wire_number(incl_cents / 100),
    )
    ts = _TS_EPOCH + timedelta(seconds=(invoice_id * 7919 + h % 86_400) % 220_000_000)
    return {
        **_BASE_WIRE,
        "id": invoice_id,
        "company_id": 1 + h % 2,
        "company_name": "Bouwsoft" if h % 2 == 0 else "Groensoft",
        "type": "CREDITNOTA" if credit else "FAKTUUR",
        "type_localized": "CREDIT NOTE" if credit else "INVOICE",
        "type_id": 5 if credit else 4,
        "nr": 20120000 + invoice_id,
        "date": _DAY_TEXT[day],
        "expirationdate": _DAY_TEXT[day + 30] if h % 11 else "",
        "concerning": _CONCERNING[(h >> 9) % len(_CONCERNING)],
        "chargeableevent": _DAY_TEXT[day],
        "einvoice_sent": einvoiced,
        "einvoice_sent_ts": f"{_DAY_TEXT[day + 1]} 10:{h % 60:02d}:{h % 59:02d}"
        if einvoiced
        else "",
        "einvoice_technical_status": "Delivered" if einvoiced else "",
        "einvoice_transmissionid": f"peppol-{h:08x}" if einvoiced else "",
        "structuredpaymentnotification": f"{invoice_id:010d}{invoice_id % 97:02d}",
        "workingdocumentdata_id": invoice_id // 2 + 7,
        "address_id": 1000 + h % 50_000,
        "address_name": name,
        "address_address": street,
        "address_zipcode": zipcode,
        "address_city": city,
        "address_state": state,
        "vatnr": f"BE 0{h % 1_000_000_000:09d}" if h % 4 else "",
        "email": f"info{h % 1000}@example.be" if h % 6 else "",
        "project_id": h % 900 if h % 3 == 0 else 0,
        "basis": basis,
        "vatcode": vatcode,
        "vatpercent": wire_number(vatpercent),
        "vatamount": vat,
        "amountinclvat": incl,
        f"basis{slot}": basis,
        f"taxableamount{slot}": basis,
        f"vatamount{slot}": vat,
        f"amountinclvat{slot}": incl,
        "advance": wire_number(advance_cents / 100),
        "balance": wire_number((incl_cents - advance_cents) / 100),
        "approved": approved,
        "approved_date": _DAY_TEXT[day + 2] if approved else "",
        "sent": h % 7 != 0,
        "sent_date": _DAY_TEXT[day + 1] if h % 7 else "",
        "detail_sourcelist": _SOURCELISTS[(h >> 11) % len(_SOURCELISTS)],
        "ts_lastupdate": ts.isoformat(sep=" "),
    }


def render_invoice(invoice_id: int) -> str:
    """The invoice's JSON object, byte for byte as the fake serves it."""
    return orjson.dumps(invoice_record(invoice_id)).decode()


def invoice_dict(invoice_id: int) -> dict[str, Any]:
    """The whole record as Python values."""
    return cast(dict[str, Any], orjson.loads(render_invoice(invoice_id)))
