"""Frozen attrs models of the records the APIs return, each the one field table of its resource.

Field names are the wire names. Each field's annotation carries its row of the vendor's field
table (``Annotated[Money, Wire("tpCurrency", writeable=True)]``, or an alias below for the
common read-only rows), read by ``_fields.field_table``. Fields a model does not know yet are
kept in ``extra``; the README's "Money, dates, unknown fields" says how each type is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date as _date
from datetime import datetime
from types import MappingProxyType
from typing import Annotated, Any, Generic, TypeVar

import attrs

from ._types import Money, Rate, Wire

__all__ = ["Page", "Payment", "PurchaseInvoice", "RecordChanges", "SalesInvoice", "UploadedFile"]

T = TypeVar("T")

NO_EXTRA: Mapping[str, Any] = MappingProxyType({})

# the read-only rows of the field tables, by vendor type and the Python type the model gives them
Long = Annotated[int, Wire("tpLong")]
Text = Annotated[str, Wire("tpString")]
Bool = Annotated[bool, Wire("tpBool")]
Double = Annotated[float, Wire("tpDouble")]
Percentage = Annotated[Rate, Wire("tpDouble")]
Currency = Annotated[Money, Wire("tpCurrency")]
Date = Annotated[_date | None, Wire("tpDate")]
NullDate = Annotated[_date | None, Wire("tpDateNullString")]
Timestamp = Annotated[datetime, Wire("tpDate")]
NullTimestamp = Annotated[datetime | None, Wire("tpDateNullString")]


class _Record:
    """Base of the record models: pickles ``extra`` (a read-only mapping proxy) as a dict."""

    __slots__ = ()

    def __reduce__(self) -> tuple[Any, ...]:
        cls: Any = type(self)
        state = {a.name: getattr(self, a.name) for a in attrs.fields(cls)}
        state["extra"] = dict(state["extra"])
        return (_unpickle_record, (cls, state))


def _unpickle_record(cls: Any, state: dict[str, Any]) -> Any:
    extra = state.pop("extra")
    return cls(**state, extra=MappingProxyType(extra) if extra else NO_EXTRA)


@attrs.frozen(kw_only=True)
class SalesInvoice(_Record):
    """A record of ``GET /SalesInvoices`` (the 124 fields of the older vendor page and the 5
    e-invoice fields of the newer one). The older page shows no vendor types: they are read from
    the values' meaning (amounts ``tpCurrency``, percentages and coordinates ``tpDouble``, dates
    ``tpDate``, or ``tpDateNullString`` where ``""`` means "not yet")."""

    id: int  # the key field: not a row of the vendor's tables
    company_id: Long
    company_name: Text
    type: Text
    type_localized: Text
    type_id: Long
    nr: Long
    nr_add: Text
    date: Date
    expirationdate: Date
    title: Text
    concerning: Text
    chargeableevent: Date
    senttoaccountingsoftware: Bool
    senttoaccountingsoftware_ts: NullTimestamp
    # the newer vendor table adds these; an older server leaves them out, and then they
    # hold what a never e-invoiced invoice holds
    einvoice_sent: Bool = False
    einvoice_sent_ts: NullTimestamp = None
    einvoice_technical_status: Text = ""
    einvoice_transmissionid: Text = ""
    einvoice_lasterrors: Text = ""
    structuredpaymentnotification: Text
    ordernr: Text
    pricedecimals: Long
    ledger: Long
    workingdocumentdata_id: Long
    address_id: Long
    address_salutation: Text
    address_name: Text
    address_address: Text
    address_addressline2: Text
    address_latitude: Double
    address_longitude: Double
    address_countrycode: Text
    address_zipcode: Text
    address_city: Text
    address_state: Text
    address_readonly: Bool
    shippingaddress_address: Text
    shippingaddress_addressline2: Text
    shippingaddress_latitude: Double
    shippingaddress_longitude: Double
    shippingaddress_countrycode: Text
    shippingaddress_zipcode: Text
    shippingaddress_city: Text
    shippingaddress_state: Text
    contact_id: Long
    contact_salutation: Text
    contact_name: Text
    vatnr: Text
    gln: Text
    be_rpr: Text
    telephone1: Text
    telephone2: Text
    fax: Text
    gsm: Text
    email: Text
    project_id: Long
    project_pnr: Long
    project_unr: Long
    project_name: Text
    yourreference: Text
    be_werkplaatsnr30bis: Text
    basis: Currency
    vatcode: Text
    vatpercent: Percentage
    vatamount: Currency
    amountinclvat: Currency
    basis1: Currency
    taxableamount1: Currency
    vatcode1: Text
    vatpercent1: Percentage
    vatcocontractor1: Bool
    vatamount1: Currency
    amountinclvat1: Currency
    basis2: Currency
    taxableamount2: Currency
    vatcode2: Text
    vatpercent2: Percentage
    vatcocontractor2: Bool
    vatamount2: Currency
    amountinclvat2: Currency
    basis3: Currency
    taxableamount3: Currency
    vatcode3: Text
    vatpercent3: Percentage
    vatcocontractor3: Bool
    vatamount3: Currency
    amountinclvat3: Currency
    basis4: Currency
    taxableamount4: Currency
    vatcode4: Text
    vatpercent4: Percentage
    vatcocontractor4: Bool
    vatamount4: Currency
    amountinclvat4: Currency
    basis5: Currency
    taxableamount5: Currency
    vatcode5: Text
    vatpercent5: Percentage
    vatcocontractor5: Bool
    vatamount5: Currency
    amountinclvat5: Currency
    cashdiscount_expirationdate: NullDate
    cashdiscount_percent: Percentage
    cashdiscount_amount: Currency
    creditlimitation_expirationdate: NullDate
    creditlimitation_percent: Percentage
    creditlimitation_amount: Currency
    commercialdiscount_percent: Percentage
    distributeddiscount_amount: Currency
    include_commission_in_total: Bool
    advance: Currency
    balance: Currency
    locked: Bool
    createdby: Text
    lasteditedby: Text
    approved: Bool
    approved_date: NullDate
    rejected: Bool
    rejected_date: NullDate
    verified: Bool
    sent: Bool
    sent_date: NullDate
    signed: Bool
    billed: Bool
    detail_source: Long
    detail_sourcelist: Text
    detail_ordergroups: Bool
    ts_lastupdate: Timestamp
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, hash=False)


# a dict class: built for every page, and attrs fills a frozen one's __dict__ directly (a slotted
# one through object.__setattr__, field by field)
@attrs.frozen(kw_only=True, slots=False)
class Page(Generic[T]):
    """One page of a walk: its records, where they stand in the walk (``walk_position``,
    ``walk_total``) and the page's own Content-Range (``first``, ``last``, ``total``); the
    README's "Pages" says what each counts. A page cut to its piece of a parallel walk counts
    only the records kept in ``last``.
    """

    records: tuple[T, ...]
    first: int
    last: int
    total: int
    walk_position: int = 0
    walk_total: int | None = None


@attrs.frozen(kw_only=True)
class PurchaseInvoice(_Record):
    """A purchase invoice as ``POST /PurchaseInvoices`` returns it; the field table is the PUT
    page's (002_3276b44058afa804.txt), which POST shares."""

    id: int  # the key field: not a row of the vendor's tables
    company_id: Annotated[int, Wire("tpLong", writeable=True)]
    nr: Annotated[int, Wire("tpLong", writeable=True)]
    date: Annotated[_date | None, Wire("tpDate", writeable=True)]
    expirationdate: Annotated[_date | None, Wire("tpDate", writeable=True)]
    nr_supplier: Annotated[str, Wire("tpString", 100, writeable=True)]
    concerning: Annotated[str, Wire("tpString", 250, writeable=True)]
    paymentnotification: Annotated[str, Wire("tpString", 200, writeable=True)]
    ledger: Annotated[int, Wire("tpLong", writeable=True)]
    depreciation: Annotated[Rate, Wire("tpDouble", writeable=True)]
    accountnumber: Annotated[str, Wire("tpString", 30, writeable=True)]
    address_id: Annotated[int, Wire("tpLong", writeable=True)]
    address_name: Annotated[str, Wire("tpString", 150, writeable=True)]
    address_address: Annotated[str, Wire("tpString", 63, writeable=True)]
    address_addressline2: Annotated[str, Wire("tpString", 63)]
    address_countrycode: Annotated[str, Wire("tpString", 2, writeable=True)]
    address_zipcode: Annotated[str, Wire("tpString", 15, writeable=True)]
    # the PUT page's table has no row for address_city although the POST page lists the field:
    # this row is ours, not the vendor's (known, not writeable until FieldInfo says otherwise)
    address_city: Text
    address_vatnr: Annotated[str, Wire("tpString", 30, writeable=True)]
    commercialdiscount: Annotated[Rate, Wire("tpDouble", writeable=True)]
    cashdiscount: Annotated[Rate, Wire("tpDouble", writeable=True)]
    cashdiscount_amount: Annotated[Money, Wire("tpCurrency", writeable=True)]
    cashdiscount_approved: Annotated[bool, Wire("tpBool", writeable=True)]
    basis1: Annotated[Money, Wire("tpCurrency", writeable=True)]
    vatid1: Annotated[int, Wire("tpLong", writeable=True)]
    vatcode1: Annotated[str, Wire("tpString", 5, writeable=True)]
    vatpercent1: Annotated[Rate, Wire("tpDouble", writeable=True)]
    vatcocontractor1: Annotated[bool, Wire("tpBool", writeable=True)]
    amountexclvat1: Currency
    taxableamount1: Currency
    vatamount1: Currency
    amountinclvat1: Currency
    basis2: Annotated[Money, Wire("tpCurrency", writeable=True)]
    vatid2: Annotated[int, Wire("tpLong", writeable=True)]
    vatcode2: Annotated[str, Wire("tpString", 5, writeable=True)]
    vatpercent2: Annotated[Rate, Wire("tpDouble", writeable=True)]
    vatcocontractor2: Annotated[bool, Wire("tpBool", writeable=True)]
    amountexclvat2: Currency
    taxableamount2: Currency
    vatamount2: Currency
    amountinclvat2: Currency
    basis3: Annotated[Money, Wire("tpCurrency", writeable=True)]
    vatid3: Annotated[int, Wire("tpLong", writeable=True)]
    vatcode3: Annotated[str, Wire("tpString", 5, writeable=True)]
    vatpercent3: Annotated[Rate, Wire("tpDouble", writeable=True)]
    vatcocontractor3: Annotated[bool, Wire("tpBool", writeable=True)]
    amountexclvat3: Currency
    taxableamount3: Currency
    vatamount3: Currency
    amountinclvat3: Currency
    basis4: Annotated[Money, Wire("tpCurrency", writeable=True)]
    vatid4: Annotated[int, Wire("tpLong", writeable=True)]
    vatcode4: Annotated[str, Wire("tpString", 5, writeable=True)]
    vatpercent4: Annotated[Rate, Wire("tpDouble", writeable=True)]
    vatcocontractor4: Annotated[bool, Wire("tpBool", writeable=True)]
    amountexclvat4: Currency
    taxableamount4: Currency
    vatamount4: Currency
    amountinclvat4: Currency
    basis5: Annotated[Money, Wire("tpCurrency", writeable=True)]
    vatid5: Annotated[int, Wire("tpLong", writeable=True)]
    vatcode5: Annotated[str, Wire("tpString", 5, writeable=True)]
    vatpercent5: Annotated[Rate, Wire("tpDouble", writeable=True)]
    vatcocontractor5: Annotated[bool, Wire("tpBool", writeable=True)]
    amountexclvat5: Currency
    taxableamount5: Currency
    vatamount5: Currency
    amountinclvat5: Currency
    totalsbasedonvatcodebreakdown: Bool
    amountexclvat_total: Annotated[Money, Wire("tpCurrency", writeable=True)]
    vatamount_total: Annotated[Money, Wire("tpCurrency", writeable=True)]
    amountinclvat_total: Currency
    paid: Annotated[bool, Wire("tpBool", writeable=True)]
    amountoutstanding: Currency
    amountpaid: Currency
    ts_lastupdate: Timestamp

    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, hash=False)


