"""The RamBase payment items connector, on the same core as the Bouwsoft client.

::

    from decimal import Decimal
    from bouwsoft_async.rambase import Counterparty, RamBaseClient

    async with RamBaseClient(client_id="...", client_secret="...", db="ACME-NO") as rb:
        item = await rb.payments.add_item(
            100123,
            total_amount=Decimal("250.00"),
            counterparty=Counterparty(object_id=10234, object_type="CUS"),
        )
"""

from ._client import RAMBASE_BASE_URL, RamBaseClient
from ._models import (
    AccountsTransaction,
    AccountsTransactionTotals,
    Bank,
    BankAddress,
    Counterparty,
    GeneralLedgerPosting,
    Intercompany,
    JournalEntry,
    PaymentItem,
    PaymentItemBankAccount,
    PaymentItemTotals,
    VatPosting,
)
from ._payments import Payments

__all__ = [
    "RAMBASE_BASE_URL",
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
    "Payments",
    "RamBaseClient",
    "VatPosting",
]
