"""The ``bouwsoft`` command as a careless user meets it, run as a real process each time.

The output file (symlinks, special files, modes, ``-``, suffixes), one-line messages and exit
codes, the checks before the first request, ``--version``/``--help``, and the fake's ``serve``.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import pytest
from seams import command_env

from bouwsoft_async import BouwsoftClient, ValidationError
from bouwsoft_async._cli import MAX_CONCURRENCY, VARIABLE_OF_ARGUMENT
from bouwsoft_async._client import ONE_TOKEN
from bouwsoft_async._listing import validate_concurrency
from bouwsoft_async._output import OutputError, resolve_output
from bouwsoft_async.testing import FakeBouwsoft

N = 40


def _env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOUWSOFT_")}
    env.update(extra or {})
    return env


def bouwsoft(
    *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None, umask: int = 0o022
) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own, as a user runs it."""

    def set_umask() -> None:
        os.umask(umask)

    return subprocess.run(
        [sys.executable, "-m", "bouwsoft_async", *args],
        capture_output=True,
        text=True,
        env=_env(env),
        cwd=cwd,
        timeout=120,
        check=False,
        preexec_fn=set_umask,
    )


async def bouwsoft_async(*args: str, env: Mapping[str, str]) -> tuple[int, str, str]:
    """The command in a process of its own while this test's event loop serves a fake."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bouwsoft_async",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_env(env),
    )
    async with asyncio.timeout(120):
        out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def export(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return bouwsoft("export", "sales-invoices", "--demo", str(N), *args, **kwargs)  # type: ignore[arg-type]


def one_error_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("bouwsoft: error: "), stderr
    return lines[0]


def rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# -- the output file ---------------------------------------------------------------------------


def test_a_symlink_is_written_through_to_its_target(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    target = data / "invoices.jsonl"
    target.write_text("old\n")
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    done = export("--out", "link.jsonl", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert link.is_symlink()
    assert os.readlink(link) == str(target)
    assert len(rows(target)) == N
    # the temporary file lived beside the target and is gone
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "link.jsonl"]
    assert [p.name for p in data.iterdir()] == ["invoices.jsonl"]


def test_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "link.jsonl"
    link.symlink_to(tmp_path / "new.jsonl")
    done = export("--out", str(link))
    assert done.returncode == 0, done.stderr
    assert link.is_symlink()
    assert len(rows(tmp_path / "new.jsonl")) == N


def test_a_pipe_or_device_is_refused_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    done = export("--out", str(fifo))
    assert done.returncode == 2
    line = one_error_line(done.stderr)
    assert str(fifo) in line
    assert "not a regular file" in line
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["fifo.jsonl"]


@pytest.mark.parametrize("device", ["/dev/null", "/dev/full"])
def test_devices_are_refused_before_anything_is_written(device: str) -> None:
    # checked without running an export: the old command replaced the device itself
    with pytest.raises(OutputError, match="not a regular file") as caught:
        resolve_output(device)
    assert caught.value.bad_name


def test_dash_streams_to_stdout(tmp_path: Path) -> None:
    done = export("--out", "-", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == N
    assert all(json.loads(line)["id"] for line in lines)
    assert done.stderr == f"wrote {N} sales invoices to stdout\n"
    assert list(tmp_path.iterdir()) == []  # no file named "-"
    csv_done = export("--out", "-", "--format", "csv")
    assert csv_done.stdout.splitlines()[0].startswith("id,")
    assert len(csv_done.stdout.splitlines()) == N + 1


@pytest.mark.parametrize("out", ["", ".", "somedir/"])
def test_a_name_that_is_no_file_is_one_line_not_a_traceback(out: str, tmp_path: Path) -> None:
    (tmp_path / "somedir").mkdir()
    done = export("--out", out, cwd=tmp_path)
    assert done.returncode == 2
    line = one_error_line(done.stderr)
    assert "directory" in line or "needs a file name" in line
    assert [p.name for p in tmp_path.iterdir()] == ["somedir"]


def test_an_existing_file_keeps_its_mode_and_a_new_one_gets_the_umask(tmp_path: Path) -> None:
    private = tmp_path / "private.jsonl"
    private.write_text("old\n")
    private.chmod(0o640)
    done = export("--out", str(private))
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(private.stat().st_mode) == 0o640
    assert len(rows(private)) == N
    new = tmp_path / "new.jsonl"
    assert export("--out", str(new), umask=0o077).returncode == 0
    assert stat.S_IMODE(new.stat().st_mode) == 0o600


async def test_the_invoices_are_never_readable_by_more_users_than_the_file_they_replace(
    tmp_path: Path,
) -> None:
    # a 0600 file was replaced through a temporary file created with the umask's 0644: while
    # the export ran, every user of the machine could open it (and keep reading through that
    # descriptor after the mode was set at the end)
    private = tmp_path / "private.jsonl"
    private.write_text("old\n")
    private.chmod(0o600)
    seen: list[int] = []
    async with FakeBouwsoft(sales_invoices=200) as fake:

        async def look(query: Mapping[str, str]) -> None:
            parts = [name for name in os.listdir(tmp_path) if name.endswith(".part")]
            seen.extend(stat.S_IMODE(os.stat(tmp_path / name).st_mode) for name in parts)

        fake.before_list = look
        env = command_env(fake)
        umask = os.umask(0o022)
        try:
            code, _, err = await bouwsoft_async(
                "export", "sales-invoices", "--out", str(private), "--page-size", "20",
                "--concurrency", "1", env=env,
            )  # fmt: skip
        finally:
            os.umask(umask)
    assert code == 0, err
    assert seen  # the temporary file was looked at while the invoices were written
    assert all(mode & 0o077 == 0 for mode in seen), [oct(mode) for mode in seen]
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert len(rows(private)) == 200


def test_a_read_only_file_is_not_replaced(tmp_path: Path) -> None:
    kept = tmp_path / "kept.jsonl"
    kept.write_text("keep me\n")
    kept.chmod(0o444)
    done = export("--out", str(kept))
    assert done.returncode == 1
    assert "read-only" in one_error_line(done.stderr)
    assert kept.read_text() == "keep me\n"


@pytest.mark.parametrize("out", ["/proc/a.jsonl", "no/such/dir/a.jsonl"])
def test_errors_name_the_path_given_not_the_temporary_file(out: str, tmp_path: Path) -> None:
    done = export("--out", out, cwd=tmp_path)
    assert done.returncode == 1
    line = one_error_line(done.stderr)
    assert repr(out) in line
    assert ".part" not in line


def test_the_format_follows_the_suffix(tmp_path: Path) -> None:
    assert export("--out", "a.csv", cwd=tmp_path).returncode == 0
    header = (tmp_path / "a.csv").read_text().splitlines()[0]
    assert header.startswith("id,company_id,")
    assert export("--out", "a.json", cwd=tmp_path).returncode == 0
    array = json.loads((tmp_path / "a.json").read_text())
    assert len(array) == N
    assert all(isinstance(row["id"], int) for row in array)
    assert export("--out", "e.json", "--filter", "id eq 1", cwd=tmp_path).returncode == 0
    assert json.loads((tmp_path / "e.json").read_text()) == []


def test_a_format_that_contradicts_the_suffix_is_refused(tmp_path: Path) -> None:
    done = export("--out", "a.csv", "--format", "jsonl", cwd=tmp_path)
    assert done.returncode == 2
    line = one_error_line(done.stderr)
    assert "--format jsonl" in line
    assert "a.csv" in line
    assert list(tmp_path.iterdir()) == []
    assert export("--out", "a.csv", "--format", "csv", cwd=tmp_path).returncode == 0


def test_the_progress_bar_ends_before_the_interrupted_message(tmp_path: Path) -> None:
    def default_sigint() -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "bouwsoft_async", "export", "sales-invoices"),
            *("--demo", "400000", "--out", str(tmp_path / "big.jsonl"), "--progress"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
        preexec_fn=default_sigint,
    )
    try:
        deadline = time.monotonic() + 60
        while not any(p.name.endswith(".part") and p.stat().st_size for p in tmp_path.iterdir()):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the export never started writing"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    text = err.decode()
    assert "\r[" in text  # the bar was drawn
    assert text.endswith("\nbouwsoft: interrupted; no file was written\n"), repr(text[-200:])
    assert proc.returncode == 130


# -- messages and exit codes -------------------------------------------------------------------


def _dead_server() -> tuple[int, dict[str, str]]:
    """A port nothing listens on, and credentials that point the command at it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    env = {
        "BOUWSOFT_CLIENTNR": "115",
        "BOUWSOFT_ACCESS_TOKEN": "t0ken",
        "BOUWSOFT_BASE_URL": f"http://127.0.0.1:{port}/api/v1",
    }
    return port, env


