"""Fixtures shared by the library tests and the Home Assistant tests.

The fakes run on loopback; `socket_enabled` lifts the test harness's socket block for them (the
harness still allows no host but 127.0.0.1).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING

import aiohttp
from aiohttp.test_utils import TestServer
import pytest

from tests.fakes.base import FakeProvider

if TYPE_CHECKING:
    from tests.common import FakeGateways

Serve = Callable[[FakeProvider], Awaitable[str]]


@pytest.fixture(autouse=True)
def _enable_custom_integrations(request: pytest.FixtureRequest) -> None:
    """Let Home Assistant load this custom integration in every test that has a `hass`."""
    if "hass" in request.fixturenames:
        request.getfixturevalue("enable_custom_integrations")


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    """A client session for the library tests (Home Assistant tests use the shared one)."""
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
async def serve(socket_enabled: None) -> AsyncIterator[Serve]:
    """Start a fake on loopback; returns its API root. Everything started is stopped after."""
    servers: list[TestServer] = []

    async def _serve(fake: FakeProvider) -> str:
        fake.state.hang_seconds = 5.0
        server = TestServer(fake.app(), host="127.0.0.1")
        await server.start_server()
        servers.append(server)
        return str(server.make_url("")).rstrip("/")

    yield _serve
    for server in servers:
        await server.close()


@pytest.fixture
async def gateways(socket_enabled: None) -> AsyncIterator[FakeGateways]:
    """The four provider fakes on one loopback server (for the Home Assistant tests)."""
    from tests.common import start_fakes

    fakes = await start_fakes()
    yield fakes
    await fakes.server.close()
