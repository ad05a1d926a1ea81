"""Run one README snippet (read from stdin) against the fakes described in ``README_FAKES``.

``tests/test_readme.py`` starts a FakeBouwsoft and a FakeRamBase and runs this file once per
fenced ``python`` block of README.md, in a fresh process and an empty working directory. The
README shows what a user writes against the real servers, so before the snippet runs this file
points the public client classes at the fakes; nothing else about a snippet is changed:

* a secret written as the placeholder ``"..."`` (``refresh_token``, ``access_token``,
  ``client_id``, ``client_secret``) becomes the fake's, and the production URLs
  (``https://ra.bouwsoft.be/api/v1``, the default auth and RamBase URLs) become the fake's;
* a snippet with top-level ``await`` runs in an event loop (as in ``python -m asyncio``); if it
  uses ``client`` without creating one, it gets a ``BouwsoftClient`` of the fake, and ``rb`` a
  ``RamBaseClient`` of the fake RamBase, both closed afterwards;
* a snippet without top-level ``await`` runs as a script (it calls ``asyncio.run`` itself);
* the working directory holds ``scan.pdf``, the file the upload example attaches.

Warnings are errors, and anything on stderr fails the snippet.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import inspect
import json
import os
import sys
import types
from typing import Any

import bouwsoft_async
import bouwsoft_async.rambase
from bouwsoft_async._client import DEFAULT_AUTH_URL
from bouwsoft_async.rambase._client import RAMBASE_BASE_URL

PLACEHOLDER = "..."
PRODUCTION_BASE_URLS = ("https://ra.bouwsoft.be/api/v1",)

fakes: dict[str, dict[str, Any]] = json.loads(os.environ["README_FAKES"])
bouwsoft = fakes["bouwsoft"]
rambase = fakes["rambase"]


class _BouwsoftClient(bouwsoft_async.BouwsoftClient):
    def __init__(self, **options: Any) -> None:
        if options.get("refresh_token") == PLACEHOLDER:
            options["refresh_token"] = bouwsoft["refresh_token"]
        if options.get("access_token") == PLACEHOLDER:
            options["access_token"] = bouwsoft["access_token"]
        if options.get("base_url") in PRODUCTION_BASE_URLS:
            options["base_url"] = bouwsoft["url"]
        if options.get("auth_url", DEFAULT_AUTH_URL) == DEFAULT_AUTH_URL:
            options["auth_url"] = bouwsoft["url"]
        super().__init__(**options)


class _RamBaseClient(bouwsoft_async.rambase.RamBaseClient):
    def __init__(self, **options: Any) -> None:
        for name in ("client_id", "client_secret"):
            if options.get(name) == PLACEHOLDER:
                options[name] = rambase[name]
        if options.get("base_url", RAMBASE_BASE_URL) == RAMBASE_BASE_URL:
            options["base_url"] = rambase["url"]
        super().__init__(**options)


_BouwsoftClient.__name__ = _BouwsoftClient.__qualname__ = "BouwsoftClient"
_RamBaseClient.__name__ = _RamBaseClient.__qualname__ = "RamBaseClient"
bouwsoft_async.BouwsoftClient = _BouwsoftClient  # type: ignore[misc]
bouwsoft_async.rambase.RamBaseClient = _RamBaseClient  # type: ignore[misc]


def _free_names(tree: ast.Module) -> set[str]:
    bound = {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    }
    used = {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }
    return used - bound


async def _run_async(code: Any, namespace: dict[str, Any], free: set[str]) -> None:
    async with contextlib.AsyncExitStack() as stack:
        if "client" in free:
            namespace["client"] = await stack.enter_async_context(
                _BouwsoftClient(
                    client_nr=bouwsoft["client_nr"],
                    refresh_token=bouwsoft["refresh_token"],
                )
            )
        if "rb" in free:
            namespace["rb"] = await stack.enter_async_context(
                _RamBaseClient(
                    client_id=rambase["client_id"],
                    client_secret=rambase["client_secret"],
                    db=rambase["db"],
                )
            )
        await eval(code, namespace)


def main() -> None:
    source = sys.stdin.read()
    tree = ast.parse(source, "README.md")
    # tracebacks give README.md's own line numbers
    ast.increment_lineno(tree, int(os.environ.get("README_SNIPPET_LINE", "1")) - 1)
    code = compile(tree, "README.md", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    # a module of its own, so a process pool can find the snippet's functions by name
    module = types.ModuleType("readme_snippet")
    sys.modules[module.__name__] = module
    namespace = module.__dict__
    if code.co_flags & inspect.CO_COROUTINE:  # the block awaits at top level
        asyncio.run(_run_async(code, namespace, _free_names(tree)))
    else:
        exec(code, namespace)


if __name__ == "__main__":
    main()
