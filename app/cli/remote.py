"""What the commands that talk to a server share: `--url` and `--token`, the client, and
errors that stop a whole command turned into one line on stderr and exit 2."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from app.cli.common import EXIT_USAGE, add_common, data_dir, print_json
from app.client import AsyncDarkroom, DarkroomError, Forbidden, TransportError, Unauthorized
from app.client.errors import APIError
from app.config import ConfigError

DEFAULT_URL = "http://127.0.0.1:8080"
EXIT_INTERRUPTED = 130  # what a shell reports for a command stopped by Ctrl-C

Command = Callable[[argparse.Namespace, AsyncDarkroom], Awaitable[int]]


class CommandFailed(Exception):
    """The command cannot go on at all (exit 2): `code` for `--json`, the message for people."""

    def __init__(self, code: str, message: str, *, shown: str | None = None, **detail: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.shown = shown or message  # on stderr, where it may take more than a line
        self.detail = detail


def add_remote(parser: argparse.ArgumentParser) -> None:
    add_common(parser)
    parser.add_argument("--url", default=DEFAULT_URL, help=f"the server (default: {DEFAULT_URL})")
    parser.add_argument(
        "--token", default=None, help="default: DARKROOM_TOKEN, then the data directory's dev-token"
    )


def token(args: argparse.Namespace) -> str:
    given: str | None = args.token or os.environ.get("DARKROOM_TOKEN")
    if given:
        return given
    path = data_dir(args) / "dev-token"
    try:
        return path.read_text().strip()
    except OSError:
        raise ConfigError(f"no token: give --token, set DARKROOM_TOKEN, or have {path}") from None


def run(args: argparse.Namespace, command: Command) -> int:
    """Run `command` with a client signed in to `--url`; what stops it is reported here."""
    try:
        return asyncio.run(_connected(args, command))
    except CommandFailed as failure:
        return _fail(args, failure)
    except KeyboardInterrupt:
        print("\ndarkroom: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


async def _connected(args: argparse.Namespace, command: Command) -> int:
    async with AsyncDarkroom(args.url, token(args)) as client:
        # One try each, so that a wrong URL or token is told at once rather than after retries.
        if not await client.healthy():
            raise CommandFailed("unreachable", f"cannot reach a Darkroom server at {client.url}")
        try:
            await client.me()
            return await command(args, client)
        except Unauthorized as error:
            raise CommandFailed("unauthorized", f"{client.url} refused the token: {error.message}") from None
        except Forbidden as error:
            raise CommandFailed("forbidden", f"the token may not do this: {error.message}") from None
        except TransportError as error:
            raise CommandFailed("unreachable", f"lost the connection to {client.url}: {error}") from None
        except APIError as error:
            raise CommandFailed(error.code, f"{error.status} {error.code}: {error.message}") from None
        except DarkroomError as error:
            raise CommandFailed("failed", str(error)) from None


def _fail(args: argparse.Namespace, failure: CommandFailed) -> int:
    if args.json:
        print_json({"status": "error", "code": failure.code, "error": failure.message, **failure.detail})
    print(f"darkroom: {failure.shown}", file=sys.stderr)
    return EXIT_USAGE
