"""The library dialect's operations: look one up, list them, cancel, and run a batch of writes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.client.models import OperationInfo, Page
from app.client.operations import AsyncOperation
from app.client.resource import Resource, segment


@dataclass(frozen=True, slots=True)
class BatchCall:
    """One write of a batch: `BatchCall("PUT", f"/v1/images/{uuid}/rating", {"rating": 5})`."""

    method: str
    path: str
    body: Any = None


class Operations(Resource):
    async def get(self, uuid: str) -> AsyncOperation:
        return AsyncOperation(
            self._transport, await self._get(f"/v1/operations/{segment(uuid)}", OperationInfo)
        )

    async def list(
        self,
        *,
        status: str | None = None,
        type: str | None = None,
        created_at_from: str | None = None,
        created_at_to: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[OperationInfo]:
        """Newest first."""
        params = {
            "status": status,
            "type": type,
            "created_at_from": created_at_from,
            "created_at_to": created_at_to,
            "limit": limit,
            "offset": offset,
        }
        return await self._page("/v1/operations", OperationInfo, params)

    async def cancel(self, uuid: str) -> AsyncOperation:
        response = await self._transport.request("POST", f"/v1/operations/{segment(uuid)}/cancel")
        return self._operation_of(response)

    async def batch(self, calls: Sequence[BatchCall]) -> AsyncOperation:
        """Up to 50 writes, checked together and run all or nothing; the result holds the
        child operations' uuids in order."""
        operations = [{"method": call.method, "path": call.path, "body": call.body} for call in calls]
        return await self._operation("POST", "/v1/operations/batch", {"operations": operations})
