"""Named SQL queries, loaded once from the `.sql` files beside this module.

Each query in a file starts with `-- name: <name>` and a comment line saying what it does.
Modules take the queries they need at import time, so a misspelt name fails at start-up.
"""

from __future__ import annotations

import re
from importlib import resources
from types import MappingProxyType

_NAME = re.compile(r"^-- name: (\w+)\s*$", re.MULTILINE)


def _load() -> dict[str, str]:
    queries: dict[str, str] = {}
    folder = resources.files("app.storage") / "queries"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".sql"):
            continue
        parts = _NAME.split(entry.read_text(encoding="utf-8"))
        for name, body in zip(parts[1::2], parts[2::2], strict=True):
            if name in queries:
                raise RuntimeError(f"query {name!r} is defined twice")
            queries[name] = body.strip()
    return queries


QUERIES = MappingProxyType(_load())
