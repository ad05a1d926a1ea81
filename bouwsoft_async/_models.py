"""Frozen attrs models of the records the APIs return.

Field names are the wire names. Every record model keeps the fields it does not know yet in
``extra`` (floats there become exact Decimals), so an export loses nothing when the vendor adds a
field. Money is ``Decimal``; dates are ``datetime.date`` (``None`` for the empty string the
vendor sends for "no date"); ``ts_lastupdate`` is a naive ``datetime`` in the server's clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date as _date
from datetime import datetime
from types import MappingProxyType
from typing import Any, Generic, TypeVar

import attrs

from ._types import Money, Rate

__all__ = ["Page", "Payment", "PurchaseInvoice", "RecordChanges", "SalesInvoice", "UploadedFile"]

T = TypeVar("T")

NO_EXTRA: Mapping[str, Any] = MappingProxyType({})


class _Record:
    """Base of the record models: pickles ``extra`` as a plain dict, which a read-only mapping
    proxy can't be, so records travel between processes (and ``copy`` them) like plain data."""

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
    """A record of ``GET /SalesInvoices`` (124 documented fields)."""

    id: int
    company_id: int
    company_name: str
    type: str
    type_localized: str
    type_id: int
    nr: int
    nr_add: str
    date: _date | None
    expirationdate: _date | None
    title: str
    concerning: str
    chargeableevent: _date | None
    senttoaccountingsoftware: bool
    senttoaccountingsoftware_ts: datetime | None
    structuredpaymentnotification: str
    ordernr: str
    pricedecimals: int
    ledger: int
    workingdocumentdata_id: int
    address_id: int
    address_salutation: str
    address_name: str
    address_address: str
    address_addressline2: str
    address_latitude: float
    address_longitude: float
    address_countrycode: str
    address_zipcode: str
    address_city: str
    address_state: str
    address_readonly: bool
    shippingaddress_address: str
    shippingaddress_addressline2: str
    shippingaddress_latitude: float
    shippingaddress_longitude: float
    shippingaddress_countrycode: str
    shippingaddress_zipcode: str
    shippingaddress_city: str
    shippingaddress_state: str
    contact_id: int
    contact_salutation: str
    contact_name: str
    vatnr: str
    gln: str
    be_rpr: str
    telephone1: str
    telephone2: str
    fax: str
    gsm: str
    email: str
    project_id: int
    project_pnr: int
    project_unr: int
    project_name: str
    yourreference: str
    be_werkplaatsnr30bis: str
    basis: Money
    vatcode: str
    vatpercent: Rate
    vatamount: Money
    amountinclvat: Money
    basis1: Money
    taxableamount1: Money
    vatcode1: str
    vatpercent1: Rate
    vatcocontractor1: bool
    vatamount1: Money
    amountinclvat1: Money
    basis2: Money
    taxableamount2: Money
    vatcode2: str
    vatpercent2: Rate
    vatcocontractor2: bool
    vatamount2: Money
    amountinclvat2: Money
    basis3: Money
    taxableamount3: Money
    vatcode3: str
    vatpercent3: Rate
    vatcocontractor3: bool
    vatamount3: Money
    amountinclvat3: Money
    basis4: Money
    taxableamount4: Money
    vatcode4: str
    vatpercent4: Rate
    vatcocontractor4: bool
    vatamount4: Money
    amountinclvat4: Money
    basis5: Money
    taxableamount5: Money
    vatcode5: str
    vatpercent5: Rate
    vatcocontractor5: bool
    vatamount5: Money
    amountinclvat5: Money
    cashdiscount_expirationdate: _date | None
    cashdiscount_percent: Rate
    cashdiscount_amount: Money
    creditlimitation_expirationdate: _date | None
    creditlimitation_percent: Rate
    creditlimitation_amount: Money
    commercialdiscount_percent: Rate
    distributeddiscount_amount: Money
    include_commission_in_total: bool
    advance: Money
    balance: Money
    locked: bool
    createdby: str
    lasteditedby: str
    approved: bool
    approved_date: _date | None
    rejected: bool
    rejected_date: _date | None
    verified: bool
    sent: bool
    sent_date: _date | None
    signed: bool
    billed: bool
    detail_source: int
    detail_sourcelist: str
    detail_ordergroups: bool
    ts_lastupdate: datetime
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, hash=False)


@attrs.frozen(kw_only=True)
class Page(Generic[T]):
    """One page of a list: its records and the parsed Content-Range.

    ``first`` and ``last`` are zero-based positions within what the page's query matched and
    ``total`` is how many records that query matched (during a walk, what was still ahead).
    """

    records: tuple[T, ...]
    first: int
    last: int
    total: int


