"""Schemathesis against the OpenAPI document: no 5xx, and every answer as the document says
(status, content type, headers, body schema). A few examples per operation here; `make fuzz`
(bench/fuzz.py) runs many more against /openapi.json, and the stateful phase along its links."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case

from app.config import load_settings
from app.http.app import create_app
from app.http.openapi import document
from app.testing import DarkroomServer

EXAMPLES = 3
# The document's promises: no server error, and every answer as documented. Not the checks that
# judge the server's validation against the schema's (negative_data_rejection and the like).
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
]


def served_document() -> dict[str, Any]:
    """What /openapi.json serves (tests/test_openapi.py checks that), built at collection time
    so that every operation is a test of its own; the app is made, never started."""
    app = create_app(load_settings({}, data_dir=Path("/nonexistent/darkroom-fuzz")))
    built: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(document(app.routes)))
    return built


CONFIG = {
    "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
    # The coverage phase's boundary cases run to hundreds per operation: the long run's job.
    "phases": {"coverage": {"enabled": False}},
}
schema = schemathesis.openapi.from_dict(served_document(), config=schemathesis.Config.from_dict(CONFIG))


@pytest.fixture(scope="module")
def fuzzed_server() -> Iterator[DarkroomServer]:
    with DarkroomServer() as server:
        yield server


@schema.parametrize()
# The same examples every run: `make test` guards against regressions, `make fuzz` explores.
@settings(max_examples=EXAMPLES, derandomize=True, suppress_health_check=list(HealthCheck))
def test_every_answer_matches_the_document(case: Case, fuzzed_server: DarkroomServer) -> None:
    case.call_and_validate(
        base_url=fuzzed_server.url, headers={"Authorization": f"Bearer {fuzzed_server.token}"}
    )
