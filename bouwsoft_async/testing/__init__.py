"""Fakes of the vendor servers, for your tests and for demos.

``FakeBouwsoft`` serves the Bouwsoft API on 127.0.0.1 at a random port::

    async with FakeBouwsoft(sales_invoices=5000) as fake:
        async with fake.client() as client:
            print(await client.sales_invoices.count())
"""

from .._retry import set_instant_retries
from ._bouwsoft import FakeBouwsoft
from ._invoices import invoice_dict, render_invoice
from ._rambase import FakeRamBase
from ._server import Fault, RecordedRequest
from ._tables import FieldRow

__all__ = [
    "FakeBouwsoft",
    "FakeRamBase",
    "Fault",
    "FieldRow",
    "RecordedRequest",
    "invoice_dict",
    "render_invoice",
    "set_instant_retries",
]
