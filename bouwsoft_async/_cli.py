"""The ``bouwsoft`` command: ``export sales-invoices``, ``demo``, ``check-schema``.

Credentials come from the environment (``BOUWSOFT_*``, see ``ENVIRONMENT``); ``--demo`` uses an
embedded FakeBouwsoft instead. Everything the user gave (flags, variables, the output name) is
checked before the first request. A failure prints one line to stderr (never a traceback) and
exits with ``EXIT_FAILURE`` or ``EXIT_USAGE``.

Each command is a ``Command`` in ``COMMANDS``: its words (``("export", "sales-invoices")``),
its help, a function that adds its arguments and the coroutine that runs it. A new command is
one more entry; ``connect()`` gives it a client from the environment or ``--demo``.
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
import textwrap
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import attrs

from ._client import DEFAULT_AUTH_URL, BouwsoftClient, one_token_message
from ._errors import AuthenticationError, BouwsoftError, ConnectError, ValidationError
from ._export import FORMATS, Format, export_sales_invoices, first_invoices
from ._listing import MAX_PAGE_SIZE
from ._output import STDOUT, OutputError, Progress, resolve_output
from ._parallel import MAX_CONCURRENCY

__all__ = ["COMMANDS", "Command", "UsageError", "build_parser", "connect", "main"]

PROG = "bouwsoft"
DEMO_INVOICES = 5000

EXIT_OK = 0
EXIT_FAILURE = 1  # the API, the network or the output file failed
EXIT_USAGE = 2  # a flag, a variable or the credentials are wrong
EXIT_DRIFT = 3  # check-schema: the server's field tables differ from the client's
EXIT_INTERRUPTED = 130

CLIENTNR = "BOUWSOFT_CLIENTNR"
ACCESS_TOKEN = "BOUWSOFT_ACCESS_TOKEN"
REFRESH_TOKEN = "BOUWSOFT_REFRESH_TOKEN"
BASE_URL = "BOUWSOFT_BASE_URL"
AUTH_URL = "BOUWSOFT_AUTH_URL"
# the client's argument each variable feeds: the library's messages are told in these names
VARIABLE_OF_ARGUMENT = {
    "client_nr": CLIENTNR,
    "access_token": ACCESS_TOKEN,
    "refresh_token": REFRESH_TOKEN,
    "base_url": BASE_URL,
    "auth_url": AUTH_URL,
}

ENVIRONMENT = f"""\
environment (credentials; not needed with --demo):
  {CLIENTNR}       the customer number (a whole number from 1)
  {ACCESS_TOKEN}   a fixed AccessToken, with {BASE_URL}
  {BASE_URL}       its data server, e.g. https://ra.bouwsoft.be/api/v1
  {REFRESH_TOKEN}  or a RefreshToken: the data server comes from the token answer
  {AUTH_URL}       the authentication server (default {DEFAULT_AUTH_URL})
  (give one of the two tokens, not both)

