"""Numbered, forward-only schema migrations, applied at start-up and recorded in the database.

A migration is `migrations/NNNN_name.sql`. Each runs in its own transaction together with
its row in `schema_migrations`, so a crash mid-migration leaves the previous version intact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from app.storage.database import Database
from app.timestamps import now_text

_FILE = re.compile(r"^(\d{4})_(\w+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def available_migrations() -> list[Migration]:
    folder = resources.files("app.storage") / "migrations"
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = _FILE.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..n without gaps, found {versions}")
    return found


async def migrate(database: Database) -> list[int]:
    """Apply every migration not yet recorded; return the versions applied now."""
    await database.execute_script(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    rows = await database.fetch_all("SELECT version FROM schema_migrations")
    done = {row["version"] for row in rows}
    migrations = available_migrations()
    if done and max(done) > len(migrations):
        raise RuntimeError(f"the database is at schema version {max(done)}, newer than this code knows")
    applied: list[int] = []
    for migration in migrations:
        if migration.version in done:
            continue
        # executescript commits any open transaction, so the migration carries its own
        # BEGIN/COMMIT around both the schema change and its record.
        script = (
            "BEGIN IMMEDIATE;\n"
            f"{migration.sql}\n;"
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES "
            f"({migration.version}, '{migration.name}', '{now_text()}');\n"
            "COMMIT;"
        )
        await database.execute_script(script)
        applied.append(migration.version)
    return applied
