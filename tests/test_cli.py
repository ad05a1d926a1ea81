"""The ``bouwsoft`` command: demo exports to JSONL and CSV, atomic files, one-line errors."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from bouwsoft_async._cli import main
from bouwsoft_async._export import FIELD_NAMES
from bouwsoft_async._output import Progress
from bouwsoft_async.testing import FakeBouwsoft, invoice_dict
from bouwsoft_async.testing._invoices import MONEY_FIELDS, invoice_ids

N = 300


def _exact(value: object) -> Decimal:
    # what the vendor's float stands for: its shortest repr
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))


def test_demo_export_writes_valid_json_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "invoices.jsonl"
    code = main(["export", "sales-invoices", "--demo", str(N), "--out", str(out)])
    assert code == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(row["id"] for row in rows) == invoice_ids(N)
    by_id = {row["id"]: row for row in rows}
    for invoice_id in invoice_ids(N)[:40]:
        wire = invoice_dict(invoice_id)
        row = by_id[invoice_id]
        assert list(row)[: len(FIELD_NAMES)] == list(FIELD_NAMES)
        for name in ("basis", "vatamount", "amountinclvat", "balance"):
            # money is exact text, never a binary float
            assert isinstance(row[name], str)
            assert Decimal(row[name]) == _exact(wire[name])
        assert row["nr"] == wire["nr"]
        assert row["ts_lastupdate"] == wire["ts_lastupdate"]
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"wrote {N}" in captured.err
    assert "\r" not in captured.err  # no progress bar when stderr is not a terminal
    assert [p.name for p in tmp_path.iterdir()] == ["invoices.jsonl"]


def test_demo_export_writes_valid_csv(tmp_path: Path) -> None:
    out = tmp_path / "invoices.csv"
    code = main(
        [
            "export",
            "sales-invoices",
            "--demo",
            str(N),
            "--out",
            str(out),
            "--format",
            "csv",
            "--concurrency",
            "3",
            "--page-size",
            "70",
        ]
    )
    assert code == 0
    with out.open(newline="", encoding="utf-8") as stream:
        reader = csv.DictReader(stream)
        assert reader.fieldnames == [*FIELD_NAMES, "extra"]
        rows = list(reader)
    assert sorted(int(row["id"]) for row in rows) == invoice_ids(N)
    for row in rows[:50]:
        wire = invoice_dict(int(row["id"]))
        for name in FIELD_NAMES:
            if name in MONEY_FIELDS:
                assert Decimal(row[name]) == _exact(wire[name]), name
                assert "E" not in row[name]
        assert row["approved"] == ("true" if wire["approved"] else "false")
        assert row["expirationdate"] == wire["expirationdate"]
        assert row["extra"] == ""


def test_filter_and_since_are_applied(tmp_path: Path) -> None:
    out = tmp_path / "some.jsonl"
    code = main(
        [
            "export",
            "sales-invoices",
            "--demo",
            str(N),
            "--out",
            str(out),
            "--filter",
            "company_id eq 2",
            "--since",
            "2019-03-01",
        ]
    )
    assert code == 0
    ids = sorted(json.loads(line)["id"] for line in out.read_text().splitlines())
    expected = [
        i
        for i in invoice_ids(N)
        if invoice_dict(i)["company_id"] == 2
        and invoice_dict(i)["ts_lastupdate"] >= "2019-03-01 00:00:00"
    ]
    assert 0 < len(expected) < N
    assert ids == expected


def test_a_failed_export_leaves_no_file_and_says_why_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bad.jsonl"
    code = main(["export", "sales-invoices", "--demo", "50", "--out", str(out), "--filter", "x"])
    assert code != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("bouwsoft: error:")
    assert "400" in err
    assert list(tmp_path.iterdir()) == []


def test_missing_credentials_are_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["export", "sales-invoices", "--out", str(tmp_path / "x.jsonl")], env={})
    assert code == 2
    err = capsys.readouterr().err
    assert err == "bouwsoft: error: set BOUWSOFT_CLIENTNR (or use --demo)\n"
    code = main(
        ["export", "sales-invoices", "--out", str(tmp_path / "x.jsonl")],
        env={"BOUWSOFT_CLIENTNR": "115", "BOUWSOFT_ACCESS_TOKEN": "t"},
    )
    assert code == 2
    assert "BOUWSOFT_BASE_URL" in capsys.readouterr().err
    assert main(["export", "sales-invoices", "--out", "x", "--page-size", "0"]) == 2
    assert "--page-size" in capsys.readouterr().err


async def test_credentials_from_the_environment(tmp_path: Path) -> None:
    out = tmp_path / "env.jsonl"
    async with FakeBouwsoft(sales_invoices=120) as fake:
        for env in (
            {"BOUWSOFT_ACCESS_TOKEN": "fake-access-token", "BOUWSOFT_BASE_URL": fake.url},
            {"BOUWSOFT_REFRESH_TOKEN": fake.refresh_token, "BOUWSOFT_AUTH_URL": fake.url},
        ):
            env["BOUWSOFT_CLIENTNR"] = str(fake.client_nr)
            argv = ["export", "sales-invoices", "--out", str(out), "--page-size", "50"]
            # the command runs its own event loop, so it gets a thread of its own
            code = await asyncio.to_thread(main, argv, env)
            assert code == 0
            ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
            assert sorted(ids) == fake.invoice_ids


def test_demo_prints_five_invoices_and_the_count(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["id", "nr", "date", "amountinclvat"]
    first = invoice_ids(5)
    assert [int(line.split()[0]) for line in lines[1:6]] == first
    assert lines[1].split()[3] == str(_exact(invoice_dict(first[0])["amountinclvat"]))
    assert lines[6] == "5,000 sales invoices"


def _default_sigint() -> None:
    # a shell starts background jobs with SIGINT ignored, and Python then keeps ignoring it;
    # the export must meet Ctrl-C as a terminal user sends it, whatever started pytest
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start_big_export(out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bouwsoft_async",
            "export",
            "sales-invoices",
            "--demo",
            "400000",
            "--out",
            str(out),
            "--concurrency",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_default_sigint,
    )


def _wait_for_partial_file(directory: Path, proc: subprocess.Popen[bytes]) -> Path:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        parts = [p for p in directory.iterdir() if p.name.endswith(".part")]
        if parts and parts[0].stat().st_size > 0:
            return parts[0]
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError("the export never started writing")


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_a_killed_export_leaves_no_output_file(tmp_path: Path, how: signal.Signals) -> None:
    out = tmp_path / "invoices.jsonl"
    proc = _start_big_export(out)
    try:
        partial = _wait_for_partial_file(tmp_path, proc)
        assert partial.name.startswith(".invoices.jsonl.")
        os.kill(proc.pid, how)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode != 0
    assert not out.exists()
    if how != signal.SIGKILL:
        # a catchable signal also removes the temporary file and says so in one line
        assert list(tmp_path.iterdir()) == []
        assert err.decode().strip().splitlines()[-1].startswith("bouwsoft: interrupted")


def test_progress_bar_shows_count_rate_and_time_left() -> None:
    now = [100.0]
    stream = io.StringIO()
    progress = Progress(stream=stream, enabled=True, clock=lambda: now[0])
    progress.start(1000)
    now[0] += 2.0
    progress.advance(250)
    line = progress.line()
    assert "250/1,000" in line
    assert "25%" in line
    assert "125/s" in line
    assert "0:06 left" in line
    progress.finish()
    assert stream.getvalue().startswith("\r")
    assert stream.getvalue().endswith("\n")
    quiet = io.StringIO()
    silent = Progress(stream=quiet, enabled=False)
    silent.start(10)
    silent.advance(10)
    silent.finish()
    assert quiet.getvalue() == ""


def test_python_dash_m_runs_the_same_command(tmp_path: Path) -> None:
    out = tmp_path / "m.csv"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bouwsoft_async",
            "export",
            "sales-invoices",
            "--demo",
            "20",
            "--out",
            str(out),
            "--format",
            "csv",
        ],
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert len(out.read_text().splitlines()) == 21


def test_since_is_parsed_as_server_time() -> None:
    from bouwsoft_async._cli import build_parser

    def since(text: str) -> object:
        args = ["export", "sales-invoices", "--out", "-", "--since", text]
        return build_parser().parse_args(args).since

    assert since("2024-05-01") == datetime(2024, 5, 1)
    assert since("2024-05-01 10:11:12") == datetime(2024, 5, 1, 10, 11, 12)


def test_progress_end_and_clear_keep_messages_off_the_bar() -> None:
    stream = io.StringIO()
    progress = Progress(stream=stream, enabled=True, clock=lambda: 1.0)
    progress.end()
    assert stream.getvalue() == ""  # nothing drawn, nothing to end
    progress.start(10)
    progress.clear()
    assert stream.getvalue().endswith("\r\x1b[K")  # a log line may now take the line
    progress.advance(5)
    progress.end()
    progress.end()
    drawn = stream.getvalue()
    assert drawn.endswith("left\x1b[K\n")
    assert drawn.count("\n") == 1


def test_the_readme_lists_every_flag_and_exit_code_of_the_command() -> None:
    import argparse

    from bouwsoft_async._cli import build_parser

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### The `bouwsoft` command", 1)[1].split("\n### ", 1)[0]
    parser = build_parser()

    def command(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
        found = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        return found.choices[name]  # type: ignore[no-any-return]

    export = command(command(parser, "export"), "sales-invoices")
    flags = [
        max(action.option_strings, key=len)
        for action in export._actions
        if action.option_strings and action.dest != "help"
    ]
    assert "--out" in flags
    assert [flag for flag in flags if f"`{flag}" not in section] == []
    for code in (0, 1, 2, 130):
        assert f"| {code} |" in section


async def test_export_against_the_strict_fake(tmp_path: Path) -> None:
    # the export CLI against the strictest server the evidence allows (issue 12): %20 only,
    # eq/ne/gt only; a parallel walk with a filter and since, every matching invoice once
    out = tmp_path / "strict.jsonl"
    async with FakeBouwsoft(sales_invoices=600, strict=True) as fake:
        env = {
            "BOUWSOFT_CLIENTNR": str(fake.client_nr),
            "BOUWSOFT_ACCESS_TOKEN": "fake-access-token",
            "BOUWSOFT_BASE_URL": fake.url,
        }
        argv = ["export", "sales-invoices", "--out", str(out), "--page-size", "25",
                "--concurrency", "4", "--filter", "type eq 'FAKTUUR' or company_id eq 2",
                "--since", "2019-03-01"]  # fmt: skip
        code = await asyncio.to_thread(main, argv, env)
        assert code == 0
        ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
        expected = [
            i
            for i in fake.invoice_ids
            if (invoice_dict(i)["type"] == "FAKTUUR" or invoice_dict(i)["company_id"] == 2)
            and invoice_dict(i)["ts_lastupdate"] >= "2019-03-01 00:00:00"
        ]
        assert 0 < len(expected) < 600
        assert sorted(ids) == expected
        queries = [r.raw_query for r in fake.requests if "SalesInvoices" in r.path]
        assert queries
        assert all("+" not in q for q in queries)
