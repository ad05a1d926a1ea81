"""What the tests of secrets share: every exception an error drags along, checked for secrets."""

from __future__ import annotations

from collections.abc import Iterator


def chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and every exception reachable from it: causes, contexts, exception fields."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [e for e in (current.__cause__, current.__context__) if e is not None]
        todo += [v for v in vars(current).values() if isinstance(v, BaseException)]


def assert_no_secret(exc: BaseException, *secrets: str) -> None:
    """No secret in ``exc`` or anything chained to it: message, repr, fields, arguments."""
    for link in chain(exc):
        texts = [str(link), repr(link), repr(vars(link)), repr(link.args)]
        for secret in secrets:
            assert all(secret not in text for text in texts), (type(link).__name__, secret)
