"""The answer of `GET /healthz`."""

from __future__ import annotations

from app.schemas.base import Schema


class HealthOut(Schema):
    status: str
