"""What operation types may use beyond the database: settings, the processor, fetching, media."""

from __future__ import annotations

from dataclasses import dataclass

from app.config import Settings
from app.processor.fetch import Fetcher
from app.processor.pool import ProcessorPool
from app.storage.media_files import MediaFiles


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    pool: ProcessorPool
    fetcher: Fetcher
    media: MediaFiles
