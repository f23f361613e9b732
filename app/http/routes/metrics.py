"""`GET /metrics`: the server's Prometheus metrics in the text format, for any valid token."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.http.context import authorize
from app.metrics import CONTENT_TYPE

# Counted on the partial indexes `operations_queued_by_account` and `operations_running`. A
# batch's items are no queue of their own: their batch runs them, so they are left out.
_QUEUE_SQL = """
SELECT (SELECT count(*) FROM operations WHERE status = 'queued' AND parent_op_id IS NULL) AS queued,
       (SELECT count(*) FROM operations WHERE status = 'running') AS running
"""


async def metrics(request: Request) -> Response:
    # A token, though operators often scrape unauthenticated: this server may face the internet.
    runtime, _ = await authorize(request, None)
    row = await runtime.db.fetch_one(_QUEUE_SQL)
    queued, running = (row["queued"], row["running"]) if row is not None else (0, 0)
    body = runtime.metrics.exposition(queued=queued, running=running)
    return Response(body, media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})


routes = [Route("/metrics", metrics, methods=["GET"])]