@attrs.frozen(kw_only=True)
class Payment(_Record):
    """A payment of a purchase or sales invoice (``/Payments``); the field table is the POST
    page's (000_5dd8ca57a822e4d3.txt)."""

    id: int  # the key field: not a row of the vendor's tables
    purchaseinvoice_id: Annotated[int, Wire("tpLong", writeable=True)]
    purchaseinvoice_nr: Long
    salesinvoice_id: Annotated[int, Wire("tpLong", writeable=True)]
    salesinvoice_type: Annotated[str, Wire("tpString", 50)]
    salesinvoice_nr: Long
    address_id: Annotated[int, Wire("tpLong", writeable=True)]
    address_name: Annotated[str, Wire("tpString", 150)]
    paymentaccount_id: Annotated[int, Wire("tpLong", writeable=True)]
    paymentaccount_nr: Annotated[str, Wire("tpString", 100)]
    paymentaccount_name: Annotated[str, Wire("tpString", 150)]
    date: Annotated[_date | None, Wire("tpDate", writeable=True)]
    amount: Annotated[Money, Wire("tpCurrency", writeable=True)]
    paymentmethod: Text
    paymentmethod_localized: Text
    advance: Bool
    iban: Annotated[str, Wire("tpString", 35, writeable=True)]
    bic: Annotated[str, Wire("tpString", 11, writeable=True)]
    note: Annotated[str, Wire("tpString", writeable=True)]
    docnr: Annotated[str, Wire("tpString", 50, writeable=True)]
    statementnr: Annotated[str, Wire("tpString", 50, writeable=True)]
    externalcode: Annotated[str, Wire("tpString", 250, writeable=True)]
    externalsource: Long
    ts_lastupdate: Timestamp

    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, hash=False)