exit codes: {EXIT_OK} done, {EXIT_FAILURE} an API, network or file error, {EXIT_USAGE} a usage \
or credentials problem, {EXIT_DRIFT} check-schema found differences, {EXIT_INTERRUPTED} \
interrupted"""

GROUP_HELP: dict[tuple[str, ...], str] = {("export",): "export records to a file (or stdout)"}
SUFFIX_FORMATS: dict[str, Format] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
}

logger = logging.getLogger("bouwsoft_async")


class UsageError(Exception):
    """A problem with the command line or the environment (exit code 2).

    ``usage`` is the usage line of the command concerned, when it is a problem with its flags.
    """

    def __init__(self, message: str, *, usage: str = "", help_hint: str = "") -> None:
        super().__init__(message)
        self.usage = usage
        self.help_hint = help_hint


# -- the command table -------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Command:
    """One command: ``words`` as typed after ``bouwsoft``, and what it does."""

    words: tuple[str, ...]
    help: str
    description: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, Mapping[str, str]], Awaitable[int]]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(
            message,
            usage=self.format_usage().strip(),
            help_hint=f"Try '{self.prog} --help' for more.",
        )


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


def _common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also print each retry, and a traceback for an unexpected error",
    )


def connection_arguments(parser: argparse.ArgumentParser) -> None:
    """``--demo [N]``: what ``connect()`` reads besides the environment."""
    parser.add_argument(
        "--demo",
        type=_whole(1),
        nargs="?",
        const=DEMO_INVOICES,
        metavar="N",
        help=f"use an embedded fake server with N invoices (default {DEMO_INVOICES:,}) "
        "instead of the BOUWSOFT_* credentials",
    )


def _progress_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--progress",
        dest="progress",
        action="store_true",
        default=None,
        help="draw the progress bar on stderr (default: when stderr is a terminal)",
    )
    group.add_argument("--no-progress", dest="progress", action="store_false")


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command in ``COMMANDS``."""
    parser = _Parser(
        prog=PROG,
        description="Bouwsoft ERP from the command line.",
        epilog=ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {_version()}")
    parser.set_defaults(group_parser=parser)
    groups: dict[tuple[str, ...], Any] = {}
    for command in COMMANDS:
        container = _subcommands(parser, groups, ())
        for depth, word in enumerate(command.words[:-1], start=1):
            key = command.words[:depth]
            if key not in groups:
                group = container.add_parser(
                    word,
                    help=GROUP_HELP.get(key, ""),
                    epilog=ENVIRONMENT,
                    formatter_class=argparse.RawDescriptionHelpFormatter,
                )
                group.set_defaults(group_parser=group)
                groups[key] = group
            container = _subcommands(groups[key], groups, key)
        leaf = container.add_parser(
            command.words[-1],
            help=command.help,
            description=textwrap.fill(command.description, 78),
            epilog=ENVIRONMENT,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.arguments(leaf)
        _common_arguments(leaf)
        leaf.set_defaults(command=command)
    return parser


def _subcommands(parser: Any, cache: dict[tuple[str, ...], Any], key: tuple[str, ...]) -> Any:
    slot = ("subcommands", *key)
    if slot not in cache:
        cache[slot] = parser.add_subparsers(
            title="commands", metavar="COMMAND", dest=f"command_{len(key)}"
        )
    return cache[slot]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("bouwsoft-async")
    except PackageNotFoundError:
        from . import __version__

        return __version__


# -- credentials -------------------------------------------------------------------------------


def _in_variables(message: str) -> str:
    """A library message about the client's arguments, told in the variables' names."""
    for argument, variable in VARIABLE_OF_ARGUMENT.items():
        message = re.sub(rf"\b{argument}\b", variable, message)
    return message


def client_from_env(env: Mapping[str, str], **options: Any) -> BouwsoftClient:
    """A client from the ``BOUWSOFT_*`` variables; UsageError says what is missing or wrong.

    Nothing is sent: the client checks its arguments when it is made, and a refusal comes back
    in the library's own words, with the variables' names for its arguments.
    """
    raw = env.get(CLIENTNR, "").strip()
    if not raw:
        raise UsageError(f"set {CLIENTNR} (or use --demo)")
    try:
        client_nr = int(raw)
    except ValueError:
        raise UsageError(f"{CLIENTNR} must be a whole number, not {raw!r}") from None
    access = env.get(ACCESS_TOKEN, "").strip() or None
    refresh = env.get(REFRESH_TOKEN, "").strip() or None
    base_url = env.get(BASE_URL, "").strip() or None
    auth_url = env.get(AUTH_URL, "").strip() or DEFAULT_AUTH_URL
    if access is None and refresh is None:
        raise UsageError(f"set {ACCESS_TOKEN} and {BASE_URL}, or {REFRESH_TOKEN} (or use --demo)")
    if access is not None and refresh is not None:
        raise UsageError(one_token_message(ACCESS_TOKEN, REFRESH_TOKEN))
    if access is not None and base_url is None:
        raise UsageError(f"{ACCESS_TOKEN} needs {BASE_URL} (the data server)")
    try:
        return BouwsoftClient(
            client_nr=client_nr,
            access_token=access,
            refresh_token=refresh,
            base_url=base_url,
            auth_url=auth_url,
            **options,
        )
    except ValidationError as exc:
        raise UsageError(_in_variables(str(exc))) from exc


@contextlib.asynccontextmanager
async def connect(
    args: argparse.Namespace, env: Mapping[str, str], **options: Any
) -> AsyncIterator[BouwsoftClient]:
    """A client for a command: an embedded fake with ``--demo``, else from the environment."""
    demo = getattr(args, "demo", None)
    if demo is None:
        async with client_from_env(env, **options) as client:
            yield client
        return
    from .testing import FakeBouwsoft

    async with FakeBouwsoft(sales_invoices=demo) as fake, fake.client(**options) as client:
        yield client


# -- export sales-invoices ---------------------------------------------------------------------


def _export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        required=True,
        metavar="PATH",
        help="the file to write, replaced if it exists (its permissions are kept; a symlink "
        "is followed); '-' writes to stdout as the invoices arrive (then an interrupted "
        "export leaves what it wrote so far)",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="jsonl: one JSON object a line; json: one JSON array; csv: one column per field. "
        "Default: from the suffix of --out (.jsonl, .json, .csv), else jsonl",
    )
    parser.add_argument("--filter", help="a Bouwsoft filter, e.g. \"type eq 'FAKTUUR'\"")
    parser.add_argument(
        "--since",
        type=_timestamp,
        metavar="TS",
        help="only invoices changed at or after this server time: YYYY-MM-DD[ HH:MM:SS]",
    )
    parser.add_argument(
        "--concurrency",
        type=_whole(1, MAX_CONCURRENCY),
        default=8,
        metavar="N",
        help=f"pages in flight, 1 to {MAX_CONCURRENCY} (default 8); with more than 1 the "
        "invoices are not in id order",
    )
    parser.add_argument(
        "--page-size",
        type=_whole(1, MAX_PAGE_SIZE),
        default=500,
        metavar="N",
        help=f"invoices per request, 1 to {MAX_PAGE_SIZE:,} (default 500)",
    )
    connection_arguments(parser)
    _progress_arguments(parser)


def _format_for(out: str, requested: Format | None) -> Format:
    """The format: ``--format``, else the suffix of ``--out``; a contradiction is refused."""
    implied = SUFFIX_FORMATS.get(Path(out).suffix.lower()) if out != STDOUT else None
    if requested is None:
        return implied or "jsonl"
    if implied is not None and implied != requested:
        raise UsageError(
            f"--format {requested} contradicts --out {out!r} (a .{implied} name); "
            f"leave out --format or change the name"
        )
    return requested


async def _export_sales_invoices(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    file_format = _format_for(args.out, args.format)
    target = resolve_output(args.out)  # before any request
    enabled = args.progress if args.progress is not None else sys.stderr.isatty()
    progress = Progress(stream=sys.stderr, enabled=enabled)
    _LogToStderr.progress = progress
    try:
        # the walk's concurrency is the one limit: the client allows exactly that many requests
        async with connect(args, env, max_concurrency=args.concurrency) as client:
            written = await export_sales_invoices(
                client.sales_invoices,
                args.out,
                format=file_format,
                filter=args.filter,
                since=args.since,
                concurrency=args.concurrency,
                page_size=args.page_size,
                progress=progress,
            )
    finally:
        progress.end()
        _LogToStderr.progress = None
    where = "stdout" if target.path is None else args.out
    print(f"wrote {written:,} sales invoices to {where}", file=sys.stderr)
    return EXIT_OK


# -- demo ---------------------------------------------------------------------------------------


def _demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--invoices",
        type=_whole(1),
        default=DEMO_INVOICES,
        metavar="N",
        help=f"invoices on the fake server (default {DEMO_INVOICES:,})",
    )


async def _demo(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    args.demo = args.invoices
    async with connect(args, env) as client:
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
    return EXIT_OK


# -- check-schema -------------------------------------------------------------------------------


def _check_schema_arguments(parser: argparse.ArgumentParser) -> None:
    connection_arguments(parser)


async def _check_schema(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    async with connect(args, env) as client:
        differences = await client.check_schema()
    for difference in differences:
        print(difference)
    if differences:
        print(
            f"{len(differences)} difference(s) between the server's field tables and the client's",
            file=sys.stderr,
        )
        return EXIT_DRIFT
    print("the server's field tables match the client's", file=sys.stderr)
    return EXIT_OK


COMMANDS: list[Command] = [
    Command(
        words=("export", "sales-invoices"),
        help="every sales invoice (or those matching --filter/--since) to a file",
        description="Export sales invoices to JSON Lines, JSON or CSV. The file is written "
        "under a temporary name beside it and appears (or replaces the old one) only when the "
        "export succeeded. With --concurrency above 1 the invoices come in arrival order, not "
        "in id order.",
        arguments=_export_arguments,
        run=_export_sales_invoices,
    ),
    Command(
        words=("demo",),
        help="show the first invoices of an embedded fake server and their count",
        description="Start an embedded FakeBouwsoft, print its first five sales invoices and "
        "how many there are.",
        arguments=_demo_arguments,
        run=_demo,
    ),
    Command(
        words=("check-schema",),
        help="compare the server's field tables (FieldInfo) with the client's",
        description="Read GET /<Resource>/FieldInfo/ for every resource the client models "
        "(SalesInvoices, PurchaseInvoices, Payments) and print each difference from the "
        "client's own tables on stdout, one a line: <Resource>.<field> added|removed|changed "
        f"[: what]. Exit {EXIT_OK} when there are none, {EXIT_DRIFT} when there are.",
        arguments=_check_schema_arguments,
        run=_check_schema,
    ),
]


# -- running ------------------------------------------------------------------------------------


class _LogToStderr(logging.Handler):
    """The library's log lines (retries) on stderr, below the progress bar, with --verbose."""

    progress: Progress | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if _LogToStderr.progress is not None:
            _LogToStderr.progress.clear()
        sys.stderr.write(f"{PROG}: {self.format(record)}\n")
        sys.stderr.flush()


@contextlib.contextmanager
def _library_logging(verbose: bool) -> Iterator[None]:
    """Retry lines only with --verbose: without it the command's last line says it all."""
    handler = _LogToStderr(logging.DEBUG if verbose else logging.CRITICAL + 1)
    saved = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.CRITICAL + 1)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.level, logger.propagate = saved


async def _run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    # SIGTERM cancels the command like Ctrl-C does, so an export's temporary file is removed
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    if task is not None:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGTERM, task.cancel)
    command: Command = args.command
    return await command.run(args, env)


def _failure(exc: BaseException, args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """Say in one line on stderr why the command failed; the exit code."""
    verbose = getattr(args, "verbose", False)
    demo = getattr(args, "demo", None) is not None
    code = EXIT_FAILURE
    if isinstance(exc, OutputError):
        code = EXIT_USAGE if exc.bad_name else EXIT_FAILURE
        message = str(exc)
    elif isinstance(exc, ValidationError):
        # the library refused a value the user gave (a filter, a date): nothing was sent
        code, message = EXIT_USAGE, _in_variables(str(exc))
    elif isinstance(exc, AuthenticationError) and not demo:
        code = EXIT_USAGE
        token = ACCESS_TOKEN if env.get(ACCESS_TOKEN, "").strip() else REFRESH_TOKEN
        message = f"{exc}; the server refused the credentials: check {CLIENTNR} and {token}"
    elif isinstance(exc, ConnectError) and not demo:
        message = f"{exc}; {_where_to_look(exc, env)}"
    elif isinstance(exc, BouwsoftError | OSError):
        message = str(exc)
    else:
        message = f"unexpected {type(exc).__name__}: {exc}"
        if verbose:
            traceback.print_exception(exc, file=sys.stderr)
        else:
            message += " (--verbose shows where)"
    print(f"{PROG}: error: {_one_line(message)}", file=sys.stderr)
    return code


def _where_to_look(exc: ConnectError, env: Mapping[str, str]) -> str:
    if "/Authorize/" in exc.path:
        url = env.get(AUTH_URL, "").strip() or DEFAULT_AUTH_URL
        return f"is the authentication server up? check {AUTH_URL} ({url})"
    url = env.get(BASE_URL, "").strip()
    if url:
        return f"is the data server up? check {BASE_URL} ({url})"
    return f"is the data server named by the token answer up? {BASE_URL} can set it"


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    env = os.environ if env is None else env
    args = argparse.Namespace()
    try:
        args = parser.parse_args(argv)
        if getattr(args, "command", None) is None:
            # ``bouwsoft`` or ``bouwsoft export`` alone: the commands there are
            args.group_parser.print_help(sys.stderr)
            return EXIT_USAGE
        with _library_logging(args.verbose):
            return asyncio.run(_run(args, env))
    except SystemExit as exc:  # --help, --version
        return int(exc.code) if isinstance(exc.code, int) else EXIT_OK
    except UsageError as exc:
        if exc.usage:
            print(exc.usage, file=sys.stderr)
        print(f"{PROG}: error: {_one_line(str(exc))}", file=sys.stderr)
        if exc.help_hint:
            print(exc.help_hint, file=sys.stderr)
        return EXIT_USAGE
    except (KeyboardInterrupt, asyncio.CancelledError):
        to_stdout = getattr(args, "out", None) == STDOUT
        outcome = "what went to stdout is incomplete" if to_stdout else "no file was written"
        print(f"{PROG}: interrupted; {outcome}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        return _failure(exc, args, env)


def _one_line(text: str) -> str:
    return " ".join(text.split()) or "failed"
