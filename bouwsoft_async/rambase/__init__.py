"""The RamBase payment items connector, on the same core as the Bouwsoft client (see the README)."""

from . import _models
from ._client import RAMBASE_BASE_URL, RamBaseClient
from ._models import *  # noqa: F403 (the models, each named in _models.__all__)
from ._payments import Payments

__all__ = ["RAMBASE_BASE_URL", "Payments", "RamBaseClient", *_models.__all__]
