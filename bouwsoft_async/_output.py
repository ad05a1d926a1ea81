"""Where an export goes: the output file (the README's rules: checked first, written under a
temporary name and renamed at the end) or stdout (``-``), and the progress bar on stderr."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, TextIO

import attrs

__all__ = ["STDOUT", "OutputError", "OutputTarget", "Progress", "open_output", "resolve_output"]

STDOUT = "-"
_FILE_BUFFER = 1 << 20


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

    path: Path | None
    mode: int | None = None


def resolve_output(given: str | os.PathLike[str]) -> OutputTarget:
    """Check an output name before anything is written; OutputError says what is wrong."""
    text = os.fspath(given)
    if text == STDOUT:
        return OutputTarget(path=None)
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
        return OutputTarget(path=real)
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
    return OutputTarget(path=real, mode=mode)


def _cannot_write(given: str, exc: OSError) -> str:
    return f"cannot write {given!r}: {exc.strerror or type(exc).__name__}"


@contextlib.contextmanager
def open_output(given: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """A binary stream to ``given`` (``-``: stdout); the file appears (or replaces the old one)
    only when the block ends without an exception. Errors of the file itself become OutputError
    naming ``given``."""
    target = resolve_output(given)
    text = os.fspath(given)
    if target.path is None:
        sys.stdout.flush()
        try:
            yield sys.stdout.buffer
            sys.stdout.buffer.flush()
        except BrokenPipeError as exc:
            # the reader went away (``| head``): nothing more can be said on stdout
            with contextlib.suppress(OSError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.buffer.fileno())
            raise OutputError("stdout was closed before the export finished") from exc
        return
    temporary = target.path.with_name(f".{target.path.name}.{secrets.token_hex(4)}.part")
    try:
        # created new (not mkstemp) so a new file gets the usual permissions from the umask, and
        # one that replaces a file at most that file's (the umask may take more) from the start:
        # a descriptor opened while it is written keeps reading; rows come one at a time, so a
        # large buffer keeps the system calls few
        created = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, target.mode or 0o666)
        with open(created, "wb", buffering=_FILE_BUFFER) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
            if target.mode is not None:
                os.fchmod(stream.fileno(), target.mode)
        os.replace(temporary, target.path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        # an OSError from the network is the client's business, not the file's
        if isinstance(exc, OSError) and not isinstance(exc, ConnectionError | TimeoutError):
            raise OutputError(_cannot_write(text, exc)) from exc
        raise


# -- progress --------------------------------------------------------------------------------


@attrs.define(kw_only=True)
class Progress:
    """A one-line progress bar on a stream (count, share, rate, time left), drawn at most ten
    times a second and only when ``enabled``: the caller decides (a TTY, or asked for)."""

    stream: TextIO = attrs.field(factory=lambda: sys.stderr)
    enabled: bool = True
    clock: Callable[[], float] = time.monotonic
    total: int | None = attrs.field(default=None, init=False)
    done: int = attrs.field(default=0, init=False)
    _started: float = attrs.field(default=0.0, init=False)
    _drawn_at: float = attrs.field(default=-1.0, init=False)
    _on_line: bool = attrs.field(default=False, init=False)  # the bar drawn, its line not ended

    def start(self, total: int | None) -> None:
        self.total = total
        self._started = self.clock()
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
        harmless when nothing is drawn."""
        self._wipe("\n")

    def clear(self) -> None:
        """Wipe the bar's line for a message; the next update draws the bar again below it."""
        self._drawn_at = -1.0
        self._wipe("\r\x1b[K")

    def line(self) -> str:
        """The bar as text (without the carriage return)."""
        elapsed = max(self.clock() - self._started, 1e-9)
        rate = self.done / elapsed
        total = self.total
        if total:
            share = min(self.done / total, 1.0)
            filled = round(share * 24)
            bar = "#" * filled + "-" * (24 - filled)
            left = _clock_text(max(total - self.done, 0) / rate) if rate > 0 else "--:--"
            return f"[{bar}] {self.done:,}/{total:,} {share:4.0%}  {rate:,.0f}/s  {left} left"
        return f"{self.done:,} invoices  {rate:,.0f}/s  {_clock_text(elapsed)}"

    def _wipe(self, ending: str) -> None:
        if self._on_line:
            self._on_line = False
            self.stream.write(ending)
            self.stream.flush()

    def _draw(self, *, force: bool = False) -> None:
        if not self.enabled:
            return
        now = self.clock()
        if not force and now - self._drawn_at < 0.1:
            return
        self._drawn_at = now
        self._on_line = True
        self.stream.write("\r" + self.line() + "\x1b[K")
        self.stream.flush()


def _clock_text(seconds: float) -> str:
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
