"""The life of a `/v1` write on the HTTP side: key, body, replay, accept, answer after the grace."""

from __future__ import annotations

from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from app.accounts.authentication import Principal
from app.errors import ValidationFailed
from app.http.context import authorize
from app.http.request_body import body_limit, read_body
from app.http.responses import JSONResponse
from app.operations.idempotency import HEADER, IdempotencyClaim, check_key, fingerprint
from app.operations.submission import Submission
from app.runtime import Darkroom
from app.schemas.base import decode_any_json, decode_json
from app.schemas.operations import operation_out
from app.storage import operations_store
from app.storage.operations_store import OperationRecord

T = TypeVar("T")


class V1Write:
    """A write being checked (step 1 of operations.md); nothing is stored until `accept`."""

    def __init__(
        self, request: Request, runtime: Darkroom, principal: Principal, key: str, body: bytes
    ) -> None:
        self.request = request
        self.runtime = runtime
        self.principal = principal
        self.body = body
        self._key = key
        self._claim: IdempotencyClaim | None = None

    @classmethod
    async def begin(cls, request: Request, scope: str | None, *, has_body: bool = True) -> V1Write:
        """Authenticate, authorise, require the key, read the body within its cap."""
        runtime, principal = await authorize(request, scope)
        key = request.headers.get(HEADER)
        if key is None:
            raise ValidationFailed("Every /v1 write needs an Idempotency-Key header.", field=HEADER)
        check_key(key)
        body = b""
        if has_body:
            limit = body_limit(runtime.settings.max_body_bytes, principal.max_request_bytes)
            body = await read_body(request, limit)
        return cls(request, runtime, principal, key, body)

    def decode(self, type: type[T]) -> T:
        """The body in its schema (or `400`); the fingerprint is taken from the valid body."""
        value = decode_json(self.body, type)
        self._fingerprint(decode_any_json(self.body))
        return value

    def without_body(self) -> None:
        """For writes that take no body: the fingerprint is the method and path alone."""
        self._fingerprint(None)

    async def replay(self) -> Response | None:
        """The answer of the request that already used this key, if any. Looked up before
        existence checks, so that retrying a delete that succeeded replays it, not `404`."""
        known = await self.runtime.intake.find(self.principal.account_id, self.claim)
        if known is None:
            return None
        return await answer_with_operation(self.runtime, known, replayed=True)

    async def accept(self, submission: Submission) -> Response:
        accepted = await self.runtime.intake.submit(self.principal.account_id, submission, self.claim)
        return await answer_with_operation(self.runtime, accepted.record, replayed=accepted.replayed)

    @property
    def claim(self) -> IdempotencyClaim:
        if self._claim is None:
            raise RuntimeError("decode() or without_body() must come before replay or accept")
        return self._claim

    def _fingerprint(self, canonical_body: Any) -> None:
        self._claim = IdempotencyClaim(
            self._key, fingerprint(self.request.method, self.request.url.path, {}, canonical_body)
        )


async def answer_with_operation(
    runtime: Darkroom, record: OperationRecord, *, replayed: bool = False
) -> Response:
    """`202` with the operation as it stands after the accept grace."""
    watched = runtime.watch.by_op_id(record.op_id)
    if watched is not None and not watched.finished:
        await runtime.watch.wait_finished(watched, runtime.settings.accept_grace_ms / 1000)
    if watched is None or watched.revision != record.revision:
        record = await operations_store.by_id(runtime.db, record.op_id) or record
    headers = {"Location": f"/v1/operations/{record.uuid}"}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(operation_out(record), status_code=202, headers=headers)
