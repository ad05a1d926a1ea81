"""Marker types the converter reads: all are Decimal at run time.

``Money`` is the vendor's ``tpCurrency`` (fixed-point, at most 4 decimals, sent on the wire as a
binary float such as ``100.049999999999997``); ``Rate`` is a ``tpDouble`` that takes part in money
arithmetic (VAT and discount percentages), kept exact as its shortest decimal form.
"""

from __future__ import annotations

from decimal import Decimal
from typing import NewType

Money = NewType("Money", Decimal)
Rate = NewType("Rate", Decimal)

__all__ = ["Money", "Rate"]
