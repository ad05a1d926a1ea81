"""Benchmark 3: peak memory of the ``bouwsoft`` export command, 10,000 vs 100,000 invoices.

The command runs in its own process against a FakeBouwsoft in another process (no latency),
writing JSON Lines; its peak RSS comes from ``wait4``. A bounded parallel walk writes invoices as
they arrive, so the peak should not grow with the number of invoices.
Target: the 100,000 run within 1.1x of the 10,000 run (medians of three runs each).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _support import ACCESS_TOKEN, CLIENT_NR, fake_server, verdict

RUNS = 3


def export_peak_rss(invoices: int, directory: Path) -> tuple[float, float, int]:
    """Peak RSS in MB, seconds and lines written for one export of ``invoices``."""
    out = directory / f"invoices-{invoices}.jsonl"
    with fake_server(invoices) as url:
        env = {
            **os.environ,
            "BOUWSOFT_CLIENTNR": str(CLIENT_NR),
            "BOUWSOFT_ACCESS_TOKEN": ACCESS_TOKEN,
            "BOUWSOFT_BASE_URL": url,
        }
        started = time.perf_counter()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bouwsoft_async",
                "export",
                "sales-invoices",
                "--out",
                str(out),
                "--no-progress",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        assert proc.stderr is not None
        err = proc.stderr.read().decode()
        proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"the export failed: {err.strip()}")
    with out.open("rb") as stream:
        lines = sum(1 for _ in stream)
    out.unlink()
    # ru_maxrss is in kilobytes on Linux
    return usage.ru_maxrss / 1024, elapsed, lines


def main() -> None:
    sizes = (10_000, 100_000)
    with tempfile.TemporaryDirectory() as tmp:
        # the peak moves by a few MB from run to run (how full the pipeline happens to be at its
        # fullest): each size runs three times, interleaved, and the median counts
        runs: dict[int, list[tuple[float, float, int]]] = {n: [] for n in sizes}
        for _ in range(RUNS):
            for n in sizes:
                runs[n].append(export_peak_rss(n, Path(tmp)))
    print("export_memory: peak RSS of `bouwsoft export sales-invoices` (JSONL, concurrency 8)")
    peaks = {}
    for n in sizes:
        assert all(lines == n for _, _, lines in runs[n]), runs[n]
        peaks[n] = statistics.median(rss for rss, _, _ in runs[n])
        seconds = statistics.median(s for _, s, _ in runs[n])
        each = ", ".join(f"{rss:.1f}" for rss, _, _ in runs[n])
        print(
            f"  {n:>7,} invoices  peak RSS {peaks[n]:6.1f} MB  (median of {each}; "
            f"{seconds:5.1f} s, {n / seconds:,.0f}/s)"
        )
    verdict("export_memory", peaks[100_000] / peaks[10_000], 1.1, what="peak RSS 100,000 / 10,000")


if __name__ == "__main__":
    main()
