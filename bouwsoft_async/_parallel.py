"""``IdRange``: a piece of a list's id space, plain data to walk in this process or another.

How a parallel walk finds its pieces is in ``_plan`` (pure) and ``_walk``; this module holds the
public range type and the argument checks of the parallel walk.
"""

from __future__ import annotations

from typing import Any

import attrs

from ._errors import ValidationError
from ._plan import Piece
from ._protocol import and_filters, condition

__all__ = ["IdRange", "piece_of", "range_of", "validate_concurrency", "validate_id_range"]

MAX_CONCURRENCY = 64


def _optional_id(instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValidationError(
            f"IdRange.{attribute.name} must be a positive integer or None, not {value!r}",
            field=attribute.name,
        )


@attrs.frozen(kw_only=True)
class IdRange:
    """Ids from ``low`` (inclusive) up to ``high`` (exclusive); None leaves that side open.

    ``count`` is how many records matched when the range was made: a hint for progress bars and
    balance, not a promise. It is plain, picklable data: send it to another process and walk it
    there with ``sales_invoices.list(id_range=..., filter=<the same filter>)``.
    """

    low: int | None = attrs.field(default=None, validator=_optional_id)
    high: int | None = attrs.field(default=None, validator=_optional_id)
    count: int | None = None

    def __attrs_post_init__(self) -> None:
        if self.low is not None and self.high is not None and self.low >= self.high:
            raise ValidationError(f"IdRange needs low < high, not {self.low} >= {self.high}")

    def contains(self, record_id: int) -> bool:
        """True when ``record_id`` lies in the range."""
        return (self.low is None or record_id >= self.low) and (
            self.high is None or record_id < self.high
        )

    def as_filter(self) -> str | None:
        """The range as filter text (``id ge A and id lt B``); None for the whole id space.

        For your own use on a server that knows ``ge`` and ``lt``: the client itself never
        sends it (a walk of ``id_range=`` asks for ``id gt A-1`` and stops at ``B`` itself).
        """
        return and_filters(
            condition("id", "ge", self.low) if self.low is not None else None,
            condition("id", "lt", self.high) if self.high is not None else None,
        )


def piece_of(id_range: IdRange | None) -> Piece:
    """The walk's piece for a range: ids after ``low - 1`` up to ``high - 1``."""
    if id_range is None:
        return Piece(after=None, upto=None)
    return Piece(
        after=None if id_range.low is None else id_range.low - 1,
        upto=None if id_range.high is None else id_range.high - 1,
    )


def range_of(piece: Piece) -> IdRange:
    """The public range of a planned piece, with its count."""
    return IdRange(
        low=None if piece.after is None else piece.after + 1,
        high=None if piece.upto is None else piece.upto + 1,
        count=piece.expected,
    )


def validate_id_range(value: object) -> IdRange | None:
    if value is None or isinstance(value, IdRange):
        return value
    raise ValidationError(
        f"id_range must be an IdRange (from partitions()), not {type(value).__name__}",
        field="id_range",
    )


def validate_concurrency(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CONCURRENCY:
        raise ValidationError(
            f"concurrency must be an integer from 1 to {MAX_CONCURRENCY}, not {value!r}",
            field="concurrency",
        )
    return value
