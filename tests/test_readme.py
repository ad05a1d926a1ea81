"""Every fenced ``python`` block of README.md runs as written against the fakes.

Each block runs in a fresh process (``tests/readme_runner.py``, whose docstring says how the
placeholders ``"..."`` and the production URLs are pointed at a FakeBouwsoft and a FakeRamBase
started here). A failure names the block by its line in README.md and its section, and shows the
block and what it printed.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path

import attrs
import pytest

from bouwsoft_async.testing import FakeBouwsoft, FakeRamBase

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
RUNNER = Path(__file__).resolve().parent / "readme_runner.py"
SNIPPET_TIMEOUT = 120.0

_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>```+|~~~+)\s*(?P<info>[^`\s]*)")


@attrs.frozen(kw_only=True)
class Snippet:
    line: int  # where the code starts in README.md (1-based)
    section: str
    code: str

    @property
    def name(self) -> str:
        return f"README.md:{self.line} ({self.section})"


def readme_snippets(text: str) -> list[Snippet]:
    """The fenced ``python`` blocks of a Markdown text, with their line and section."""
    snippets: list[Snippet] = []
    section = "top"
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        opening = _FENCE.match(line)
        if opening is None:
            if line.startswith("#"):
                section = line.lstrip("#").strip()
            i += 1
            continue
        fence, info = opening["fence"], opening["info"].lower()
        body: list[str] = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i])
            i += 1
        if info in ("python", "py", "python3"):
            start = i - len(body) + 1  # 1-based line of the block's first line
            snippets.append(Snippet(line=start, section=section, code="\n".join(body) + "\n"))
        i += 1
    return snippets


SNIPPETS = readme_snippets(README.read_text(encoding="utf-8"))


def test_the_readme_has_python_snippets() -> None:
    # the extraction itself: a broken fence pattern would make the test below pass vacuously
    assert len(SNIPPETS) >= 5
    assert any("BouwsoftClient(" in s.code for s in SNIPPETS)


def test_snippet_extraction_keeps_lines_and_sections() -> None:
    text = "# A\n\n```python\nx = 1\n```\n\n## B\n```bash\nls\n```\n~~~py\ny = 2\nz = 3\n~~~\n"
    assert readme_snippets(text) == [
        Snippet(line=4, section="A", code="x = 1\n"),
        Snippet(line=12, section="B", code="y = 2\nz = 3\n"),
    ]


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[s.name for s in SNIPPETS])
async def test_readme_snippet_runs(snippet: Snippet, tmp_path: Path) -> None:
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.4\n% a README example's scan\n%%EOF\n")
    async with FakeBouwsoft() as bouwsoft, FakeRamBase() as rambase:
        fakes = {
            "bouwsoft": {
                "url": bouwsoft.url,
                "client_nr": bouwsoft.client_nr,
                "access_token": bouwsoft.access_token,
                "refresh_token": bouwsoft.refresh_token,
            },
            "rambase": {
                "url": rambase.url,
                "client_id": rambase.client_id,
                "client_secret": rambase.client_secret,
                "db": rambase.db,
            },
        }
        env = {
            **os.environ,
            "README_FAKES": json.dumps(fakes),
            "README_SNIPPET_LINE": str(snippet.line),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-W",
            "error",
            str(RUNNER),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=tmp_path,
            env=env,
        )
        try:
            async with asyncio.timeout(SNIPPET_TIMEOUT):
                out, err = await process.communicate(snippet.code.encode())
        except TimeoutError:
            process.kill()
            await process.wait()
            pytest.fail(f"{snippet.name} did not finish in {SNIPPET_TIMEOUT:.0f} s", pytrace=False)
    if process.returncode != 0 or err:
        numbered = "\n".join(
            f"{snippet.line + k:5d} | {text}" for k, text in enumerate(snippet.code.splitlines())
        )
        pytest.fail(
            f"{snippet.name} does not run as written against FakeBouwsoft "
            f"(exit code {process.returncode}):\n{numbered}\n--- stderr ---\n{err.decode()}"
            f"--- stdout ---\n{out.decode()}",
            pytrace=False,
        )
