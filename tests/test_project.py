"""The project's own files agree: the Python floor everywhere, the licence, what git ignores."""

from __future__ import annotations

import fnmatch
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _pyproject() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_one_python_floor_everywhere() -> None:
    project = _pyproject()
    floor = re.fullmatch(r">=\s*3\.(\d+)", project["project"]["requires-python"])  # type: ignore[index]
    assert floor is not None
    minor = int(floor[1])
    assert minor == 11
    assert project["tool"]["ruff"]["target-version"] == f"py3{minor}"  # type: ignore[index]
    assert project["tool"]["mypy"]["python_version"] == f"3.{minor}"  # type: ignore[index]
    noxfile = (ROOT / "noxfile.py").read_text(encoding="utf-8")
    assert f'FLOOR = "3.{minor}"' in noxfile
    assert re.search(r"@nox\.session\(python=PYTHONS\)\s+def tests", noxfile)
    # the suite itself runs on an interpreter the project supports
    assert sys.version_info >= (3, minor)


def test_the_licence_file_matches_pyproject() -> None:
    assert "MIT" in str(_pyproject()["project"]["license"])  # type: ignore[index]
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License\n")
    assert "Copyright (c) 2026 bouwsoft_async contributors" in licence


def _ignored(name: str, patterns: list[str]) -> bool:
    # the README's commands write in the repository root, where "/x" and "x" both match
    return any(fnmatch.fnmatch(name, pattern.lstrip("/")) for pattern in patterns)


def test_what_the_readme_commands_write_is_ignored() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    outputs = set(re.findall(r"--out\s+([\w-]+\.\w+)", readme))
    assert "invoices.jsonl" in outputs
    patterns = [
        line.strip()
        for line in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert [name for name in sorted(outputs) if not _ignored(name, patterns)] == []


def test_the_types_of_public_signatures_are_exported() -> None:
    # a user can name every type the README's calls take or return (issue 13)
    import bouwsoft_async

    for name in ("Transport", "Request", "Response", "Money", "Rate", "TextFormat", "IdRange"):
        assert name in bouwsoft_async.__all__
        assert getattr(bouwsoft_async, name) is not None
