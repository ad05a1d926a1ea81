"""The ``bouwsoft`` command: ``export sales-invoices``, ``demo``, ``check-schema``.

Everything the user gave is checked before the first request; a failure is one line on stderr
(``_failure`` picks it and the exit code). A new command is one ``_command`` in ``build_parser``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import re
import signal
import sys
import traceback
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

from . import __version__
from ._client import DEFAULT_AUTH_URL, BouwsoftClient
from ._errors import AuthenticationError, BouwsoftError, ConnectError, ValidationError
from ._export import FORMATS, Format, export_sales_invoices
from ._listing import MAX_CONCURRENCY, MAX_PAGE_SIZE
from ._output import STDOUT, OutputError, Progress

__all__ = ["UsageError", "build_parser", "connect", "main"]

PROG = "bouwsoft"
DEMO_INVOICES = 5000

EXIT_OK = 0
EXIT_FAILURE = 1  # the API, the network or the output file failed
EXIT_USAGE = 2  # a flag, a variable or the credentials are wrong
EXIT_DRIFT = 3  # check-schema: the server's field tables differ from the client's
EXIT_INTERRUPTED = 130

# the client's argument each variable feeds: the library's messages are told in these names
VARIABLE_OF_ARGUMENT = {
    "client_nr": "BOUWSOFT_CLIENTNR",
    "access_token": "BOUWSOFT_ACCESS_TOKEN",
    "refresh_token": "BOUWSOFT_REFRESH_TOKEN",
    "base_url": "BOUWSOFT_BASE_URL",
    "auth_url": "BOUWSOFT_AUTH_URL",
}

ENVIRONMENT = f"""\
environment (credentials; not needed with --demo):
  BOUWSOFT_CLIENTNR       the customer number (a whole number from 1)
  BOUWSOFT_ACCESS_TOKEN   a fixed AccessToken, with BOUWSOFT_BASE_URL
  BOUWSOFT_BASE_URL       its data server, e.g. https://ra.bouwsoft.be/api/v1
  BOUWSOFT_REFRESH_TOKEN  or a RefreshToken: the data server comes from the token answer
  BOUWSOFT_AUTH_URL       the authentication server (default {DEFAULT_AUTH_URL})
  (give one of the two tokens, not both)

