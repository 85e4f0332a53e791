"""Fixtures shared by the library tests and the Home Assistant tests.

The fakes run on loopback; `socket_enabled` lifts the test harness's socket block for them (the
harness still allows no host but 127.0.0.1). The end-to-end lane loads this file too, without
Home Assistant's test harness or syrupy: what needs them is imported inside the fixtures.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import TYPE_CHECKING
from unittest.mock import patch

import aiohttp
from aiohttp.test_utils import TestServer
import pytest

from tests.fakes import make_fakes
from tests.fakes.base import FakeProvider

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from syrupy.assertion import SnapshotAssertion

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
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Return syrupy's snapshot with Home Assistant's serializer.

    The plugin's own override of this fixture is registered before syrupy's, so it does not
    take effect; this one also gives one snapshot on both lanes.
    """
    from tests.lanes import SnapshotExtension

    return snapshot.use_extension(SnapshotExtension)


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


@pytest.fixture(params=list(make_fakes()))
def provider(request: pytest.FixtureRequest) -> str:
    """Return the provider of `mock_config_entry`: each in turn, unless a test parametrizes it."""
    return str(request.param)


@pytest.fixture
def recipients() -> dict[str, str]:
    """Return the contacts of `mock_config_entry` (name -> E.164 number); none unless parametrized."""
    return {}


@pytest.fixture
def mock_config_entry(
    gateways: FakeGateways, provider: str, recipients: dict[str, str]
) -> MockConfigEntry:
    """Return an entry of `provider` pointing at its fake.

    Its entry id is fixed (MockConfigEntry makes a random one) so that snapshots are stable.
    """
    from tests.common import mock_entry

    return mock_entry(gateways, provider, recipients=recipients, entry_id=f"{provider}_entry_id")


@pytest.fixture
def platforms() -> list[str] | None:
    """Return the platforms `init_integration` sets up: all, unless a test parametrizes it."""
    return None


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, platforms: list[str] | None
) -> AsyncIterator[MockConfigEntry]:
    """Add and set up `mock_config_entry`, once its first polls have settled.

    With `platforms`, only those are set up and unloaded (as `snapshot_platform` needs): Home
    Assistant's own calls are filtered, so the test does not depend on where the integration lists
    its platforms. That entry is unloaded after the test, while the filter is still in place.
    """
    from tests.common import setup_entry

    if platforms is None:
        yield await setup_entry(hass, mock_config_entry)
        return
    entries = hass.config_entries
    forward, unload = entries.async_forward_entry_setups, entries.async_unload_platforms

    async def forward_only(entry: ConfigEntry, domains: Iterable[str]) -> None:
        await forward(entry, [domain for domain in domains if domain in platforms])

    async def unload_only(entry: ConfigEntry, domains: Iterable[str]) -> bool:
        return await unload(entry, [domain for domain in domains if domain in platforms])

    with (
        patch.object(entries, "async_forward_entry_setups", forward_only),
        patch.object(entries, "async_unload_platforms", unload_only),
    ):
        yield await setup_entry(hass, mock_config_entry)
        assert await entries.async_unload(mock_config_entry.entry_id)