@attrs.frozen(kw_only=True)
class UploadedFile(_Record):
    """The file record an Upload answers with; ``checksum`` is a base64 SHA-256."""

    name: str
    path_display: str
    path_lower: str
    id: str
    client_modified: datetime | None
    server_modified: datetime | None
    rev: str
    size: int
    is_downloadable: bool
    checksum: str

    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, hash=False)


@attrs.frozen(kw_only=True)
class RecordChanges(Generic[T]):
    """What a write changed: ``id``, ``ts_lastupdate`` (None if the answer has none) and the
    changed ``fields`` typed as in ``T``; ``extra`` holds, raw, a value that could not be read;
    ``sent``: what the write set (typed as in ``T``), which an answer may leave out."""

    record_type: type[T] = attrs.field(repr=False)
    id: int
    ts_lastupdate: datetime | None
    fields: Mapping[str, Any]
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False)
    sent: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False)

    def apply_to(self, record: T) -> T:
        """A copy of ``record`` (the same id) with what the write set and what its answer says
        changed applied (the answer wins); unreadable values go to the copy's ``extra``, and a
        field read now takes the place of the raw value an earlier answer left there."""
        if not isinstance(record, self.record_type):
            # ids are per resource: a payment may share its id with a purchase invoice
            raise ValueError(
                f"these changes are for a {self.record_type.__name__}, not a "
                f"{type(record).__name__}"
            )
        if getattr(record, "id", None) != self.id:
            raise ValueError(
                f"these changes are for id {self.id}, not {getattr(record, 'id', None)}"
            )
        known = {a.name for a in attrs.fields(type(record))}  # type: ignore[arg-type]
        # what was sent first: an answer may leave out a field it set (unchanged by this try of
        # a retried PUT, or an older server's answer of the id alone)
        changed = {**self.sent, **self.fields}
        updates = {k: v for k, v in changed.items() if k in known and k != "extra"}
        if self.ts_lastupdate is not None:
            updates["ts_lastupdate"] = self.ts_lastupdate
        unknown = {k: v for k, v in self.fields.items() if k not in known}
        unknown.update(self.extra)
        extra: Mapping[str, Any] = getattr(record, "extra", NO_EXTRA)
        # a field read now replaces the raw value an earlier answer left of it in extra
        if unknown or not updates.keys().isdisjoint(extra):
            kept = {k: v for k, v in extra.items() if k not in updates}
            updates["extra"] = MappingProxyType({**kept, **unknown})
        return attrs.evolve(record, **updates)  # type: ignore[misc]
