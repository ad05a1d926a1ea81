"""``python -m bouwsoft_async.testing serve``: a FakeBouwsoft in a process of its own; its
base URL is the first line of stdout, and it serves until SIGTERM or Ctrl-C (see the README)."""

from __future__ import annotations

import argparse
import asyncio
import collections
import math
import os
import signal
import sys
from collections.abc import Sequence

from .._cli import _whole
from ._bouwsoft import FakeBouwsoft

PROG = "python -m bouwsoft_async.testing"


def _seconds(text: str) -> float:
    """An argparse type: 0 seconds or more (argparse names it when it refuses a value)."""
    value = float(text)
    if not 0 <= value < math.inf:
        raise ValueError(text)
    return value


async def serve(args: argparse.Namespace) -> None:
    """Run the fake until SIGTERM (Ctrl-C cancels it)."""
    fake = FakeBouwsoft(
        sales_invoices=args.invoices,
        latency=args.latency,
        latency_per_record=args.latency_per_record,
    )
    # a long-running fake must not keep every request it saw
    fake.requests = collections.deque(maxlen=0)  # type: ignore[assignment]
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        await fake.start(port=args.port)
        print(fake.url, flush=True)
        print(
            f"FakeBouwsoft: {args.invoices} invoices, Clientnr {fake.client_nr}, "
            f"AccessToken {fake.access_token}, RefreshToken {fake.refresh_token}",
            file=sys.stderr,
            flush=True,
        )
        await stop.wait()
    finally:
        await fake.stop()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; a failure is one line on stderr and a non-zero exit code."""
    parser = argparse.ArgumentParser(prog=PROG)
    parser.add_argument("command", choices=["serve"], help="serve a FakeBouwsoft until stopped")
    parser.add_argument(
        "--invoices", type=_whole(0), default=5000, metavar="N", help="sales invoices (5000)"
    )
    parser.add_argument("--latency", type=_seconds, default=0.0, help="seconds per request")
    parser.add_argument(
        "--latency-per-record", type=_seconds, default=0.0, help="seconds per record returned"
    )
    parser.add_argument(
        "--port", type=_whole(0, 65535), default=0, help="port on 127.0.0.1 (0: any free one)"
    )
    args = parser.parse_args(argv)  # a usage error: argparse's usage line and exit 2
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        # the port is taken, or not ours to bind
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        print(f"{PROG}: error: cannot listen on 127.0.0.1:{args.port}: {reason}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
