"""Helpers for the Home Assistant tests: the four fakes on one server, entries pointing at them."""

from __future__ import annotations

from dataclasses import dataclass
import hashlib
from typing import Any

from aiohttp.test_utils import TestServer
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.const import CONF_URL, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_gateways.const import CONF_PROVIDER, DOMAIN
from tests.fakes.base import FakeProvider, build_app
from tests.fakes.duanxintong import DuanxintongFake
from tests.fakes.enviosms import EnvioSmsFake
from tests.fakes.itniotech import ItniotechFake
from tests.fakes.smsmobileapi import SmsMobileApiFake

PROVIDERS = ("enviosms", "duanxintong", "smsmobileapi", "itniotech")
TITLES = {
    "enviosms": "EnvioSMS (prueba)",
    "duanxintong": "企业短信通 (112088.net) (demo)",
    "smsmobileapi": "SMSMobileAPI",
    "itniotech": "Itniotech (demo-app)",
}


@dataclass
class FakeGateways:
    """The four fakes, served under `/<provider>` of one loopback server."""

    server: TestServer
    fakes: dict[str, FakeProvider]

    @property
    def root(self) -> str:
        """The server's address."""
        return str(self.server.make_url("")).rstrip("/")

    def url(self, provider: str) -> str:
        """The API root of one fake (what a user types in the `url` field)."""
        return f"{self.root}/{provider}"

    def __getitem__(self, provider: str) -> Any:
        """The fake of `provider`, typed loosely so tests reach its own helpers."""
        return self.fakes[provider]

    def entry_data(self, provider: str) -> dict[str, Any]:
        """Config entry data that the fake accepts."""
        return {
            CONF_PROVIDER: provider,
            **self.fakes[provider].credentials,
            CONF_URL: self.url(provider),
        }


async def start_fakes() -> FakeGateways:
    """Serve fresh fakes on loopback."""
    fakes: dict[str, FakeProvider] = {
        "enviosms": EnvioSmsFake(),
        "duanxintong": DuanxintongFake(),
        "smsmobileapi": SmsMobileApiFake(),
        "itniotech": ItniotechFake(),
    }
    for fake in fakes.values():
        fake.state.hang_seconds = 5.0
    server = TestServer(build_app(list(fakes.values())), host="127.0.0.1")
    await server.start_server()
    return FakeGateways(server, fakes)


def account_id(gateways: FakeGateways, provider: str) -> str:
    """The account id the provider's fake answers for (what the config flow makes unique)."""
    credentials = gateways[provider].credentials
    if provider == "smsmobileapi":
        return hashlib.sha256(credentials["api_key"].encode()).hexdigest()[:12]
    return str(credentials.get("username") or credentials.get("app_id"))


def mock_entry(
    gateways: FakeGateways,
    provider: str,
    *,
    options: dict[str, Any] | None = None,
    recipients: dict[str, str] | None = None,
    webhook_id: str = "test-webhook-id",
) -> MockConfigEntry:
    """An entry for `provider` pointing at its fake (contacts: name -> E.164 number)."""
    data = gateways.entry_data(provider)
    from custom_components.sms_gateways.gateways.registry import GATEWAYS

    if GATEWAYS[provider].capabilities.webhook:
        data[CONF_WEBHOOK_ID] = webhook_id
    return MockConfigEntry(
        domain=DOMAIN,
        title=TITLES[provider],
        unique_id=f"{provider}_{account_id(gateways, provider)}",
        data=data,
        options=options or {},
        subentries_data=[
            ConfigSubentryData(
                data={"name": name, "phone_number": number},
                subentry_type="recipient",
                title=name,
                unique_id=number,
            )
            for name, number in (recipients or {}).items()
        ],
    )


def entry_device(hass: HomeAssistant, entry: MockConfigEntry) -> dr.DeviceEntry | None:
    """The entry's own service device (not `async_get_device`: deprecated from 2026.11)."""
    return next(
        (
            device
            for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
            if (DOMAIN, entry.entry_id) in device.identifiers
        ),
        None,
    )


def contact_entity_id(hass: HomeAssistant, entry: MockConfigEntry, name: str) -> str:
    """The notify entity of the entry's saved contact `name` (its subentry's)."""
    (subentry,) = [s for s in entry.subentries.values() if s.title == name]
    entity_id = er.async_get(hass).async_get_entity_id(
        "notify", DOMAIN, f"{entry.entry_id}_recipient_{subentry.subentry_id}"
    )
    assert entity_id is not None, f"no notify entity for contact {name}"
    return entity_id


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    """Add and set up `entry`, waiting until everything it started has settled."""
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    # The first polls run in the background after setup.
    await hass.async_block_till_done(wait_background_tasks=True)
    return entry
