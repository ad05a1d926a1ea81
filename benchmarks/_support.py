"""What the benchmarks share: a FakeBouwsoft in a separate process, and the verdict line."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator

ACCESS_TOKEN = "fake-access-token"
CLIENT_NR = 115


@contextlib.contextmanager
def fake_server(
    invoices: int, *, latency: float = 0.0, latency_per_record: float = 0.0
) -> Iterator[str]:
    """Start ``python -m bouwsoft_async.testing serve`` and yield its base URL."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bouwsoft_async.testing",
            "serve",
            "--invoices",
            str(invoices),
            "--latency",
            str(latency),
            "--latency-per-record",
            str(latency_per_record),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http"):
            raise RuntimeError(f"the fake server did not start (said {url!r})")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def verdict(name: str, ratio: float, target: float, *, what: str) -> None:
    """Print the closing line: the measured ratio and whether it meets the target."""
    met = "target met" if ratio <= target else "target NOT met"
    print(f"{name}: {what} = {ratio:.2f}x (target <= {target:g}x): {met}")
