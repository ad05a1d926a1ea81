"""Where an export's text goes: the output file, written atomically, and the progress bar.

The file is written under a temporary name next to the target and renamed at the end, so a
failed or interrupted export never leaves a half file that looks whole.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

__all__ = ["Progress", "atomic_text_file"]


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

    def start(self, total: int | None) -> None:
        self.total = total
        self._started = self._clock()
        self._draw(force=True)

    def advance(self, n: int) -> None:
        self.done += n
        self._draw()

    def finish(self) -> None:
        self._draw(force=True)
        if self._enabled:
            self._stream.write("\n")
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
        self._stream.write("\r" + self.line() + "\x1b[K")
        self._stream.flush()


def _clock_text(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@contextlib.contextmanager
def atomic_text_file(path: Path) -> Iterator[TextIO]:
    """A text stream under a temporary name beside ``path``; renamed to ``path`` only when
    the block ends without an exception, removed otherwise."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    try:
        # mode "x" (not mkstemp) so the file gets the usual permissions from the umask
        with open(temporary, "x", encoding="utf-8", newline="") as stream:
            yield stream
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