def test_a_dead_server_is_one_line_naming_where_and_what_to_check(tmp_path: Path) -> None:
    port, env = _dead_server()
    done = bouwsoft("export", "sales-invoices", "--out", "a.jsonl", env=env, cwd=tmp_path)
    assert done.returncode == 1
    line = one_error_line(done.stderr)
    assert f"127.0.0.1:{port}" in line
    assert "refused" in line.lower()
    assert "BOUWSOFT_BASE_URL" in line
    assert "t0ken" not in line
    # the retries happened; --verbose shows them, each on a line of its own
    verbose = bouwsoft("export", "sales-invoices", "--out", "a.jsonl", "-v", env=env, cwd=tmp_path)
    assert verbose.returncode == 1
    lines = verbose.stderr.splitlines()
    assert len([line for line in lines if "retry" in line]) == 3
    assert lines[-1] == line
    assert list(tmp_path.iterdir()) == []


async def test_a_server_cannot_write_terminal_controls_into_the_error_line(tmp_path: Path) -> None:
    # the error line quoted the server's body with its escapes: a body that moves the cursor
    # back and erases the line showed "wrote 40 sales invoices" on the terminal of an export
    # that failed (exit 1); a bidi override reorders what follows it
    spoof = "\x1b[1G\x1b[2Kwrote 40 sales invoices\x9b2K\u202eeulav\x07"
    async with FakeBouwsoft(sales_invoices=N) as fake:
        fake.add_fault(status=400, body=spoof.encode(), path_contains="SalesInvoices")
        env = command_env(fake)
        code, _, err = await bouwsoft_async(
            "export", "sales-invoices", "--out", str(tmp_path / "a.jsonl"), env=env
        )
    assert code == 1
    line = one_error_line(err)
    assert line.isprintable(), repr(line)
    assert "HTTP 400" in line
    assert "wrote 40 sales invoices" in line  # still quoted, as harmless text
    assert os.listdir(tmp_path) == []


