"""bouwsoft_async: an asyncio SDK for the Visma Bouwsoft ERP REST API."""

from ._client import DEFAULT_AUTH_URL, BouwsoftClient
from ._errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    BouwsoftError,
    ConnectError,
    DecodeError,
    NotFoundError,
    RateLimitError,
    ServerError,
    TransportError,
    ValidationError,
    WriteAppliedError,
    WriteOutcomeUnknown,
)
from ._models import Page, Payment, PurchaseInvoice, RecordChanges, SalesInvoice, UploadedFile
from ._parallel import IdRange
from ._payments import Payments
from ._protocol import and_filters, condition
from ._purchase_invoices import PurchaseInvoices
from ._retry import RetryPolicy, set_instant_retries
from ._sales_invoices import SalesInvoices

__all__ = [
    "DEFAULT_AUTH_URL",
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "BouwsoftClient",
    "BouwsoftError",
    "ConnectError",
    "DecodeError",
    "IdRange",
    "NotFoundError",
    "Page",
    "Payment",
    "Payments",
    "PurchaseInvoice",
    "PurchaseInvoices",
    "RateLimitError",
    "RecordChanges",
    "RetryPolicy",
    "SalesInvoice",
    "SalesInvoices",
    "ServerError",
    "TransportError",
    "UploadedFile",
    "ValidationError",
    "WriteAppliedError",
    "WriteOutcomeUnknown",
    "and_filters",
    "condition",
    "set_instant_retries",
]

__version__ = "0.1.0"
