"""The ``bouwsoft`` command: ``export sales-invoices`` and ``demo``.

Credentials come from the environment: ``BOUWSOFT_CLIENTNR`` with either
``BOUWSOFT_ACCESS_TOKEN`` and ``BOUWSOFT_BASE_URL``, or ``BOUWSOFT_REFRESH_TOKEN`` (and
optionally ``BOUWSOFT_AUTH_URL``). ``--demo`` uses an embedded FakeBouwsoft instead. A failure
prints one line to stderr and exits non-zero.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from ._client import DEFAULT_AUTH_URL, BouwsoftClient
from ._errors import BouwsoftError
from ._export import FORMATS, Progress, export_sales_invoices, first_invoices

__all__ = ["main"]

PROG = "bouwsoft"
DEMO_INVOICES = 5000


class UsageError(Exception):
    """A problem with the command line or the environment (exit code 2)."""


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
    return value


def _timestamp(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date or timestamp (YYYY-MM-DD or 'YYYY-MM-DD HH:MM:SS')"
        ) from None
    if value.tzinfo is not None:
        raise argparse.ArgumentTypeError("--since takes the server's local time, without a zone")
    return value


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Bouwsoft ERP from the command line.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    export = commands.add_parser("export", help="export records to a file")
    what = export.add_subparsers(dest="resource", required=True, metavar="RESOURCE")
    invoices = what.add_parser(
        "sales-invoices",
        help="every sales invoice (or those matching --filter/--since)",
        description="Export sales invoices to JSON Lines or CSV. The file appears only when "
        "the export succeeded.",
    )
    invoices.add_argument("--out", required=True, help="the file to write")
    invoices.add_argument(
        "--format", choices=FORMATS, default="jsonl", help="jsonl (default) or csv"
    )
    invoices.add_argument("--filter", help="a Bouwsoft filter, e.g. \"type eq 'FAKTUUR'\"")
    invoices.add_argument(
        "--since",
        type=_timestamp,
        help="only invoices changed at or after this server time (ts_lastupdate)",
    )
    invoices.add_argument(
        "--concurrency", type=_positive, default=8, help="pages in flight (default 8)"
    )
    invoices.add_argument(
        "--page-size", type=_positive, default=500, help="invoices per request (default 500)"
    )
    invoices.add_argument(
        "--demo",
        type=_positive,
        nargs="?",
        const=DEMO_INVOICES,
        metavar="N",
        help=f"export from an embedded fake server with N invoices (default {DEMO_INVOICES})",
    )
    _progress_flags(invoices)

    demo = commands.add_parser(
        "demo", help="show the first invoices of an embedded fake server and their count"
    )
    demo.add_argument("--invoices", type=_positive, default=DEMO_INVOICES, metavar="N")
    return parser


def _progress_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--progress",
        dest="progress",
        action="store_true",
        default=None,
        help="draw the progress bar on stderr (default: when stderr is a terminal)",
    )
    group.add_argument("--no-progress", dest="progress", action="store_false")


def client_from_env(env: Mapping[str, str], **options: Any) -> BouwsoftClient:
    """A client from ``BOUWSOFT_*`` variables; UsageError says what is missing."""
    raw = env.get("BOUWSOFT_CLIENTNR", "").strip()
    if not raw:
        raise UsageError("set BOUWSOFT_CLIENTNR (or use --demo)")
    try:
        client_nr = int(raw)
    except ValueError:
        raise UsageError(f"BOUWSOFT_CLIENTNR must be a number, not {raw!r}") from None
    access = env.get("BOUWSOFT_ACCESS_TOKEN", "").strip()
    refresh = env.get("BOUWSOFT_REFRESH_TOKEN", "").strip()
    base_url = env.get("BOUWSOFT_BASE_URL", "").strip() or None
    if access:
        if not base_url:
            raise UsageError("BOUWSOFT_ACCESS_TOKEN needs BOUWSOFT_BASE_URL (the data server)")
        return BouwsoftClient(
            client_nr=client_nr, access_token=access, base_url=base_url, **options
        )
    if refresh:
        auth_url = env.get("BOUWSOFT_AUTH_URL", "").strip() or DEFAULT_AUTH_URL
        return BouwsoftClient(
            client_nr=client_nr,
            refresh_token=refresh,
            base_url=base_url,
            auth_url=auth_url,
            **options,
        )
    raise UsageError(
        "set BOUWSOFT_ACCESS_TOKEN and BOUWSOFT_BASE_URL, or BOUWSOFT_REFRESH_TOKEN (or use --demo)"
    )


@contextlib.asynccontextmanager
async def _connect(
    demo: int | None, env: Mapping[str, str], max_concurrency: int
) -> AsyncIterator[BouwsoftClient]:
    if demo is None:
        async with client_from_env(env, max_concurrency=max_concurrency) as client:
            yield client
        return
    from .testing import FakeBouwsoft

    async with (
        FakeBouwsoft(sales_invoices=demo) as fake,
        fake.client(max_concurrency=max_concurrency) as client,
    ):
        yield client


async def _export(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    enabled = args.progress if args.progress is not None else sys.stderr.isatty()
    progress = Progress(stream=sys.stderr, enabled=enabled)
    async with _connect(args.demo, env, max(8, args.concurrency)) as client:
        written = await export_sales_invoices(
            client.sales_invoices,
            args.out,
            format=args.format,
            filter=args.filter,
            since=args.since,
            concurrency=args.concurrency,
            page_size=args.page_size,
            progress=progress,
        )
    print(f"wrote {written:,} sales invoices to {args.out}", file=sys.stderr)
    return 0


async def _demo(args: argparse.Namespace) -> int:
    async with _connect(args.invoices, {}, 8) as client:
        first = []
        walk = client.sales_invoices.list(page_size=5)
        async with contextlib.aclosing(walk):
            async for invoice in walk:
                first.append(invoice)
                if len(first) == 5:
                    break
        total = await client.sales_invoices.count()
    print(f"{'id':>8} {'nr':>10} {'date':>10} {'amountinclvat':>13}")
    for line in first_invoices(first):
        print(line)
    print(f"{total:,} sales invoices")
    return 0


async def _run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    # SIGTERM cancels the export like Ctrl-C does, so its temporary file is removed
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    if task is not None:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGTERM, task.cancel)
    if args.command == "demo":
        return await _demo(args)
    return await _export(args, env)


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return asyncio.run(_run(args, os.environ if env is None else env))
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, asyncio.CancelledError):
        print(f"{PROG}: interrupted; no file was written", file=sys.stderr)
        return 130
    except BouwsoftError as exc:
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return 1


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
