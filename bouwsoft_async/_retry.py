"""The retry policy: the only module that knows tenacity.

Exponential backoff with full jitter, a server's ``Retry-After`` honoured up to a cap, a bounded
number of attempts, and a process-wide switch that makes every wait zero for tests.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

import attrs
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

__all__ = ["RetryPolicy", "call_with_retries", "set_instant_retries"]

T = TypeVar("T")
logger = logging.getLogger("bouwsoft_async")

_instant = False


def set_instant_retries(instant: bool = True) -> None:
    """Make every retry wait zero seconds (for test suites); ``False`` restores real waits."""
    global _instant
    _instant = instant


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How often and how patiently a retryable request is tried again.

    ``max_retries`` counts the tries after the first. The n-th wait is uniform in
    ``[0, min(max_backoff, initial_backoff * 2**(n-1))]`` unless the server sent Retry-After,
    which is obeyed up to ``max_retry_after`` seconds.
    """

    max_retries: int = attrs.field(default=3, validator=attrs.validators.ge(0))
    initial_backoff: float = attrs.field(default=0.5, validator=attrs.validators.ge(0))
    max_backoff: float = attrs.field(default=30.0, validator=attrs.validators.ge(0))
    max_retry_after: float = attrs.field(default=60.0, validator=attrs.validators.ge(0))

    def wait_seconds(self, attempt: int, exc: BaseException | None) -> float:
        """How long to wait before try ``attempt + 1`` after ``exc`` ended try ``attempt``."""
        if _instant:
            return 0.0
        retry_after = getattr(exc, "retry_after", None)
        if isinstance(retry_after, (int, float)):
            return min(float(retry_after), self.max_retry_after)
        ceiling = min(self.max_backoff, self.initial_backoff * 2 ** (attempt - 1))
        return random.uniform(0, ceiling)


async def call_with_retries(
    attempt: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy,
    should_retry: Callable[[BaseException], bool],
    description: str,
) -> T:
    """Await ``attempt()`` until it succeeds, ``should_retry`` says no, or tries run out.

    The last exception propagates as it was raised. Cancellation is never retried, because
    ``should_retry`` only ever sees exceptions the caller chose to accept.
    """

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        return policy.wait_seconds(state.attempt_number, exc)

    def log_retry(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        logger.warning(
            "%s failed (%s); retry %d of %d in %.2fs",
            description,
            type(exc).__name__,
            state.attempt_number,
            policy.max_retries,
            state.upcoming_sleep,
        )

    retrying = AsyncRetrying(
        stop=stop_after_attempt(policy.max_retries + 1),
        wait=wait,
        retry=retry_if_exception(lambda exc: isinstance(exc, Exception) and should_retry(exc)),
        before_sleep=log_retry,
        reraise=True,
    )
    return await retrying(attempt)
