"""``python -m bouwsoft_async``: the ``bouwsoft`` command."""

from ._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
