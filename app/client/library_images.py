"""The library dialect's images and keywords: read, list, and every edit of an image."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from app.client.models import Image, KeywordCount, Me, NamespaceCount, Page, Version
from app.client.operations import AsyncOperation
from app.client.resource import UNSET, Resource, body, segment


class Account(Resource):
    async def me(self) -> Me:
        """`GET /v1/me`: the account, the token and its scopes."""
        return await self._get("/v1/me", Me)


class Images(Resource):
    async def list(self, /, *, limit: int = 50, offset: int = 0, **filters: Any) -> Page[Image]:
        """`GET /v1/images`, newest first; `filters` as the API names them (`query`, `keyword`,
        `namespace`, `rating`, `min_rating`, `exif_property`, `exif_value`, `created_at_from`,
        `has_geo`, `bbox`, `set_public_uuid`, …); None leaves one out."""
        return await self._page("/v1/images", Image, {"limit": limit, "offset": offset, **filters})

    async def get(self, uuid: str) -> Image:
        return await self._get(f"/v1/images/{segment(uuid)}", Image)

    async def versions(self, uuid: str) -> builtins.list[Version]:
        return await self._get(f"/v1/images/{segment(uuid)}/versions", builtins.list[Version])

    async def update(
        self,
        uuid: str,
        *,
        title: str | None = UNSET,
        description: str | None = UNSET,
        creation_date: str | None = UNSET,
        rotation: int = UNSET,
    ) -> AsyncOperation:
        """`PATCH /v1/images/{uuid}`: the fields given change (None clears), the others stay."""
        fields = body(title=title, description=description, creation_date=creation_date, rotation=rotation)
        return await self._operation("PATCH", f"/v1/images/{segment(uuid)}", fields)

    async def delete(self, uuid: str) -> AsyncOperation:
        return await self._operation("DELETE", f"/v1/images/{segment(uuid)}")

    async def add_keywords(self, uuid: str, keywords: Sequence[str]) -> AsyncOperation:
        """Keywords like `sunset` or, namespaced, `artist:Marina`."""
        return await self._operation(
            "POST", f"/v1/images/{segment(uuid)}/keywords", {"keywords": builtins.list(keywords)}
        )

    async def remove_keyword(
        self, uuid: str, keyword: str, *, namespace: str | None = None
    ) -> AsyncOperation:
        return await self._operation(
            "DELETE",
            f"/v1/images/{segment(uuid)}/keywords",
            body(keyword=keyword, namespace=namespace if namespace is not None else UNSET),
        )

    async def set_metadata(self, /, uuid: str, **fields: Any) -> AsyncOperation:
        """`PUT /v1/images/{uuid}/metadata`: the IPTC and search fields given (None clears)."""
        return await self._operation("PUT", f"/v1/images/{segment(uuid)}/metadata", fields)

    async def set_rating(self, uuid: str, rating: int) -> AsyncOperation:
        return await self._operation("PUT", f"/v1/images/{segment(uuid)}/rating", {"rating": rating})

    async def set_alt_text(self, uuid: str, alt_text: str | None) -> AsyncOperation:
        return await self._operation("PUT", f"/v1/images/{segment(uuid)}/alt_text", {"alt_text": alt_text})

    async def add_credit(self, uuid: str, role: str, name: str) -> AsyncOperation:
        return await self._operation(
            "POST", f"/v1/images/{segment(uuid)}/credits", {"role": role, "name": name}
        )

    async def remove_credit(self, uuid: str, role: str, name: str) -> AsyncOperation:
        return await self._operation(
            "DELETE", f"/v1/images/{segment(uuid)}/credits", {"role": role, "name": name}
        )

    async def set_crop(
        self, uuid: str, aspect: str, *, x: int, y: int, width: int, height: int
    ) -> AsyncOperation:
        """A `crop_<aspect>` version from a box in pixels of the upright image."""
        box = {"aspect": aspect, "x": x, "y": y, "width": width, "height": height}
        return await self._operation("PUT", f"/v1/images/{segment(uuid)}/crop", box)

    async def delete_crop(self, uuid: str, aspect: str) -> AsyncOperation:
        return await self._operation("DELETE", f"/v1/images/{segment(uuid)}/crop", {"aspect": aspect})

    async def extract_metadata(self, uuid: str) -> AsyncOperation:
        """Copy the caption, keywords and date embedded in the file into the editable fields."""
        return await self._operation("POST", f"/v1/images/{segment(uuid)}/extract_metadata")

    async def regenerate(
        self, *, image_public_uuids: Sequence[str] | None = None, set_public_uuid: str | None = None
    ) -> AsyncOperation:
        """Rebuild every version from the original, of a list of images or of a set's."""
        return await self._operation(
            "POST",
            "/v1/images/regenerate",
            body(
                image_public_uuids=UNSET if image_public_uuids is None else builtins.list(image_public_uuids),
                set_public_uuid=UNSET if set_public_uuid is None else set_public_uuid,
            ),
        )


class Keywords(Resource):
    async def list(
        self, *, namespace: str | None = None, prefix: str | None = None, limit: int = 50, offset: int = 0
    ) -> Page[KeywordCount]:
        params = {"namespace": namespace, "prefix": prefix, "limit": limit, "offset": offset}
        return await self._page("/v1/keywords", KeywordCount, params)

    async def namespaces(self, *, limit: int = 50, offset: int = 0) -> Page[NamespaceCount]:
        return await self._page("/v1/keywords/namespaces", NamespaceCount, {"limit": limit, "offset": offset})

    async def rename(
        self, from_: str, to: str, *, image_public_uuids: Sequence[str] | None = None
    ) -> AsyncOperation:
        """Rename a keyword on the images listed, or on every image."""
        fields = body(
            to=to,
            image_public_uuids=UNSET if image_public_uuids is None else builtins.list(image_public_uuids),
        )
        return await self._operation("POST", "/v1/keywords/rename", {"from": from_, **fields})
