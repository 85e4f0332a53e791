"""Fixtures shared by the library tests and the Home Assistant tests.

The fakes run on loopback; `socket_enabled` lifts the test harness's socket block for them (the
harness still allows no host but 127.0.0.1).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
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
    if "recorder_mock" in request.fixturenames:
        # The recorder's database must exist before `hass` does.
        request.getfixturevalue("recorder_mock")
    if "hass" in request.fixturenames:
        request.getfixturevalue("enable_custom_integrations")


@pytest.fixture(autouse=True)
def _no_usage_report_of_ours(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail a test in which Home Assistant reports a deprecated use by this integration.

    Home Assistant's `frame` helper logs "Detected that custom integration 'sms_gateways' ..." for
    an API that will stop working; zero is the bar on every lane (DeprecationWarnings raised from
    our modules are errors through pytest's `filterwarnings`).
    """
    yield
    reports = [
        record.getMessage()
        for when in ("setup", "call")
        for record in caplog.get_records(when)
        if "Detected that custom integration 'sms_gateways'" in record.getMessage()
    ]
    assert reports == []


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
