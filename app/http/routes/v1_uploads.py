"""Uploads: a signed ticket, the file sent to it, or a file fetched from `src`."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import time
import uuid
from collections.abc import AsyncGenerator
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import unquote, urlsplit

import msgspec
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import Response

from app.accounts.scopes import Scope
from app.errors import Forbidden, IdempotencyKeyConflict, PayloadTooLarge, ValidationFailed
from app.http.context import darkroom
from app.http.lookups import set_id_of_field
from app.http.responses import JSONResponse
from app.http.routing import Route
from app.http.urls import public_base
from app.http.write_endpoints import WriteCheck, WriteEndpoint
from app.http.writes import V1Write, answer_with_operation
from app.operations.idempotency import IdempotencyClaim
from app.operations.submission import Submission
from app.operations.types import upload
from app.schemas.uploads import UploadFromUrl, UploadTicket, UploadTicketRequest
from app.signing import SIGNATURE_FIELD, signed, verify
from app.storage import uploads_store
from app.storage.uploads_store import TicketRecord
from app.timestamps import format_time, now_text, parse_time, text_ago

TICKET_LIFETIME = timedelta(minutes=15)
FILE_FIELD = "file"
_TICKET_FIELDS = ("account", "transaction_uuid", "expires", "filename", "metadata")
# Room for the signed fields and multipart framing around the file itself.
_FORM_OVERHEAD = 16 * 1024


async def create_ticket(request: Request) -> Response:
    write = await V1Write.begin(request, Scope.UPLOAD)
    body = write.decode(UploadTicketRequest)
    fields = body.image_fields()  # checked now: the ticket carries only valid metadata
    set_id = await set_id_of_field(write.runtime.db, body.set_public_uuid, write.principal.account_id)
    ticket, replayed = await _ticket_record(write)
    runtime = write.runtime
    expires = parse_time(ticket.created_at) + TICKET_LIFETIME
    metadata = {"fields": fields, "set_id": set_id, "read_metadata": body.read_metadata}
    signed_fields = signed(
        runtime.secret,
        {
            "account": write.principal.account_uuid,
            "transaction_uuid": ticket.transaction_uuid,
            "expires": str(int(expires.timestamp())),
            "filename": body.filename,
            "metadata": msgspec.json.encode(metadata).decode(),
        },
    )
    answer = UploadTicket(
        upload_url=f"{public_base(request, runtime.settings)}/v1/uploads/file",
        file_field=FILE_FIELD,
        fields=signed_fields,
        transaction_uuid=ticket.transaction_uuid,
        expires_at=format_time(expires),
    )
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return JSONResponse(answer, status_code=201, headers=headers)


async def _ticket_record(write: V1Write) -> tuple[TicketRecord, bool]:
    """The ticket this key obtained before (a replay), or a new one remembered for it."""
    account_id, claim = write.principal.account_id, write.claim
    async with write.runtime.db.write() as tx:
        known = await uploads_store.by_key(tx, account_id, claim.key)
        if known is not None and known.created_at < text_ago(write.runtime.settings.idempotency_ttl):
            await uploads_store.delete(tx, account_id, claim.key)
            known = None
        if known is not None:
            if known.fingerprint != claim.fingerprint:
                raise IdempotencyKeyConflict
            return known, True
        ticket = TicketRecord(claim.fingerprint, f"tx-{uuid.uuid4()}", now_text())
        await uploads_store.insert(tx, account_id, claim.key, ticket)
        return ticket, False


async def receive_file(request: Request) -> Response:
    """The upload URL: the signed fields are the authority, so no token is needed."""
    runtime = darkroom(request)
    limit = runtime.settings.max_source_bytes + _FORM_OVERHEAD
    form = await _parse_form(request, limit)
    try:
        ticket = {name: value for name, value in form.items() if isinstance(value, str)}
        if not verify(runtime.secret, ticket) or set(ticket) != {*_TICKET_FIELDS, SIGNATURE_FIELD}:
            raise Forbidden("The upload ticket is not valid or has expired.")
        account_id = await uploads_store.account_id_by_uuid(runtime.db, ticket["account"])
        if account_id is None:
            raise Forbidden("The upload ticket is not valid or has expired.")
        file = form.get(FILE_FIELD)
        if not isinstance(file, UploadFile):
            raise ValidationFailed("The file goes in the field 'file'.", field=FILE_FIELD)
        if file.size is not None and file.size > runtime.settings.max_source_bytes:
            raise PayloadTooLarge(f"The file is over the limit of {runtime.settings.max_source_bytes} bytes.")
        # One ticket, one file: the ticket's transaction is the operation's idempotency key.
        claim = IdempotencyClaim(f"upload:{ticket['transaction_uuid']}", "upload-ticket")
        known = await runtime.intake.find(account_id, claim)
        if known is not None:
            return await answer_with_operation(runtime, known, replayed=True)
        incoming = await asyncio.to_thread(_keep, file.file, runtime.settings.incoming_dir)
    finally:
        await form.close()
    metadata = msgspec.json.decode(ticket["metadata"])
    submission = _submission(
        {"incoming": incoming.name},
        ticket["filename"],
        metadata["fields"],
        metadata["set_id"],
        metadata["read_metadata"],
    )
    accepted = await runtime.intake.submit(account_id, submission, claim)
    if accepted.replayed:  # the same ticket was used twice at the same moment
        await asyncio.to_thread(incoming.unlink, missing_ok=True)
    return await answer_with_operation(runtime, accepted.record, replayed=accepted.replayed)


async def _check_url_upload(context: WriteCheck, body: UploadFromUrl) -> Submission:
    fields = body.image_fields()
    set_id = await set_id_of_field(context.runtime.db, body.set_public_uuid, context.principal.account_id)
    filename = body.filename or _filename_of(body.src)
    return _submission({"src": body.src}, filename, fields, set_id, body.read_metadata)


def _submission(
    source: dict[str, str],
    filename: str | None,
    fields: dict[str, Any],
    set_id: int | None,
    read_metadata: bool,
) -> Submission:
    image_uuid = str(uuid.uuid4())  # chosen now: a rerun after a crash makes the same image
    return Submission(
        type=upload.TYPE,
        params={
            "image_uuid": image_uuid,
            "source": source,
            "filename": filename,
            "fields": fields,
            "set_id": set_id,
            "read_metadata": read_metadata,
        },
        image_public_uuids=[image_uuid],
    )


def _filename_of(src: str) -> str | None:
    name = unquote(urlsplit(src).path.rsplit("/", 1)[-1]).strip()
    return name[:255] or None


async def _parse_form(request: Request, limit: int) -> Any:
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise ValidationFailed("Send the file as multipart/form-data.", field="Content-Type")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The upload is over the limit of {limit} bytes.")
    try:
        return await MultiPartParser(
            request.headers, _limited(request, limit), max_files=1, max_fields=len(_TICKET_FIELDS) + 1
        ).parse()
    except MultiPartException as error:
        raise ValidationFailed(f"The multipart body is not valid: {error.message}") from None


async def _limited(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise PayloadTooLarge(f"The upload is over the limit of {limit} bytes.")
        yield chunk


def _keep(source: BinaryIO, directory: Path) -> Path:
    """Copy the uploaded file where its operation will find it, durably, under a fresh name;
    a copy that fails (a full disk) leaves nothing behind."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{int(time.time())}-{secrets.token_hex(8)}"
    source.seek(0)
    try:
        with path.open("xb") as target:
            shutil.copyfileobj(source, target, 1024 * 1024)
            target.flush()
            os.fsync(target.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


WRITES = [WriteEndpoint("POST", "/v1/uploads/url", Scope.UPLOAD, UploadFromUrl, _check_url_upload)]

routes = [
    Route("/v1/uploads", create_ticket, methods=["POST"]),
    Route("/v1/uploads/file", receive_file, methods=["POST"]),
    *(endpoint.route() for endpoint in WRITES),
]
