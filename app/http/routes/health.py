"""`GET /healthz`: is the server up and its database answering (no auth)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app.http.context import darkroom
from app.http.responses import JSONResponse
from app.http.routing import Route
from app.schemas.health import HealthOut


async def healthz(request: Request) -> Response:
    await darkroom(request).db.fetch_one("SELECT 1")
    return JSONResponse(HealthOut(status="ok"), headers={"Cache-Control": "no-store"})


routes = [Route("/healthz", healthz, methods=["GET"])]
