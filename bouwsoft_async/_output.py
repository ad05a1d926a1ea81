"""Where an export goes: the output file (or stdout), and the progress bar on stderr.

A file is written under a temporary name beside its target and renamed over it at the end, so a
failed or interrupted export never leaves a half file that looks whole. The target is checked
before anything is written: a symlink is followed (the file it points to is replaced, with the
temporary file beside it), a directory or a device, pipe or socket is refused, and an existing
file keeps its permission bits (a new one gets the umask's). ``-`` streams to stdout instead:
there is nothing to rename, so an interrupted export leaves what it wrote so far.
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import stat
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, TextIO

import attrs

__all__ = [
    "STDOUT",
    "OutputError",
    "OutputTarget",
    "Progress",
    "atomic_text_file",
    "open_binary_output",
    "open_output",
    "resolve_output",
]

STDOUT = "-"


class OutputError(Exception):
    """The output cannot be written. The message names the path as it was given, never the
    temporary file. ``bad_name`` is true when the name itself is wrong (empty, a directory,
    a device), before anything was tried."""

    def __init__(self, message: str, *, bad_name: bool = False) -> None:
        super().__init__(message)
        self.bad_name = bad_name


@attrs.frozen(kw_only=True)
class OutputTarget:
    """Where an export goes: ``path`` is the regular file finally written (symlinks followed),
    ``None`` for stdout; ``mode`` the permission bits of the file it replaces, if any."""

    given: str
    path: Path | None
    mode: int | None = None


def resolve_output(given: str | os.PathLike[str]) -> OutputTarget:
    """Check an output name before anything is written; OutputError says what is wrong."""
    text = os.fspath(given)
    if text == STDOUT:
        return OutputTarget(given=text, path=None)
    if not text.strip():
        raise OutputError("the output needs a file name (or - for stdout)", bad_name=True)
    path = Path(text)
    if text.endswith(("/", os.sep)) or path.name in ("", ".", ".."):
        raise OutputError(f"{text!r} is a directory, not a file name", bad_name=True)
    try:
        found = os.stat(path)  # follows symlinks, /dev/stdout's too
    except FileNotFoundError:
        found = None  # a new file, or a symlink to one
    except OSError as exc:
        raise OutputError(_cannot_write(text, exc)) from exc
    real = Path(os.path.realpath(path))
    if found is None:
        if not real.parent.is_dir():
            raise OutputError(f"cannot write {text!r}: its directory does not exist")
        return OutputTarget(given=text, path=real)
    if stat.S_ISDIR(found.st_mode):
        raise OutputError(f"{text!r} is a directory, not a file name", bad_name=True)
    if not stat.S_ISREG(found.st_mode):
        raise OutputError(
            f"{text!r} is not a regular file (a device, pipe or socket); use - to write to stdout",
            bad_name=True,
        )
    mode = stat.S_IMODE(found.st_mode)
    if not mode & 0o222:
        raise OutputError(f"{text!r} is read-only; not replacing it")
    return OutputTarget(given=text, path=real, mode=mode)


def _cannot_write(given: str, exc: OSError) -> str:
    return f"cannot write {given!r}: {exc.strerror or type(exc).__name__}"


def _is_file_error(exc: OSError) -> bool:
    # an OSError from the network is the client's business, not the file's
    return not isinstance(exc, ConnectionError | TimeoutError)


@contextlib.contextmanager
def open_binary_output(given: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """A binary stream to ``given`` (see the module docstring; ``-`` is stdout).

    The file appears (or replaces the old one) only when the block ends without an exception.
    Errors of the file itself become OutputError naming ``given``.
    """
    target = resolve_output(given)
    if target.path is None:
        with _stdout() as stream:
            yield stream
        return
    path = target.path
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    try:
        try:
            # mode "x" (not mkstemp) so a new file gets the usual permissions from the umask
            stream = open(temporary, "xb")  # noqa: SIM115 (closed below, before the rename)
        except OSError as exc:
            raise OutputError(_cannot_write(target.given, exc)) from exc
        try:
            with stream:
                yield stream
                stream.flush()
                os.fsync(stream.fileno())
                if target.mode is not None:
                    os.fchmod(stream.fileno(), target.mode)
            os.replace(temporary, path)
        except OSError as exc:
            if not _is_file_error(exc):
                raise
            raise OutputError(_cannot_write(target.given, exc)) from exc
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


@contextlib.contextmanager
def _stdout() -> Iterator[BinaryIO]:
    sys.stdout.flush()
    stream = sys.stdout.buffer
    try:
        yield stream
        stream.flush()
    except BrokenPipeError as exc:
        # the reader went away (``| head``): nothing more can be said on stdout
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
        raise OutputError("stdout was closed before the export finished") from exc


@contextlib.contextmanager
def open_output(given: str | os.PathLike[str]) -> Iterator[TextIO]:
    """A UTF-8 text stream (``\n`` line ends) to ``given``; as ``open_binary_output``."""
    with open_binary_output(given) as binary:
        text = io.TextIOWrapper(binary, encoding="utf-8", newline="")
        try:
            yield text
            text.flush()
        finally:
            text.detach()


def atomic_text_file(path: str | os.PathLike[str]) -> contextlib.AbstractContextManager[TextIO]:
    """The old name of ``open_output``."""
    return open_output(path)


# -- progress --------------------------------------------------------------------------------


class Progress:
    """A one-line progress bar on a stream: count, share, rate and time left.

    It draws at most ten times a second and only when ``enabled``; the caller decides (a TTY,
    or asked for), so pipes and tests stay clean.
    """

    def __init__(
        self,
        *,
        stream: TextIO | None = None,
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total: int | None = None
        self.done = 0
        self._stream = stream if stream is not None else sys.stderr
        self._enabled = enabled
        self._clock = clock
        self._started = clock()
        self._drawn_at = -1.0
        self._on_line = False  # the bar is drawn and its line not ended yet

    def start(self, total: int | None) -> None:
        self.total = total
        self._started = self._clock()
        self._draw(force=True)

    def advance(self, n: int) -> None:
        self.done += n
        self._draw()

    def finish(self) -> None:
        """Draw the final state and end the bar's line."""
        self._draw(force=True)
        self.end()

    def end(self) -> None:
        """End the bar's line (as it stands) so the next message starts on a line of its own;
        harmless when nothing is drawn. Call it before printing anything after a bar."""
        if self._on_line:
            self._on_line = False
            self._stream.write("\n")
            self._stream.flush()

    def clear(self) -> None:
        """Wipe the bar's line for a message; the next update draws the bar again below it."""
        if self._on_line:
            self._on_line = False
            self._drawn_at = -1.0
            self._stream.write("\r\x1b[K")
            self._stream.flush()

    def line(self) -> str:
        """The bar as text (without the carriage return)."""
        elapsed = max(self._clock() - self._started, 1e-9)
        rate = self.done / elapsed
        total = self.total
        if total:
            share = min(self.done / total, 1.0)
            width = 24
            filled = round(share * width)
            bar = "#" * filled + "-" * (width - filled)
            left = max(total - self.done, 0) / rate if rate > 0 else None
            eta = _clock_text(left) if left is not None else "--:--"
            return f"[{bar}] {self.done:,}/{total:,} {share:4.0%}  {rate:,.0f}/s  {eta} left"
        return f"{self.done:,} invoices  {rate:,.0f}/s  {_clock_text(elapsed)}"

    def _draw(self, *, force: bool = False) -> None:
        if not self._enabled:
            return
        now = self._clock()
        if not force and now - self._drawn_at < 0.1:
            return
        self._drawn_at = now
        self._on_line = True
        self._stream.write("\r" + self.line() + "\x1b[K")
        self._stream.flush()


def _clock_text(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
