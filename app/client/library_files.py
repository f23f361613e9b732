"""The library dialect's files: uploads (a signed ticket, or a URL the server fetches),
download links, and archives."""

from __future__ import annotations

import builtins
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

import anyio
import anyio.to_thread

from app.client.models import Archive, DownloadLink, Page, UploadTicket
from app.client.operations import AsyncOperation
from app.client.resource import UNSET, Resource, body, decode, segment

# Given to `upload_file` and the others as keyword arguments, as the API names them.
UPLOAD_FIELDS = ("title", "description", "keywords", "creation_date", "set_public_uuid", "read_metadata")


def _fields(given: dict[str, Any]) -> dict[str, Any]:
    unknown = set(given) - set(UPLOAD_FIELDS)
    if unknown:
        raise TypeError(f"unknown upload fields: {', '.join(sorted(unknown))}")
    return {name: value for name, value in given.items() if value is not None}


class Uploads(Resource):
    async def upload_file(self, /, path: str | os.PathLike[str], **fields: Any) -> AsyncOperation:
        """A local file through a ticket: `upload`, whose result holds `image_public_uuid`.
        `fields`: title, description, keywords, creation_date, set_public_uuid, read_metadata.
        The file is streamed in chunks, never held in memory whole."""
        file = Path(path)
        ticket = await self.ticket(file.name, **fields)
        stream = await anyio.to_thread.run_sync(file.open, "rb")
        try:
            return await self.send(ticket, stream)
        finally:
            stream.close()

    async def upload_bytes(self, /, content: bytes, filename: str, **fields: Any) -> AsyncOperation:
        ticket = await self.ticket(filename, **fields)
        return await self.send(ticket, content)

    async def ticket(self, /, filename: str, **fields: Any) -> UploadTicket:
        """Step one: a signed, short-lived ticket carrying the image's fields."""
        response = await self._transport.request(
            "POST", "/v1/uploads", json={"filename": filename, **_fields(fields)}, write=True
        )
        return decode(response.content, UploadTicket)

    async def send(self, ticket: UploadTicket, content: bytes | BinaryIO) -> AsyncOperation:
        """Step two: the file to the ticket's URL. The ticket is good for one file, so a retry
        of this request gets the same operation back (httpx reads an open file from its start
        again for each try)."""
        filename = ticket.fields.get("filename", "upload")
        response = await self._transport.request(
            "POST",
            ticket.upload_url,
            data=ticket.fields,
            files={ticket.file_field: (filename, content, "application/octet-stream")},
            # The signed fields are the authority; the token stays home, wherever the URL points.
            authenticated=False,
        )
        return self._operation_of(response)

    async def from_url(self, /, src: str, *, filename: str | None = None, **fields: Any) -> AsyncOperation:
        """The server fetches `src` itself."""
        upload = {"src": src, **body(filename=UNSET if filename is None else filename), **_fields(fields)}
        return await self._operation("POST", "/v1/uploads/url", upload)


class Downloads(Resource):
    async def link(self, image_public_uuid: str, *, version: str | None = None) -> DownloadLink:
        """A signed, expiring URL of the original, or of one version."""
        request = body(image_public_uuid=image_public_uuid, version=UNSET if version is None else version)
        response = await self._transport.request("POST", "/v1/downloads", json=request)
        return decode(response.content, DownloadLink)

    async def read(self, image_public_uuid: str, *, version: str | None = None) -> bytes:
        """The file's bytes, through a fresh link."""
        link = await self.link(image_public_uuid, version=version)
        response = await self._transport.request("GET", link.url, authenticated=False)
        return response.content


class Archives(Resource):
    async def create(
        self,
        *,
        image_public_uuids: Sequence[str] | None = None,
        set_public_uuid: str | None = None,
        version: str = "original",
        filename: str | None = None,
    ) -> AsyncOperation:
        """A ZIP of a list of images or of a set's; the result holds `archive_public_uuid`."""
        request = body(
            image_public_uuids=UNSET if image_public_uuids is None else builtins.list(image_public_uuids),
            set_public_uuid=UNSET if set_public_uuid is None else set_public_uuid,
            version=version,
            filename=UNSET if filename is None else filename,
        )
        return await self._operation("POST", "/v1/archives", request)

    async def list(self, *, limit: int = 50, offset: int = 0) -> Page[Archive]:
        """The ready archives, with signed links."""
        return await self._page("/v1/archives", Archive, {"limit": limit, "offset": offset})

    async def get(self, uuid: str) -> Archive:
        return await self._get(f"/v1/archives/{segment(uuid)}", Archive)
