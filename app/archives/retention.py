"""Archives leave by themselves: expired ones with their file, and the files a crash left behind.

An archive's file is renamed into place before its row commits (see the `archive` operation),
so a crash can leave a finished file without a row, or an unfinished temporary file. Nothing
is written at start-up, which is when both kinds are removed; while the server runs, a file
without a row may be an archive about to commit, so the periodic sweep leaves those alone.
"""

from __future__ import annotations

import asyncio
import logging

from app.archives.files import ArchiveFiles
from app.storage import archives_store
from app.storage.database import Database
from app.timestamps import now_text

logger = logging.getLogger("darkroom.archives")

SWEEP_INTERVAL = 60.0  # seconds


async def sweep(db: Database, files: ArchiveFiles) -> int:
    """Delete the expired archives, rows then files; return how many went."""
    async with db.write() as tx:
        expired = await archives_store.delete_expired(tx, now_text())
    # A crash before the files go leaves files without rows: the start-up sweep takes them.
    await asyncio.to_thread(files.delete, expired)
    return len(expired)


async def sweep_at_start(db: Database, files: ArchiveFiles) -> int:
    """Expired archives, unfinished files, and finished files without a row; return how many
    files went."""
    expired = await sweep(db, files)
    unfinished = await asyncio.to_thread(files.sweep_temporary)
    orphans = await archives_store.unknown_uuids(db, await asyncio.to_thread(files.uuids))
    return expired + unfinished + await asyncio.to_thread(files.delete, orphans)


async def sweep_forever(db: Database, files: ArchiveFiles) -> None:
    while True:
        try:
            deleted = await sweep(db, files)
            if deleted:
                logger.info("deleted %d expired archives", deleted)
        except Exception:
            logger.exception("archive expiry sweep failed")
        await asyncio.sleep(SWEEP_INTERVAL)
