"""Frozen attrs models of RamBase's payment item, read from camelCase JSON.

Field names are the snake_case form of the wire names, including the vendor's spelling
(``remmitance_advice``). Every field defaults to None: RamBase leaves out fields the user's
role may not see, and sends null for empty ones. Amounts are exact ``Decimal``; ``{Date}`` is a
``datetime.date`` and ``{Datetime}`` a ``datetime`` (naive as RamBase sends it, aware when it
carries ``Z`` or an offset). The naming rule lives in ``bouwsoft_async._convert``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

import attrs

from .._convert import WIRE_NAME

__all__ = [
    "AccountsTransaction",
    "AccountsTransactionTotals",
    "Bank",
    "BankAddress",
    "Counterparty",
    "GeneralLedgerPosting",
    "Intercompany",
    "JournalEntry",
    "PaymentItem",
    "PaymentItemBankAccount",
    "PaymentItemTotals",
    "VatPosting",
]


class _CamelCaseWire:
    """Read from camelCase JSON keys (the rule lives in ``bouwsoft_async._convert``)."""

    __camel_case_wire__: ClassVar[bool] = True


def _wire(name: str) -> dict[str, str]:
    """Field metadata for a key the camelCase rule can't derive (``vATAmount``)."""
    return {WIRE_NAME: name}


@attrs.frozen(kw_only=True)
class Counterparty(_CamelCaseWire):
    """The customer or supplier of a payment item: ``object_id`` (>= 100) and ``object_type``
    (e.g. ``"CUS"``, ``"SUP"``) are sent when adding an item."""

    object_id: int | None = None
    object_type: str | None = None
    name: str | None = None
    first_name: str | None = None
    object_link: str | None = None


@attrs.frozen(kw_only=True)
class BankAddress(_CamelCaseWire):
    """Where the bank of the bank account is."""

    country: str | None = None
    country_code: str | None = None


@attrs.frozen(kw_only=True)
class Bank(_CamelCaseWire):
    """The bank holding the bank account."""

    swift_code: str | None = attrs.field(default=None, metadata=_wire("sWIFTCode"))
    international_bank_account_number: str | None = None
    address: BankAddress | None = None


@attrs.frozen(kw_only=True)
class PaymentItemBankAccount(_CamelCaseWire):
    """The bank account of the payment item."""

    name: str | None = None
    type: str | None = None
    account_number: str | None = None
    bank_code: str | None = None
    bank: Bank | None = None


@attrs.frozen(kw_only=True)
class Intercompany(_CamelCaseWire):
    """The intercompany database the customer belongs to."""

    code: str | None = None


@attrs.frozen(kw_only=True)
class GeneralLedgerPosting(_CamelCaseWire):
    """A general ledger posting and its API link."""

    general_ledger_posting_id: int | None = None
    general_ledger_posting_link: str | None = None


@attrs.frozen(kw_only=True)
class JournalEntry(_CamelCaseWire):
    """The payable or receivable journal entry involved in the payment item."""

    object_id: int | None = None
    object_type: str | None = None
    general_ledger_posting: GeneralLedgerPosting | None = None
    object_link: str | None = None


@attrs.frozen(kw_only=True)
class AccountsTransactionTotals(_CamelCaseWire):
    """Totals of the accounts transaction. The vendor page lists ``currency``, ``vATAmount`` and
    ``totalAmount`` twice in one object; a JSON object keeps one value per key, the last."""

    currency: str | None = None
    vat_amount: Decimal | None = attrs.field(default=None, metadata=_wire("vATAmount"))
    total_amount: Decimal | None = None
    exchange_rate: Decimal | None = None


@attrs.frozen(kw_only=True)
class AccountsTransaction(_CamelCaseWire):
    """The accounts receivable or payable transaction involved in the payment item."""

    object_id: int | None = None
    object_type: str | None = None
    totals: AccountsTransactionTotals | None = None
    object_link: str | None = None


@attrs.frozen(kw_only=True)
class VatPosting(_CamelCaseWire):
    """The VAT posting of the payment item."""

    vat_posting_id: int | None = attrs.field(default=None, metadata=_wire("vATPostingId"))
    vat_posting_link: str | None = attrs.field(default=None, metadata=_wire("vATPostingLink"))


@attrs.frozen(kw_only=True)
class PaymentItemTotals(_CamelCaseWire):
    """Amounts of the payment item; ``total_amount`` is the amount paid."""

    general_ledger_posting_amount: Decimal | None = None
    currency: str | None = None
    currency_adjustment_amount: Decimal | None = None
    deviation_amount: Decimal | None = None
    document_amount: Decimal | None = None
    document_quantity: int | None = None
    payment_advance_amount: Decimal | None = None
    total_amount: Decimal | None = None


@attrs.frozen(kw_only=True)
class PaymentItem(_CamelCaseWire):
    """The answer of ``POST finance/payments/{paymentId}/items``."""

    payment_item_id: int | None = None
    status: int | None = None
    created_at: datetime | None = None
    note: str | None = None
    remmitance_advice: str | None = None
    remmitance_advice_date: date | None = None
    country_code: str | None = None
    country: str | None = None
    confirmation_date: date | None = None
    reporting_code: str | None = None
    reporting_text: str | None = None
    system_message: str | None = None
    payment_item_bank_account: PaymentItemBankAccount | None = None
    counterparty: Counterparty | None = None
    intercompany: Intercompany | None = None
    journal_entry: JournalEntry | None = None
    accounts_transaction: AccountsTransaction | None = None
    vat_posting: VatPosting | None = attrs.field(default=None, metadata=_wire("vATPosting"))
    totals: PaymentItemTotals | None = None
