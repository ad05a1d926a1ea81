"""bouwsoft_async: an asyncio SDK for the Visma Bouwsoft ERP REST API."""

from ._client import DEFAULT_AUTH_URL, BouwsoftClient
from ._core import ClientOptions
from ._errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    BouwsoftError,
    ClientClosedError,
    ConnectError,
    DeadlineExceeded,
    DecodeError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseTooLargeError,
    ServerError,
    TransportError,
    ValidationError,
    WriteAppliedError,
    WriteOutcomeUnknown,
)
from ._fields import PaymentFields, PaymentUpdateFields, PurchaseInvoiceFields
from ._models import Page, Payment, PurchaseInvoice, RecordChanges, SalesInvoice, UploadedFile
from ._payments import Payments
from ._plan import IdRange
from ._protocol import and_filters, condition, or_filters
from ._purchase_invoices import PurchaseInvoices
from ._retry import RetryPolicy, set_instant_retries
from ._sales_invoices import SalesInvoices, TextFormat
from ._schema import FieldInfo, SchemaDifference
from ._transport import AiohttpTransport, Request, Response, Transport
from ._types import Money, Rate

__all__ = [
    "DEFAULT_AUTH_URL",
    "APIError",
    "AiohttpTransport",
    "AuthenticationError",
    "BadRequestError",
    "BouwsoftClient",
    "BouwsoftError",
    "ClientClosedError",
    "ClientOptions",
    "ConnectError",
    "DeadlineExceeded",
    "DecodeError",
    "FieldInfo",
    "IdRange",
    "Money",
    "NotFoundError",
    "Page",
    "Payment",
    "PaymentFields",
    "PaymentUpdateFields",
    "Payments",
    "PermissionDeniedError",
    "PurchaseInvoice",
    "PurchaseInvoiceFields",
    "PurchaseInvoices",
    "Rate",
    "RateLimitError",
    "RecordChanges",
    "Request",
    "Response",
    "ResponseTooLargeError",
    "RetryPolicy",
    "SalesInvoice",
    "SalesInvoices",
    "SchemaDifference",
    "ServerError",
    "TextFormat",
    "Transport",
    "TransportError",
    "UploadedFile",
    "ValidationError",
    "WriteAppliedError",
    "WriteOutcomeUnknown",
    "and_filters",
    "condition",
    "or_filters",
    "set_instant_retries",
]

__version__ = "0.1.0"
