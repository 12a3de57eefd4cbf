"""Pytest plugin (entry point ``ygpt_magic``): the ``ygpt_server`` fixture.

One local server per test session (starting one costs a thread and a port); each test gets it
with no faults and an empty ``requests`` list, so tests cannot leak failures into each other.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .server import LocalServer


@pytest.fixture(scope="session")
def _ygpt_server_session() -> Iterator[LocalServer]:
    from .server import start_local_server  # lazy: every pytest run loads this plugin

    with start_local_server() as server:
        yield server


@pytest.fixture
def ygpt_server(_ygpt_server_session: LocalServer) -> Iterator[LocalServer]:
    """The session's local server, reset: no faults, no recorded requests, default delays."""
    server = _ygpt_server_session
    server.reset()
    server.operation_delay = 0.3
    server.batch_row_delay = 0.01
    yield server
    server.reset()
