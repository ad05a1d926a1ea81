from __future__ import annotations

from collections.abc import Iterator

import pytest

from bouwsoft_async import set_instant_retries


@pytest.fixture(autouse=True)
def instant_retries() -> Iterator[None]:
    """Retries keep their count and their rules but never sleep in tests."""
    set_instant_retries(True)
    yield
    set_instant_retries(False)
