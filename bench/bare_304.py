"""The reference for bench/poll.py: a bare Starlette endpoint answering a constant 304.

Run under uvicorn with the options Darkroom's `serve` uses, so that the ratio measures what
Darkroom adds (authentication, lookups, middleware, access log), not the server underneath.
"""

from __future__ import annotations

import argparse

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.cli.serve import UVICORN_OPTIONS

ETAG = '"op1.3"'


async def not_modified(request: Request) -> Response:
    return Response(status_code=304, headers={"ETag": ETAG})


app = Starlette(routes=[Route("/v1/operations/{uuid}", not_modified, methods=["GET"])])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(app, host="127.0.0.1", port=args.port, **UVICORN_OPTIONS)


if __name__ == "__main__":
    main()
