"""bouwsoft_async: an asyncio SDK for the Visma Bouwsoft ERP REST API."""

from . import _errors
from ._client import DEFAULT_AUTH_URL, BouwsoftClient
from ._core import ClientOptions
from ._errors import *  # noqa: F403 (the exception tree, named in _errors.__all__)
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
    "AiohttpTransport",
    "BouwsoftClient",
    "ClientOptions",
    "FieldInfo",
    "IdRange",
    "Money",
    "Page",
    "Payment",
    "PaymentFields",
    "PaymentUpdateFields",
    "Payments",
    "PurchaseInvoice",
    "PurchaseInvoiceFields",
    "PurchaseInvoices",
    "Rate",
    "RecordChanges",
    "Request",
    "Response",
    "RetryPolicy",
    "SalesInvoice",
    "SalesInvoices",
    "SchemaDifference",
    "TextFormat",
    "Transport",
    "UploadedFile",
    "and_filters",
    "condition",
    "or_filters",
    "set_instant_retries",
]
__all__ += _errors.__all__  # the exception tree

__version__ = "0.1.0"
