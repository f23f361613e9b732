"""`serve`: run the server under uvicorn."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

import uvicorn

from app.cli.common import add_common
from app.config import load_settings
from app.http.app import create_app

# How uvicorn runs Darkroom; bench/poll.py runs its reference endpoint with the same.
UVICORN_OPTIONS: dict[str, Any] = {
    "loop": "uvloop",
    "http": "httptools",
    "access_log": False,  # our own access log carries the request id
    "log_config": None,
}


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("serve", help="run the server")
    add_common(parser)
    parser.add_argument("--host", default=None)
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--workers", type=int, default=None, help="operations run at once")
    parser.set_defaults(run=run)


def configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )


def run(args: argparse.Namespace) -> int:
    settings = load_settings(data_dir=args.data_dir, host=args.host, port=args.port, workers=args.workers)
    configure_logging()
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        **UVICORN_OPTIONS,
        timeout_graceful_shutdown=int(settings.shutdown_grace) + 5,
    )
    return 0
