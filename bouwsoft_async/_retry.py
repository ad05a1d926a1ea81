"""The retry policy: the only module that knows tenacity.

Tenacity's parts do the work: ``wait_random_exponential`` (exponential backoff with full
jitter), ``stop_after_attempt``, ``retry_if_exception``. On top of them: a server's
``Retry-After`` honoured up to a cap, an optional total deadline per call (enforced by the
core), and a process-wide switch that makes every wait zero for tests (stamina's habit).

A call that succeeds on its first try never touches tenacity: ``call_with_retries`` tries once
and builds the retrying object only after a failure that may be retried.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from typing import TypeVar, cast

import attrs
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


def _positive_or_none(_: object, attribute: attrs.Attribute[float | None], value: object) -> None:
    if value is None:
        return
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValueError(f"{attribute.name} must be None or a positive number of seconds")


@attrs.frozen(kw_only=True)
class _AttemptNumber:
    """The one field of tenacity's RetryCallState that its wait strategies read."""

    attempt_number: int


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How often and how patiently a retryable request is tried again.

    ``max_retries`` counts the tries after the first. The n-th wait is uniform in
    ``[0, min(max_backoff, initial_backoff * 2**(n-1))]`` (tenacity's
    ``wait_random_exponential``) unless the server sent Retry-After, which is obeyed up to
    ``max_retry_after`` seconds. ``deadline`` (seconds, None: none) bounds one whole call,
    its retries and waits included; past it the call raises ``DeadlineExceeded`` (or
    ``WriteOutcomeUnknown`` if a write was on its way).
    """

    max_retries: int = attrs.field(default=3, validator=attrs.validators.ge(0))
    initial_backoff: float = attrs.field(default=0.5, validator=attrs.validators.ge(0))
    max_backoff: float = attrs.field(default=30.0, validator=attrs.validators.ge(0))
    max_retry_after: float = attrs.field(default=60.0, validator=attrs.validators.ge(0))
    deadline: float | None = attrs.field(default=None, validator=_positive_or_none)

    def wait_seconds(self, attempt: int, exc: BaseException | None) -> float:
        """How long to wait before try ``attempt + 1`` after ``exc`` ended try ``attempt``."""
        if _instant:
            return 0.0
        retry_after = getattr(exc, "retry_after", None)
        if (
            isinstance(retry_after, (int, float))
            and not isinstance(retry_after, bool)
            and math.isfinite(retry_after)
        ):
            return min(max(0.0, float(retry_after)), self.max_retry_after)
        backoff = wait_random_exponential(multiplier=self.initial_backoff, max=self.max_backoff)
        return backoff(cast(RetryCallState, _AttemptNumber(attempt_number=attempt)))


async def call_with_retries(
    attempt: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy,
    should_retry: Callable[[BaseException], bool],
    description: str,
) -> T:
    """Await ``attempt()`` until it succeeds, ``should_retry`` says no, or tries run out.

    The first try runs bare; only a failure ``should_retry`` accepts builds tenacity's
    retrying object, which replays that failure (no second request) and goes on from there.
    The last exception propagates as it was raised. Cancellation is never retried, because
    ``should_retry`` only ever sees exceptions (not BaseExceptions) the caller chose to accept.
    """
    try:
        return await attempt()
    except Exception as exc:
        if policy.max_retries == 0 or not should_retry(exc):
            raise
        first_failure: Exception | None = exc

    async def replay_then_attempt() -> T:
        nonlocal first_failure
        if first_failure is not None:
            failure, first_failure = first_failure, None
            raise failure
        return await attempt()

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
    return await retrying(replay_then_attempt)
