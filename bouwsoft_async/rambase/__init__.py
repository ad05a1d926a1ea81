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

from . import _models
from ._client import RAMBASE_BASE_URL, RamBaseClient
from ._models import *  # noqa: F403 (the models, each named in _models.__all__)
from ._payments import Payments

__all__ = ["RAMBASE_BASE_URL", "Payments", "RamBaseClient", *_models.__all__]
