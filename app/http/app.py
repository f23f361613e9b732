"""The Starlette application, assembled from the routes modules and the middleware."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.types import ASGIApp

from app.config import Settings
from app.faults import DropResponseMiddleware
from app.http.middleware.envelope import RequestEnvelope
from app.http.routes import (
    console,
    docs,
    health,
    imgs_reads,
    imgs_writes,
    media,
    metrics,
    ops,
    v1_account,
    v1_archives,
    v1_batch,
    v1_downloads,
    v1_images,
    v1_keywords,
    v1_operations,
    v1_sets,
    v1_uploads,
)
from app.runtime import Darkroom


class DarkroomApp(Starlette):
    """Starlette with the running Darkroom at hand: endpoints read it on every request, and
    `app.state` finds a key only after a failed attribute lookup."""

    darkroom: Darkroom

    def build_middleware_stack(self) -> ASGIApp:
        """Our middleware around the router, without Starlette's ServerErrorMiddleware and
        ExceptionMiddleware: `RequestEnvelope` turns every exception into the error envelope,
        and two layers fewer show in the cost of a poll."""
        app: ASGIApp = self.router
        for cls, args, kwargs in reversed(self.user_middleware):
            app = cls(app, *args, **kwargs)
        return app


def create_app(settings: Settings) -> Starlette:
    runtime = Darkroom(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = DarkroomApp(
        routes=[
            # Polls first: they are the most frequent request, and routes are tried in order.
            *v1_operations.routes,
            *ops.routes,
            *health.routes,
            *v1_account.routes,
            *v1_images.routes,
            *v1_keywords.routes,
            *v1_batch.routes,
            *v1_sets.routes,
            *v1_uploads.routes,
            *v1_downloads.routes,
            *v1_archives.routes,
            *media.routes,
            *imgs_reads.routes,
            *imgs_writes.routes,
            *docs.routes,
            *console.routes,
            *metrics.routes,
        ],
        middleware=[
            # Outermost, so that a dropped response is cut after everything else has run.
            Middleware(DropResponseMiddleware, faults=runtime.faults),
            Middleware(RequestEnvelope, metrics=runtime.metrics),
        ],
        lifespan=lifespan,
    )
    app.darkroom = runtime
    app.state.darkroom = runtime
    return app
