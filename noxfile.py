"""nox sessions: tests (on the floor, Python 3.11, and on 3.13), lint, typecheck, bench.

nox finds each Python as ``python3.11`` / ``python3.13`` on PATH; with pyenv, make both
visible at once: ``PYENV_VERSION=3.11.7:3.13.0 nox`` (or put each version's ``bin`` on PATH).
"""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.default_venv_backend = "venv"
# a missing interpreter fails the run instead of skipping its session
nox.options.error_on_missing_interpreters = True

FLOOR = "3.11"  # pyproject's requires-python, ruff's target-version, mypy's python_version
PYTHONS = [FLOOR, "3.13"]


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session(python=FLOOR)
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=FLOOR)
def typecheck(session: nox.Session) -> None:
    session.install("-e", ".[test]", "mypy")
    session.run("mypy", "--strict", "bouwsoft_async")


@nox.session
def bench(session: nox.Session) -> None:
    session.install("-e", ".")
    for name in (
        "decode_cost",
        "export_latency",
        "export_memory",
        "request_overhead",
        "export_cpu",
    ):
        session.run("python", f"benchmarks/{name}.py", *session.posargs)
