"""``python -m bouwsoft_async.testing serve``: a FakeBouwsoft in a process of its own.

It prints the API's base URL on the first line of stdout (then serves until SIGTERM or Ctrl-C),
so benchmarks and manual tests can point a client, or the ``bouwsoft`` command, at it::

    python -m bouwsoft_async.testing serve --invoices 20000 --latency 0.03 \\
        --latency-per-record 0.0004
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Sequence
from typing import NoReturn

from aiohttp import web

from .._cli import _whole
from ._bouwsoft import FakeBouwsoft

PROG = "python -m bouwsoft_async.testing"


class UsageError(Exception):
    """A bad command line: the message, and the usage line of the command concerned."""

    def __init__(self, message: str, usage: str) -> None:
        super().__init__(message)
        self.usage = usage


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message, self.format_usage().strip())


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be 0 seconds or more, not {text}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser("serve", help="serve a FakeBouwsoft until stopped")
    serve.add_argument(
        "--invoices", type=_whole(0), default=5000, metavar="N", help="sales invoices (5000)"
    )
    serve.add_argument("--latency", type=_seconds, default=0.0, help="seconds per request")
    serve.add_argument(
        "--latency-per-record",
        type=_seconds,
        default=0.0,
        help="seconds per record returned",
    )
    serve.add_argument("--max-page-size", type=_whole(1), default=None, metavar="N")
    serve.add_argument(
        "--port",
        type=_whole(0, 65535),
        default=0,
        help="port on 127.0.0.1 (0: any free one)",
    )
    return parser


async def serve(args: argparse.Namespace) -> None:
    """Run the fake until SIGTERM/SIGINT."""
    fake = FakeBouwsoft(
        sales_invoices=args.invoices,
        latency=args.latency,
        latency_per_record=args.latency_per_record,
        max_page_size=args.max_page_size,
    )
    # a long-running fake must not keep every request it saw
    fake.requests = _Forgetful()
    runner: web.AppRunner | None = None
    if args.port:
        app = fake.build_app()
        app.middlewares.insert(0, fake._record_and_misbehave)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", args.port).start()
        fake.port = args.port
    else:
        await fake.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    print(fake.url, flush=True)
    print(
        f"FakeBouwsoft: {args.invoices} invoices, Clientnr {fake.client_nr}, "
        f"AccessToken {fake.access_token}, RefreshToken {fake.refresh_token}",
        file=sys.stderr,
        flush=True,
    )
    try:
        await stop.wait()
    finally:
        if runner is not None:
            await runner.cleanup()
        else:
            await fake.stop()


class _Forgetful(list):  # type: ignore[type-arg]
    def append(self, item: object) -> None:
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; a failure is one line on stderr and a non-zero exit code."""
    try:
        args = _parser().parse_args(argv)
        asyncio.run(serve(args))
    except SystemExit as exc:  # --help
        return int(exc.code) if isinstance(exc.code, int) else 0
    except UsageError as exc:
        print(f"{exc.usage}\n{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        # the port is taken, or not ours to bind
        where = f"127.0.0.1:{args.port}" if args.port else "127.0.0.1"
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        print(f"{PROG}: error: cannot listen on {where}: {reason}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
