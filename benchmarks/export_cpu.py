"""Benchmark 4: client CPU of the ``bouwsoft`` export against a user's own 30-line exporter.

100,000 invoices from a FakeBouwsoft in its own process, no server time. Each exporter runs in
its own process, writing JSON Lines, three times, interleaved: ``bouwsoft export sales-invoices``
(defaults: concurrency 8, pages of 500) and ``reference_export.py`` (aiohttp + orjson, a
sequential ``id gt`` walk, records written as received). Records/s is from the wall time; client
CPU (user + system, from ``wait4``) per record is printed for both.
Target: the CLI's records/s at least 0.8x the reference's (medians of three runs).
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

from _support import ACCESS_TOKEN, CLIENT_NR, fake_server

INVOICES = 100_000
RUNS = 3
HERE = Path(__file__).parent


def run(command: list[str], env: dict[str, str], out: Path) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and lines written of one exporter run."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    assert proc.stderr is not None
    err = proc.stderr.read().decode()
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{command[1]} failed: {err.strip()}")
    with out.open("rb") as stream:
        lines = sum(1 for _ in stream)
    out.unlink()
    return elapsed, usage.ru_utime + usage.ru_stime, lines


def main() -> None:
    results: dict[str, list[tuple[float, float, int]]] = {"cli": [], "reference": []}
    with tempfile.TemporaryDirectory() as tmp, fake_server(INVOICES) as url:
        out = Path(tmp) / "invoices.jsonl"
        env = {
            **os.environ,
            "BOUWSOFT_CLIENTNR": str(CLIENT_NR),
            "BOUWSOFT_ACCESS_TOKEN": ACCESS_TOKEN,
            "BOUWSOFT_BASE_URL": url,
        }
        commands = {
            "cli": [
                sys.executable, "-m", "bouwsoft_async", "export", "sales-invoices",
                "--out", str(out), "--no-progress",
            ],
            "reference": [
                sys.executable, str(HERE / "reference_export.py"),
                url, str(CLIENT_NR), ACCESS_TOKEN, str(out),
            ],
        }  # fmt: skip
        for _ in range(RUNS):
            for name, command in commands.items():
                results[name].append(run(command, env, out))
    print(f"export_cpu: {INVOICES:,} invoices to JSON Lines, fake in its own process, no server "
          f"time, median of {RUNS}")  # fmt: skip
    rate = {}
    for name, runs in results.items():
        assert all(lines == INVOICES for _, _, lines in runs), runs
        wall = statistics.median(w for w, _, _ in runs)
        cpu = statistics.median(c for _, c, _ in runs)
        rate[name] = INVOICES / wall
        print(
            f"  {name:9}  {wall:6.2f} s  {rate[name]:8,.0f} records/s  "
            f"client CPU {cpu / INVOICES * 1e6:5.1f} us/record  (walls "
            + ", ".join(f"{w:.2f}" for w, _, _ in runs)
            + ")"
        )
    ratio = rate["cli"] / rate["reference"]
    met = "target met" if ratio >= 0.8 else "target NOT met"
    print(f"export_cpu: CLI records/s / reference = {ratio:.2f}x (target >= 0.8x): {met}")


if __name__ == "__main__":
    main()
