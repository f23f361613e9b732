"""`GET /metrics`: the server's Prometheus metrics in the text format, for any valid token."""

from __future__ import annotations

import functools

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from app.http.context import authorize
from app.http.routing import Route
from app.metrics import CONTENT_TYPE
from app.storage import operations_store


async def metrics(request: Request) -> Response:
    # A token, though operators often scrape unauthenticated: this server may face the internet.
    runtime, _ = await authorize(request, None)
    queued, running = await operations_store.queue_depth(runtime.db)
    body = await anyio.to_thread.run_sync(
        functools.partial(runtime.metrics.exposition, queued=queued, running=running)
    )
    return Response(body, media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})


routes = [Route("/metrics", metrics, methods=["GET"])]
