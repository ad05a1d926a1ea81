"""The retry policy: the only module that knows tenacity.

Tenacity's parts do the work (``wait_random_exponential``, ``stop_after_attempt``,
``retry_if_exception``); on top of them a server's ``Retry-After`` is honoured up to a cap, and
a process-wide switch makes every wait zero for tests (stamina's habit).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import TypeVar, cast

import attrs
from attrs import validators
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

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
    """How often and how patiently a retryable request is tried again (see the README).

    The n-th wait is uniform in ``[0, min(max_backoff, initial_backoff * 2**(n-1))]`` unless
    the server sent Retry-After, obeyed up to ``max_retry_after`` seconds.
    """

    max_retries: int = attrs.field(default=3, validator=validators.ge(0))
    initial_backoff: float = attrs.field(default=0.5, validator=validators.ge(0))
    max_backoff: float = attrs.field(default=30.0, validator=validators.ge(0))
    max_retry_after: float = attrs.field(default=60.0, validator=validators.ge(0))
    deadline: float | None = attrs.field(
        default=None, validator=validators.optional(validators.gt(0.0))
    )

    def wait_seconds(self, attempt: int, exc: BaseException | None) -> float:
        """How long to wait before try ``attempt + 1`` after ``exc`` ended try ``attempt``."""
        if _instant:
            return 0.0
        retry_after = getattr(exc, "retry_after", None)
        if isinstance(retry_after, (int, float)):
            return min(max(0.0, retry_after), self.max_retry_after)
        backoff = wait_random_exponential(multiplier=self.initial_backoff, max=self.max_backoff)
        # attempt_number is the one field of a RetryCallState that tenacity's waits read
        return backoff(cast(RetryCallState, SimpleNamespace(attempt_number=attempt)))


async def call_with_retries(
    attempt: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy,
    should_retry: Callable[[Exception], bool],
    description: object,
    failure: Exception | None = None,
) -> T:
    """Await ``attempt()`` until it succeeds, ``should_retry`` says no, or tries run out;
    ``description`` names the call in a retry's log line (as ``str(description)``).
    ``failure``: how the first try ended, when the caller ran it (it is not run again).

    The first try runs bare: building tenacity's retrying object costs more than a request's
    whole overhead, so only a failure to retry builds it, and is replayed into it.
    """
    if failure is None:
        try:
            return await attempt()
        except Exception as exc:
            failure = exc
    if policy.max_retries == 0 or not should_retry(failure):
        raise failure

    async def replay_then_attempt() -> T:
        nonlocal failure
        if failure is not None:
            replayed, failure = failure, None
            raise replayed
        return await attempt()

    def exception_of(state: RetryCallState) -> BaseException | None:
        return state.outcome.exception() if state.outcome else None

    def log_retry(state: RetryCallState) -> None:
        logger.warning(
            "%s failed (%s); retry %d of %d in %.2fs",
            description,
            type(exception_of(state)).__name__,
            state.attempt_number,
            policy.max_retries,
            state.upcoming_sleep,
        )

    retrying = AsyncRetrying(
        stop=stop_after_attempt(policy.max_retries + 1),
        wait=lambda state: policy.wait_seconds(state.attempt_number, exception_of(state)),
        retry=retry_if_exception(lambda exc: isinstance(exc, Exception) and should_retry(exc)),
        before_sleep=log_retry,
        reraise=True,
    )
    return await retrying(replay_then_attempt)
