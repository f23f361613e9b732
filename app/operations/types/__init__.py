"""The operation types; importing this package registers every type with the engine."""

from app.operations.types import (
    archive,
    batch,
    image_delete,
    image_fields,
    image_files,
    image_update,
    imgs_write,
    keywords,
    set_membership,
    set_structure,
    upload,
)

__all__ = [
    "archive",
    "batch",
    "image_delete",
    "image_fields",
    "image_files",
    "image_update",
    "imgs_write",
    "keywords",
    "set_membership",
    "set_structure",
    "upload",
]