@attrs.frozen(kw_only=True)
class PurchaseInvoice(_Record):
    """A purchase invoice as ``POST /PurchaseInvoices`` returns it."""

    id: int
    company_id: int
    nr: int
    date: _date | None
    expirationdate: _date | None
    nr_supplier: str
    concerning: str
    paymentnotification: str
    ledger: int
    depreciation: Rate
    accountnumber: str
    address_id: int
    address_name: str
    address_address: str
    address_addressline2: str
    address_countrycode: str
    address_zipcode: str
    address_city: str
    address_vatnr: str
    commercialdiscount: Rate
    cashdiscount: Rate
    cashdiscount_amount: Money
    cashdiscount_approved: bool
    basis1: Money
    vatid1: int
    vatcode1: str
    vatpercent1: Rate
    vatcocontractor1: bool
    amountexclvat1: Money
    taxableamount1: Money
    vatamount1: Money
    amountinclvat1: Money
    basis2: Money
    vatid2: int
    vatcode2: str
    vatpercent2: Rate
    vatcocontractor2: bool
    amountexclvat2: Money
    taxableamount2: Money
    vatamount2: Money
    amountinclvat2: Money
    basis3: Money
    vatid3: int
    vatcode3: str
    vatpercent3: Rate
    vatcocontractor3: bool
    amountexclvat3: Money
    taxableamount3: Money
    vatamount3: Money
    amountinclvat3: Money
    basis4: Money
    vatid4: int
    vatcode4: str
    vatpercent4: Rate
    vatcocontractor4: bool
    amountexclvat4: Money
    taxableamount4: Money
    vatamount4: Money
    amountinclvat4: Money
    basis5: Money
    vatid5: int
    vatcode5: str
    vatpercent5: Rate
    vatcocontractor5: bool
    amountexclvat5: Money
    taxableamount5: Money
    vatamount5: Money
    amountinclvat5: Money
    totalsbasedonvatcodebreakdown: bool
    amountexclvat_total: Money
    vatamount_total: Money
    amountinclvat_total: Money
    paid: bool
    amountoutstanding: Money
    amountpaid: Money
    ts_lastupdate: datetime

    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, hash=False)


@attrs.frozen(kw_only=True)
class Payment(_Record):
    """A payment of a purchase or sales invoice (``/Payments``)."""

    id: int
    purchaseinvoice_id: int
    purchaseinvoice_nr: int
    salesinvoice_id: int
    salesinvoice_type: str
    salesinvoice_nr: int
    address_id: int
    address_name: str
    paymentaccount_id: int
    paymentaccount_nr: str
    paymentaccount_name: str
    date: _date | None
    amount: Money
    paymentmethod: str
    paymentmethod_localized: str
    advance: bool
    iban: str
    bic: str
    note: str
    docnr: str
    statementnr: str
    externalcode: str
    externalsource: int
    ts_lastupdate: datetime

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
    """What a write changed: ``id``, ``ts_lastupdate`` and the changed ``fields``, typed as in
    ``T`` (money as Decimal). Derived fields the server recomputed are included.

    ``ts_lastupdate`` is None when the answer has none (the vendor's PUT /Payments example);
    ``extra`` holds, raw, any changed value the client could not read as its type.
    """

    record_type: type[T] = attrs.field(repr=False)
    id: int
    ts_lastupdate: datetime | None
    fields: Mapping[str, Any]
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False)

    def apply_to(self, record: T) -> T:
        """A copy of ``record`` (which must be the same id) with these changes applied.

        Without a ``ts_lastupdate`` in the answer the record keeps its own; unreadable values
        go to the copy's ``extra``.
        """
        if getattr(record, "id", None) != self.id:
            raise ValueError(
                f"these changes are for id {self.id}, not {getattr(record, 'id', None)}"
            )
        known = {a.name for a in attrs.fields(type(record))}  # type: ignore[arg-type]
        updates = {k: v for k, v in self.fields.items() if k in known and k != "extra"}
        unknown = {k: v for k, v in self.fields.items() if k not in known}
        unknown.update(self.extra)
        if unknown:
            updates["extra"] = MappingProxyType({**getattr(record, "extra", {}), **unknown})
        if self.ts_lastupdate is not None:
            updates["ts_lastupdate"] = self.ts_lastupdate
        return attrs.evolve(record, **updates)  # type: ignore[misc]
