"""First start: the signing secret, the `default` account with its dev token, the bootstrap token."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from app.accounts.tokens import create_token, ensure_token
from app.storage.database import Database

logger = logging.getLogger("darkroom.bootstrap")

DEFAULT_ACCOUNT = "default"


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read, replacing it atomically."""
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
    os.replace(temporary, path)


def load_secret(data_dir: Path, configured: str) -> str:
    """`DARKROOM_SECRET`, else the one generated into the data directory on first start."""
    if configured:
        return configured
    path = data_dir / "secret"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    secret = secrets.token_urlsafe(48)
    _write_private(path, secret + "\n")
    return secret


async def bootstrap_tokens(db: Database, data_dir: Path, bootstrap_token: str) -> str | None:
    """Create the dev token on an empty database; ensure the bootstrap token exists.

    Returns the dev token when one was created now (it is shown once, then only on disk).
    """
    created = None
    row = await db.fetch_one("SELECT count(*) AS n FROM accounts")
    if row is not None and row["n"] == 0:
        token = await create_token(db, account=DEFAULT_ACCOUNT, name="dev-token")
        _write_private(data_dir / "dev-token", token.token + "\n")
        created = token.token
    if bootstrap_token:
        await ensure_token(db, account=DEFAULT_ACCOUNT, name="bootstrap", token=bootstrap_token)
    return created