exit codes: {EXIT_OK} done, {EXIT_FAILURE} an API, network or file error, {EXIT_USAGE} a usage \
or credentials problem, {EXIT_DRIFT} check-schema found differences, {EXIT_INTERRUPTED} \
interrupted"""

SUFFIX_FORMATS: dict[str, Format] = {f".{name}": name for name in FORMATS} | {".ndjson": "jsonl"}


class UsageError(Exception):
    """A problem with the environment or a combination of flags (exit code 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{PROG}: error: {message}\nTry '{self.prog} --help' for more.\n")


def _whole(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number in ``low..high``, the range in the message."""
    allowed = f"from {low:,} to {high:,}" if high is not None else f"of at least {low:,}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be a whole number {allowed}, not {text}")
        return value

    return parse


def timestamp(text: str) -> datetime:
    """An argparse type (argparse names it in its message): ``YYYY-MM-DD[ HH:MM:SS]``."""
    return datetime.fromisoformat(text)


# -- the commands' arguments ---------------------------------------------------------------------

_DEMO = argparse.ArgumentParser(add_help=False)
_DEMO.add_argument(
    "--demo",
    type=_whole(1),
    nargs="?",
    const=DEMO_INVOICES,
    metavar="N",
    help=f"use an embedded fake server with N invoices (default {DEMO_INVOICES:,}) "
    "instead of the BOUWSOFT_* credentials",
)


def _command(
    commands: Any, name: str, help: str, run: Callable[..., Any], *parents: Any
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        help=help,
        description=help,
        epilog=ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=parents,
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also print each retry, and a traceback for an unexpected error",
    )
    parser.set_defaults(run=run)
    return parser


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command."""
    parser = _Parser(
        prog=PROG,
        description="Bouwsoft ERP from the command line.",
        epilog=ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.set_defaults(out=None, progress=False)
    commands = parser.add_subparsers(title="commands", dest="command", required=True)
    group = commands.add_parser("export", help="export records to a file (or stdout)")
    exports = group.add_subparsers(title="commands", dest="command", required=True)

    export = _command(
        exports,
        "sales-invoices",
        "every sales invoice (or those matching --filter/--since) to a file",
        _export_sales_invoices,
        _DEMO,
    )
    export.add_argument(
        "--out",
        required=True,
        metavar="PATH",
        help="the file to write; it appears, or replaces the old one (keeping its permissions; "
        "a symlink is followed), only when the export succeeded; '-' writes to stdout as the "
        "invoices arrive (then an interrupted export leaves what it wrote so far)",
    )
    export.add_argument(
        "--format",
        choices=FORMATS,
        help="default: from the suffix of --out (.jsonl, .json, .csv), else jsonl",
    )
    export.add_argument("--filter", help="a Bouwsoft filter, e.g. \"type eq 'FAKTUUR'\"")
    export.add_argument(
        "--since",
        type=timestamp,
        metavar="TS",
        help="only invoices changed at or after this server time: YYYY-MM-DD[ HH:MM:SS]",
    )
    export.add_argument(
        "--concurrency",
        type=_whole(1, MAX_CONCURRENCY),
        default=8,
        metavar="N",
        help=f"pages in flight, 1 to {MAX_CONCURRENCY} (default 8); with more than 1 the "
        "invoices are not in id order",
    )
    export.add_argument(
        "--page-size",
        type=_whole(1, MAX_PAGE_SIZE),
        default=500,
        metavar="N",
        help=f"invoices per request, 1 to {MAX_PAGE_SIZE:,} (default 500)",
    )
    export.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="draw the progress bar on stderr (default: when stderr is a terminal)",
    )

    demo = _command(
        commands,
        "demo",
        "show the first five invoices of an embedded fake server and their count",
        _demo,
    )
    demo.add_argument(
        "--invoices",
        dest="demo",
        type=_whole(1),
        default=DEMO_INVOICES,
        metavar="N",
        help=f"invoices on the fake server (default {DEMO_INVOICES:,})",
    )

    _command(
        commands,
        "check-schema",
        "print each difference of the server's field tables (FieldInfo) from the client's",
        _check_schema,
        _DEMO,
    )
    return parser


# -- credentials ---------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def connect(
    args: argparse.Namespace, env: Mapping[str, str], **options: Any
) -> AsyncIterator[BouwsoftClient]:
    """A client for a command: an embedded fake with ``--demo``, else from ``BOUWSOFT_*``."""
    if args.demo is not None:
        from .testing import FakeBouwsoft

        async with FakeBouwsoft(sales_invoices=args.demo) as fake, fake.client(**options) as client:
            yield client
        return
    # the client checks the variables when it is made (nothing is sent); see _failure
    given: dict[str, Any] = {
        argument: value
        for argument, variable in VARIABLE_OF_ARGUMENT.items()
        if (value := env.get(variable, "").strip())
    }
    client_nr = given.pop("client_nr", "")
    if not client_nr:
        raise UsageError("set BOUWSOFT_CLIENTNR (or use --demo)")
    if not client_nr.isdecimal():
        raise UsageError(f"BOUWSOFT_CLIENTNR must be a whole number, not {client_nr!r}")
    async with BouwsoftClient(client_nr=int(client_nr), **given, **options) as client:
        yield client


# -- the commands --------------------------------------------------------------------------------


async def _export_sales_invoices(
    args: argparse.Namespace, env: Mapping[str, str], progress: Progress
) -> int:
    implied = SUFFIX_FORMATS.get(Path(args.out).suffix.lower())
    if args.format and implied and args.format != implied:
        raise UsageError(
            f"--format {args.format} contradicts --out {args.out!r} (a .{implied} name); "
            "leave out --format or change the name"
        )
    # the walk's concurrency is the one limit: the client allows exactly that many requests
    async with connect(args, env, max_concurrency=args.concurrency) as client:
        written = await export_sales_invoices(
            client.sales_invoices,
            args.out,
            format=args.format or implied or "jsonl",
            filter=args.filter,
            since=args.since,
            concurrency=args.concurrency,
            page_size=args.page_size,
            progress=progress,
        )
    where = "stdout" if args.out == STDOUT else args.out
    print(f"wrote {written:,} sales invoices to {where}", file=sys.stderr)
    return EXIT_OK


async def _demo(args: argparse.Namespace, env: Mapping[str, str], progress: Progress) -> int:
    async with connect(args, env) as client:
        pages = client.sales_invoices.pages(page_size=5)
        async with contextlib.aclosing(pages):
            first = await anext(pages)
    print(f"{'id':>8} {'nr':>10} {'date':>10} {'amountinclvat':>13}")
    for inv in first.records:
        print(f"{inv.id:>8} {inv.nr:>10} {inv.date or ''!s:>10} {inv.amountinclvat:>13}")
    print(f"{first.walk_total:,} sales invoices")
    return EXIT_OK


def _shown(text: str) -> str:
    """``text`` for a terminal: what a server wrote into it for one (escapes, bidi overrides)
    is shown as Python writes it escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


async def _check_schema(
    args: argparse.Namespace, env: Mapping[str, str], progress: Progress
) -> int:
    async with connect(args, env) as client:
        differences = await client.check_schema()
    for difference in differences:
        print(_shown(str(difference)))
    if differences:
        print(
            f"{len(differences)} difference(s) between the server's field tables and the client's",
            file=sys.stderr,
        )
        return EXIT_DRIFT
    print("the server's field tables match the client's", file=sys.stderr)
    return EXIT_OK


# -- running -------------------------------------------------------------------------------------


class _AboveTheBar(logging.Handler):
    """The library's log lines (retries) on stderr, the progress bar wiped first."""

    def __init__(self, progress: Progress) -> None:
        super().__init__()
        self.progress = progress

    def emit(self, record: logging.LogRecord) -> None:
        self.progress.clear()
        sys.stderr.write(f"{PROG}: {self.format(record)}\n")
        sys.stderr.flush()


async def _run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    # SIGTERM cancels the command like Ctrl-C does, so an export's temporary file is removed
    task = asyncio.current_task()
    if task is not None:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    enabled = sys.stderr.isatty() if args.progress is None else args.progress
    progress = Progress(stream=sys.stderr, enabled=enabled)
    # retry lines only with --verbose: without it the command's last line says it all
    handler = _AboveTheBar(progress) if args.verbose else logging.NullHandler()
    logging.getLogger("bouwsoft_async").addHandler(handler)
    try:
        code: int = await args.run(args, env, progress)
        return code
    finally:
        progress.end()
        logging.getLogger("bouwsoft_async").removeHandler(handler)


def _failure(exc: Exception, args: argparse.Namespace, env: Mapping[str, str]) -> tuple[int, str]:
    """The exit code of a failed command and the line that says why."""
    if isinstance(exc, ValidationError):
        # the library refused a value the user gave (a variable, a filter): nothing was sent;
        # its message names the client's arguments, the user knows the variables
        message = str(exc)
        for argument, variable in VARIABLE_OF_ARGUMENT.items():
            message = re.sub(rf"\b(?:an? )?{argument}\b", variable, message)
        return EXIT_USAGE, message
    if isinstance(exc, UsageError) or (isinstance(exc, OutputError) and exc.bad_name):
        return EXIT_USAGE, str(exc)
    if isinstance(exc, AuthenticationError) and args.demo is None:
        token = "ACCESS" if env.get("BOUWSOFT_ACCESS_TOKEN", "").strip() else "REFRESH"
        return EXIT_USAGE, (
            f"{exc}; the server refused the credentials: "
            f"check BOUWSOFT_CLIENTNR and BOUWSOFT_{token}_TOKEN"
        )
    if isinstance(exc, ConnectError) and args.demo is None:
        variable = "BOUWSOFT_AUTH_URL" if "/Authorize/" in exc.path else "BOUWSOFT_BASE_URL"
        return EXIT_FAILURE, f"{exc}; is the server up? check {variable}"
    if isinstance(exc, BouwsoftError | OutputError | OSError):
        return EXIT_FAILURE, str(exc)
    if args.verbose:
        traceback.print_exception(exc, file=sys.stderr)
        return EXIT_FAILURE, f"unexpected {type(exc).__name__}: {exc}"
    return EXIT_FAILURE, f"unexpected {type(exc).__name__}: {exc} (--verbose shows where)"


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    env = os.environ if env is None else env
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error argparse has printed
        return int(exc.code or 0)
    try:
        return asyncio.run(_run(args, env))
    except (KeyboardInterrupt, asyncio.CancelledError):
        outcome = (
            "what went to stdout is incomplete" if args.out == STDOUT else "no file was written"
        )
        print(f"{PROG}: interrupted; {outcome}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        code, message = _failure(exc, args, env)
        print(f"{PROG}: error: {_shown(' '.join(message.split()))}", file=sys.stderr)
        return code
