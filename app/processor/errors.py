"""The one error the processor raises for a bad item: a stable code and a message naming what happened.

ItemFailure(code, message)
├── src_scheme         the source URL is not http or https
├── src_forbidden      a hop resolved to an address we refuse (loopback, private, metadata…)
├── src_http_error     the source answered with an error status ("src answered 404")
├── src_timeout        connecting or the whole fetch took too long
├── src_too_large      the body passed the byte limit (we stopped reading)
├── src_redirects      more than 5 redirects
├── src_unreachable    DNS failed, the connection was refused or reset
├── unsupported_format not one of the formats we accept
├── image_too_large    more pixels than allowed, or a decompression bomb
├── decode_failed      a truncated or corrupt file, or a worker that died on it
└── process_timeout    the worker took longer than the processing timeout and was killed
"""

from __future__ import annotations

from typing import Literal, get_args

FailureCode = Literal[
    "src_scheme",
    "src_forbidden",
    "src_http_error",
    "src_timeout",
    "src_too_large",
    "src_redirects",
    "src_unreachable",
    "unsupported_format",
    "image_too_large",
    "decode_failed",
    "process_timeout",
]

FAILURE_CODES: frozenset[str] = frozenset(get_args(FailureCode))

_DEFAULT_MESSAGES: dict[str, str] = {
    "src_scheme": "src must be an http or https URL",
    "src_forbidden": "src points to an address that is not allowed",
    "src_http_error": "src answered with an error",
    "src_timeout": "fetching src took too long",
    "src_too_large": "src is larger than allowed",
    "src_redirects": "src redirected too many times",
    "src_unreachable": "src could not be reached",
    "unsupported_format": "the file is not an image in a supported format",
    "image_too_large": "the image has more pixels than allowed",
    "decode_failed": "the image could not be decoded",
    "process_timeout": "processing the image took too long",
}


class ItemFailure(Exception):
    """One item could not be fetched or processed; the operation records it and goes on."""

    def __init__(self, code: FailureCode, message: str | None = None) -> None:
        if code not in FAILURE_CODES:
            raise ValueError(f"unknown item failure code {code!r}")
        self.code: FailureCode = code
        self.message = message or _DEFAULT_MESSAGES[code]
        # Both in args so the exception survives pickling from a worker process.
        super().__init__(code, self.message)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"ItemFailure({self.code!r}, {self.message!r})"
