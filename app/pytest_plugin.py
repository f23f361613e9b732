"""The pytest plugin (entry point `pytest11`): `darkroom_server`, a real Darkroom for a whole
test session. Loaded by every pytest run where Darkroom is installed, so it imports the server
only when a test asks for the fixture."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from app.testing import DarkroomServer


@pytest.fixture(scope="session")
def darkroom_server() -> Iterator[DarkroomServer]:
    """A started `DarkroomServer` (`url`, `token`, `faults(...)`), stopped at the end of the
    session. Its data lasts the session; faults stay set until `faults()` turns them off."""
    from app.testing import DarkroomServer

    with DarkroomServer() as server:
        yield server