def test_check_schema_against_a_dead_server_is_one_line_too(tmp_path: Path) -> None:
    # it asks for three tables at once: the first failure is told, not a group of them
    port, env = _dead_server()
    done = bouwsoft("check-schema", env=env, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    line = one_error_line(done.stderr)
    assert f"127.0.0.1:{port}" in line
    assert "ExceptionGroup" not in done.stderr


@pytest.mark.parametrize(
    ("flag", "value", "allowed"),
    [
        ("--page-size", "100000", "from 1 to 10,000"),
        ("--page-size", "0", "from 1 to 10,000"),
        ("--concurrency", "1000", f"from 1 to {MAX_CONCURRENCY}"),
        ("--concurrency", "x", "not a whole number"),
    ],
)
def test_flags_out_of_range_are_usage_errors(flag: str, value: str, allowed: str) -> None:
    done = export("--out", "-", flag, value)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    usage, _, after = done.stderr.partition("\nbouwsoft: error: ")
    error, _, hint = after.partition("\n")
    assert usage.startswith("usage: bouwsoft export sales-invoices")
    assert flag in error
    assert allowed in error
    assert hint.strip() == "Try 'bouwsoft export sales-invoices --help' for more."
    assert done.stdout == ""


def test_the_cli_limit_is_the_librarys() -> None:
    assert validate_concurrency(MAX_CONCURRENCY) == MAX_CONCURRENCY
    with pytest.raises(ValidationError):
        validate_concurrency(MAX_CONCURRENCY + 1)


async def test_environment_problems_exit_2_before_any_request(tmp_path: Path) -> None:
    async with FakeBouwsoft(sales_invoices=N) as fake:
        good = command_env(fake)
        out = str(tmp_path / "a.jsonl")
        cases = [
            ({"BOUWSOFT_CLIENTNR": "0"}, ["BOUWSOFT_CLIENTNR"]),
            ({"BOUWSOFT_CLIENTNR": "abc"}, ["BOUWSOFT_CLIENTNR"]),
            ({"BOUWSOFT_BASE_URL": fake.url.removeprefix("http://")}, ["BOUWSOFT_BASE_URL"]),
            ({"BOUWSOFT_REFRESH_TOKEN": fake.refresh_token}, ["BOUWSOFT_ACCESS_TOKEN"]),
            # an unclosed IPv6 bracket: was "unexpected ValueError: Invalid IPv6 URL", exit 1
            ({"BOUWSOFT_BASE_URL": "http://[::1/api/v1"}, ["BOUWSOFT_BASE_URL"]),
            (
                {"BOUWSOFT_ACCESS_TOKEN": "", "BOUWSOFT_REFRESH_TOKEN": "r"}
                | {"BOUWSOFT_AUTH_URL": "https://[::1]x/api/v1"},
                ["BOUWSOFT_AUTH_URL"],
            ),
        ]
        for change, names in cases:
            code, _, err = await bouwsoft_async(
                "export", "sales-invoices", "--out", out, "-v", env={**good, **change}
            )
            assert code == 2, err
            line = one_error_line(err)
            for name in names:
                assert name in line
            assert "client_nr" not in line
            assert "fake-access-token" not in line
        assert fake.requests == []
        assert not (tmp_path / "a.jsonl").exists()

        # a token the server rejects is a credentials problem too
        code, _, err = await bouwsoft_async(
            "export", "sales-invoices", "--out", out, env={**good, "BOUWSOFT_ACCESS_TOKEN": "bad"}
        )
        assert code == 2
        line = one_error_line(err)
        assert "401" in line
        assert "BOUWSOFT_ACCESS_TOKEN" in line
        assert "bad" not in line.replace("bouwsoft", "")
        assert len(fake.requests) == 1  # a 401 with a fixed token is not retried


async def test_a_filter_that_leaves_a_quote_open_is_refused_before_any_request(
    tmp_path: Path,
) -> None:
    # each next page narrows the filter with "and id gt <last id>": after an open quote that
    # became part of the text ("nr_add eq 'x and id gt 24"), so a server that closes the text at
    # the end found nothing past the first page, and the export wrote one page and exited 0
    async with FakeBouwsoft(sales_invoices=N) as fake:
        env = command_env(fake)
        out = str(tmp_path / "a.jsonl")
        for text in ["nr_add eq 'x", "concerning eq 'D'Hondt'", "type eq 'A' or type eq 'B"]:
            code, _, err = await bouwsoft_async(
                "export", "sales-invoices", "--out", out, "--filter", text, env=env
            )
            assert code == 2, err
            assert "quote" in one_error_line(err)
        async with fake.client(access_token=fake.access_token) as client:
            with pytest.raises(ValidationError, match="quote"):
                await anext(client.sales_invoices.list(filter="nr_add eq 'x"))
            # a quote written twice inside text is no open quote
            assert await client.sales_invoices.count(filter="concerning eq 'D''Hondt'") == 0
        assert [r.query.get("filter") for r in fake.requests] == ["concerning eq 'D''Hondt'"]
    assert os.listdir(tmp_path) == []


def test_both_tokens_are_refused_in_the_librarys_words(tmp_path: Path) -> None:
    # one sentence for both, told with the names each one's user knows
    with pytest.raises(ValidationError) as library:
        BouwsoftClient(client_nr=115, access_token="a", refresh_token="r", base_url="http://x")
    assert str(library.value) == ONE_TOKEN
    words = (
        "give exactly one of BOUWSOFT_ACCESS_TOKEN (with the data server's base URL) and "
        "BOUWSOFT_REFRESH_TOKEN, not both and not neither"
    )
    env = {
        "BOUWSOFT_CLIENTNR": "115",
        "BOUWSOFT_ACCESS_TOKEN": "a",
        "BOUWSOFT_REFRESH_TOKEN": "r",
        "BOUWSOFT_BASE_URL": "http://127.0.0.1:9/api/v1",
    }
    done = bouwsoft("export", "sales-invoices", "--out", "a.jsonl", env=env, cwd=tmp_path)
    assert done.returncode == 2
    assert one_error_line(done.stderr) == f"bouwsoft: error: {words}"


def test_version_help_and_the_command_list() -> None:
    version = bouwsoft("--version")
    assert version.returncode == 0
    assert version.stdout.strip() == "bouwsoft 0.1.0"

    alone = bouwsoft()
    assert alone.returncode == 2
    assert "export" in alone.stderr
    assert "demo" in alone.stderr
    assert "Traceback" not in alone.stderr

    group = bouwsoft("export")
    assert group.returncode == 2
    assert "sales-invoices" in group.stderr

    for args in (["--help"], ["export", "sales-invoices", "--help"]):
        helped = bouwsoft(*args)
        assert helped.returncode == 0
        for variable in VARIABLE_OF_ARGUMENT.values():
            assert variable in helped.stdout
    detail = bouwsoft("export", "sales-invoices", "--help").stdout
    assert "not in id order" in detail
    assert "1 to 10,000" in detail
    assert f"1 to {MAX_CONCURRENCY}" in detail
    assert "stdout" in detail

    wrong = bouwsoft("export", "sales-invoices", "--outt", "x")
    assert wrong.returncode == 2
    lines = wrong.stderr.splitlines()
    assert lines[0].startswith("usage: bouwsoft export sales-invoices")
    assert any(line.startswith("bouwsoft: error: ") for line in lines)
    assert lines[-1] == "Try 'bouwsoft export sales-invoices --help' for more."


# -- the fake's own command ---------------------------------------------------------------------


def _serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bouwsoft_async.testing", "serve", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_serve_on_a_port_in_use_is_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _serve("--port", str(port))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        f"python -m bouwsoft_async.testing: error: cannot listen on 127.0.0.1:{port}: "
        "Address already in use"
    ]


@pytest.mark.parametrize("args", [["--invoices", "-1"], ["--port", "70000"]])
def test_serve_refuses_bad_numbers(args: list[str]) -> None:
    done = _serve(*args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1].startswith("python -m bouwsoft_async.testing: error: ")
    assert args[0] in done.stderr
