"""The scopes a token may carry, as the contract names them."""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    IMAGES_READ = "api.images.read"  # read images, sets, keywords, facets, operations
    IMAGES_WRITE = "api.images.write"  # edit image fields
    IMAGES_DELETE = "api.images.delete"
    KEYWORDS_WRITE = "api.keywords.write"
    RATINGS_WRITE = "api.ratings.write"
    METADATA_WRITE = "api.metadata.write"  # metadata, crop, alt text, credits
    SETS_WRITE = "api.sets.write"
    UPLOAD = "api.upload"
    DOWNLOAD = "api.download"  # downloads and archives


ALL_SCOPES: tuple[str, ...] = tuple(scope.value for scope in Scope)


def parse_scopes(text: str) -> list[str]:
    """Scopes from a comma-separated list; ValueError names an unknown one."""
    scopes = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [scope for scope in scopes if scope not in ALL_SCOPES]
    if unknown:
        raise ValueError(f"unknown scope {unknown[0]!r}; known: {', '.join(ALL_SCOPES)}")
    return list(dict.fromkeys(scopes))
