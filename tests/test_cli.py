"""The ``bouwsoft`` command: demo exports to JSONL and CSV, atomic files, one-line errors."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import orjson
import pytest
from seams import command_env

from bouwsoft_async import DecodeError
from bouwsoft_async._cli import main
from bouwsoft_async._convert import ROW_TEXT, _plain_value, structure_many
from bouwsoft_async._export import _LAYOUTS, FIELD_NAMES, FORMATS, Format, export_sales_invoices
from bouwsoft_async._models import SalesInvoice
from bouwsoft_async._output import Progress
from bouwsoft_async._sales_invoices import sales_invoice_rows
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
        env = command_env(fake)
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


def _model_row(invoice: SalesInvoice) -> dict[str, Any]:
    # the typed path's row: the model's fields, then the unknown ones, written as rows() writes
    row = attrs.asdict(invoice, recurse=False)
    row.update(row.pop("extra"))
    plain: dict[str, Any] = _plain_value(row, ROW_TEXT)
    return plain


def _csv_cell(value: Any) -> str:
    # what the README promises a CSV cell holds: booleans true/false, None empty
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def _typed(value: Any) -> Any:
    # a value with its class (1 and 1.0 and True differ, and 0.0 and -0.0), dicts unordered
    if isinstance(value, dict):
        return sorted((key, _typed(item)) for key, item in value.items())
    if isinstance(value, list):
        return [_typed(item) for item in value]
    return (type(value).__name__, repr(value) if isinstance(value, float) else value)


def _written(fmt: str, pages: list[list[dict[str, Any]]]) -> bytes:
    head, pieces, tail = _LAYOUTS[fmt]
    out, written = [head], 0
    for page in pages:
        out.extend(pieces(page, written))
        written += len(page)
    out.append(tail(written))
    return b"".join(out)


def _read_back(fmt: str, data: bytes, expected: list[dict[str, Any]]) -> None:
    """Parse ``data`` with independent parsers and compare it value by value with
    ``expected`` (the models' rows, in the same order)."""
    text = data.decode("utf-8")  # strict: the output is UTF-8
    if fmt == "csv":
        lines = list(csv.reader(io.StringIO(text, newline=""), strict=True))
        assert lines[0] == [*FIELD_NAMES, "extra"]
        assert len(lines) == len(expected) + 1
        for row, cells in zip(expected, lines[1:], strict=True):
            assert cells[:-1] == [_csv_cell(row[name]) for name in FIELD_NAMES]
            unknown = {key: value for key, value in row.items() if key not in FIELD_NAMES}
            extra = _typed(json.loads(cells[-1])) if cells[-1] else None
            assert extra == (_typed(unknown) if unknown else None)
        return
    if fmt == "jsonl":
        assert data == b"" or data.endswith(b"\n")
        got = [json.loads(line) for line in data.split(b"\n")[:-1]]  # one record a line
    else:
        got = json.loads(text)
    assert [_typed(row) for row in got] == [_typed(row) for row in expected]


def test_csv_quotes_a_text_with_a_lone_carriage_return() -> None:
    # the csv module quotes only the characters of its line terminator ("\n"): a text holding a
    # bare "\r" (an old Mac line break) was written unquoted, and every CSV reader ended the row
    # there, leaving a broken row and a row of the rest of the invoice
    records = [invoice_dict(i) for i in invoice_ids(3)]
    records[1].update(concerning="Dak\rlekt", address_city="a\r\nb", zz_note="x\ry")
    expected = [_model_row(invoice) for invoice in structure_many(records, SalesInvoice)]
    rows = sales_invoice_rows(orjson.loads(orjson.dumps(records)))
    data = _written("csv", [rows])
    _read_back("csv", data, expected)
    cells = list(csv.reader(io.StringIO(data.decode(), newline="")))[2]
    assert cells[FIELD_NAMES.index("concerning")] == "Dak\rlekt"


_EDGE_TEXTS = ["a,b", 'say "hi"', "it's", "l1\nl2", "l1\r\nl2", "cr\ronly", "tab\there", " pad ",
               "", "é ß", "😀", "\\", "=SUM(A1)", "+32 123", '"', ",", "\r", "\u2028", "\x00",
               "\ufeffbom", "null", "x" * 3000]  # fmt: skip
_EDGE_AMOUNTS = [0, 0.0, -0.0, 1e-5, -1e-5, 0.00015, 1.0005, 922337203685477.5807, 1e15, 0.1,
                 100.05, 12345678901234, -7, 2**53, 1e20]  # fmt: skip
_EDGE_EXTRA = [1.5, -0.0, 0.1, 1e300, 5e-324, {"a": [1, 2.5, {"b": -0.0}]}, [], None, True,
               'é,"\n\r', 2**63 - 1, 2**64 - 1, ""]  # fmt: skip


def _edge_page(rng: random.Random, count: int) -> list[dict[str, Any]]:
    fields = attrs.fields_dict(attrs.resolve_types(SalesInvoice))
    kinds: dict[str, list[str]] = {}
    for name, field in fields.items():
        kinds.setdefault(str(field.type).split("Wire(kind='")[-1].split("'")[0], []).append(name)
    texts, doubles = kinds["tpString"], kinds["tpDouble"]
    page = []
    for invoice_id in invoice_ids(count):
        record = invoice_dict(invoice_id)
        for name in rng.sample(texts, 10):
            record[name] = rng.choice(_EDGE_TEXTS)
        for name in rng.sample(sorted(MONEY_FIELDS), 6):
            record[name] = rng.choice(_EDGE_AMOUNTS)
        for name in rng.sample(doubles, 3):
            record[name] = rng.choice([0, 0.0, -0.0, 12.5, 1e-7, 51.19, 5e-324])
        for name in ("date", "expirationdate", "approved_date", "sent_date"):
            record[name] = rng.choice(["", "2024-02-29", "9999-12-31", record[name]])
        record["einvoice_sent_ts"] = rng.choice(["", "2020-01-02T03:04:05", "2020-01-02 03:04:05"])
        for key in rng.sample(["zz", "x,y", 'q"k', "é\n"], rng.randint(0, 2)):
            record[key] = rng.choice(_EDGE_EXTRA)
        if rng.random() < 0.2:  # an older server: no e-invoice fields
            for key in [key for key in record if key.startswith("einvoice_")]:
                del record[key]
        page.append(record)
    return page


def test_each_format_reads_back_as_the_models_of_edge_pages() -> None:
    # a seeded property test: pages of edge texts, amounts, dates and unknown fields, written
    # by each format and parsed back by the csv and json modules, value by value against the
    # typed models written as the README promises
    rng = random.Random(20261121)
    for _ in range(8):
        bodies = [orjson.dumps(_edge_page(rng, rng.choice([1, 7, 8, 30]))) for _ in range(3)]
        expected = [
            _model_row(invoice)
            for body in bodies
            for invoice in structure_many(orjson.loads(body), SalesInvoice)
        ]
        pages = [sales_invoice_rows(orjson.loads(body)) for body in bodies]
        for row in (row for page in pages for row in page):
            assert all("E" not in row[name] for name in MONEY_FIELDS)  # plain digits
        for fmt in FORMATS:
            _read_back(fmt, _written(fmt, pages), expected)
    for fmt in FORMATS:  # no invoices: an empty file, an empty array, the header
        for pages in ([], [[], []]):
            _read_back(fmt, _written(fmt, pages), [])


async def test_export_of_each_format_reads_back_as_the_listed_models(tmp_path: Path) -> None:
    fake = FakeBouwsoft(sales_invoices=120)
    async with fake, fake.client(access_token=fake.access_token) as client:
        listed = [invoice async for invoice in client.sales_invoices.list(concurrency=1)]
        for fmt in FORMATS:
            out = tmp_path / f"invoices.{fmt}"
            count = await export_sales_invoices(
                client.sales_invoices, out, format=fmt, concurrency=3, page_size=17
            )
            assert count == len(listed)
            data = out.read_bytes()
            if fmt == "json":  # the order of arrival: compare by id
                order = [row["id"] for row in json.loads(data)]
            elif fmt == "jsonl":
                order = [json.loads(line)["id"] for line in data.splitlines()]
            else:
                order = [int(line[0]) for line in list(csv.reader(io.StringIO(data.decode())))[1:]]
            by_id = {invoice.id: invoice for invoice in listed}
            _read_back(fmt, data, [_model_row(by_id[i]) for i in order])


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("field", ["concerning", "surprise"])
async def test_an_export_refuses_text_utf8_cannot_write_and_names_where(
    tmp_path: Path, fmt: Format, field: str
) -> None:
    # a lone surrogate as a JSON escape ("\udc80"): orjson refuses it, the stdlib parser lets it
    # through, and no UTF-8 can write it; the export says which invoice and field, not a bare
    # UnicodeEncodeError, and leaves no file
    fake = FakeBouwsoft(sales_invoices=3)
    record = {**invoice_dict(fake.invoice_ids[0]), field: "bank-\udc80-7"}
    body = json.dumps({"Content-Range": "0-0/1", "Records": [record]}).encode()
    async with fake, fake.client(access_token=fake.access_token) as client:
        fake.add_fault(status=200, body=body, method="GET", path_contains="SalesInvoices", times=9)
        out = tmp_path / f"invoices.{fmt}"
        with pytest.raises(DecodeError, match=rf"invoice {record['id']}: field '{field}'"):
            await export_sales_invoices(client.sales_invoices, out, format=fmt, concurrency=1)
    assert not out.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("basis", '"1e200000"'), ("basis", "1e200000"), ("vatpercent", '"1E-200000"'),
     ("surprise", "-1e200000")],
)  # fmt: skip
async def test_a_number_of_more_digits_than_int_reads_is_a_decode_error(
    tmp_path: Path, field: str, value: str
) -> None:
    # a few bytes of exponent were spelled out in full: "basis": "1e999999" cost about a minute
    # of CPU on the event loop (10**999999 made an int and a Decimal, quadratic), a longer one
    # hours, and the export then wrote a million-digit amount; numbers stay within the 4,300
    # digits int() reads, as a digit string does
    fake = FakeBouwsoft(sales_invoices=3)
    text = json.dumps({**invoice_dict(fake.invoice_ids[0]), field: "HUGE"})
    record = text.replace('"HUGE"', value)
    body = f'{{"Content-Range": "0-0/1", "Records": [{record}]}}'.encode()
    async with fake, fake.client(access_token=fake.access_token) as client:
        fake.add_fault(status=200, body=body, method="GET", path_contains="SalesInvoices", times=9)
        with pytest.raises(DecodeError, match="4,300 digits"):
            await anext(client.sales_invoices.list())
        out = tmp_path / "invoices.jsonl"
        with pytest.raises(DecodeError, match="4,300 digits"):
            await export_sales_invoices(client.sales_invoices, out, concurrency=1)
    assert not out.exists()
