"""The providers' loopback wire server, for end-to-end agent runs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from providers.server import LoopbackServer


@pytest.fixture(scope="session")
def wire_server() -> Iterator[LoopbackServer]:
    """A loopback server speaking the OpenAI and Anthropic wire formats."""
    loopback = LoopbackServer().start()
    try:
        yield loopback
    finally:
        loopback.stop()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
