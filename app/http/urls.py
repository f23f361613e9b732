"""Absolute URLs the server hands out: `DARKROOM_PUBLIC_URL`, else the request's own base."""

from __future__ import annotations

from starlette.requests import Request

from app.config import Settings


def public_base(request: Request, settings: Settings) -> str:
    return (settings.public_url or str(request.base_url)).rstrip("/")
