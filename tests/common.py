"""Helpers for the Home Assistant tests: the four fakes on one server, entries pointing at them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
import json
import time
from typing import Any

from aiohttp.test_utils import TestServer
from homeassistant.config_entries import ConfigSubentryDataWithId
from homeassistant.const import CONF_URL, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
from homeassistant.util.ulid import ulid_now
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.sms_gateways.const import CONF_PROVIDER, DOMAIN
from custom_components.sms_gateways.inbox_store import storage_key
from tests.fakes import make_fakes
from tests.fakes.base import FakeProvider, build_app
from tests.fakes.itniotech import inbound_push_body
from tests.fakes.smsmobileapi import legacy_push_body, signature_headers


@dataclass(frozen=True)
class ProviderData:
    """What the tests expect of one provider, given its fake's default credentials."""

    title: str
    # What the config flow makes the entry unique by (the fake's default account).
    account_id: str
    # The entry's service device.
    manufacturer: str
    model: str
    configuration_url: str
    # A number the provider sends to, in E.164 and as a user may type it, and one it refuses.
    number: str
    typed_number: str
    bad_number: str
    # The credentials the reauth flow asks for again.
    secrets: frozenset[str]


PROVIDER_DATA = {
    "enviosms": ProviderData(
        title="EnvioSMS (prueba)",
        account_id="prueba",
        manufacturer="EnvioSMS",
        model="API SMS v1",
        configuration_url="https://enviosms.com.mx",
        number="+525512345678",
        typed_number="+52 55 1234 5678",
        bad_number="+15551234567",  # not Mexican
        secrets=frozenset({"password"}),
    ),
    "duanxintong": ProviderData(
        title="企业短信通 (112088.net) (demo)",
        account_id="demo",
        manufacturer="企业短信通 (112088.net)",
        model="HTTP API",
        configuration_url="http://www.112088.net",
        number="+8613512345678",
        typed_number="13512345678",
        bad_number="+15551234567",  # not mainland China
        secrets=frozenset({"password"}),
    ),
    "smsmobileapi": ProviderData(
        title="SMSMobileAPI",
        # The client names the account by a digest of the key (the provider has no account id).
        account_id="cb8dea392928",
        manufacturer="SMSMobileAPI",
        model="Android gateway",
        configuration_url="https://smsmobileapi.com",
        number="+15551234567",
        typed_number="+15551234567",
        bad_number="12",
        # Not the webhook secret: the provider does not check it.
        secrets=frozenset({"api_key"}),
    ),
    "itniotech": ProviderData(
        title="Itniotech (demo-app)",
        account_id="demo-app",
        manufacturer="Itniotech",
        model="SMS API",
        configuration_url="https://www.itniotech.com",
        number="+918563214123",
        typed_number="+918563214123",
        bad_number="abc",
        secrets=frozenset({"api_key", "api_secret"}),
    ),
}
PROVIDERS = tuple(PROVIDER_DATA)
TITLES = {provider: data.title for provider, data in PROVIDER_DATA.items()}
NUMBERS = {provider: data.number for provider, data in PROVIDER_DATA.items()}
TYPED_NUMBERS = {provider: data.typed_number for provider, data in PROVIDER_DATA.items()}
BAD_NUMBERS = {provider: data.bad_number for provider, data in PROVIDER_DATA.items()}
SECRETS = {provider: set(data.secrets) for provider, data in PROVIDER_DATA.items()}


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
    fakes = make_fakes()
    for fake in fakes.values():
        fake.state.hang_seconds = 5.0
    server = TestServer(build_app(list(fakes.values())), host="127.0.0.1")
    await server.start_server()
    return FakeGateways(server, fakes)


def mock_entry(
    gateways: FakeGateways,
    provider: str,
    *,
    options: dict[str, Any] | None = None,
    recipients: dict[str, str] | None = None,
    webhook_id: str = "test-webhook-id",
    entry_id: str | None = None,
) -> MockConfigEntry:
    """Return an entry for `provider` pointing at its fake (contacts: name -> E.164 number).

    With an `entry_id` the contacts' subentry ids are fixed too, so that snapshots are stable.
    """
    data = gateways.entry_data(provider)
    from custom_components.sms_gateways.gateways import GATEWAYS

    if GATEWAYS[provider].capabilities.webhook:
        data[CONF_WEBHOOK_ID] = webhook_id
    return MockConfigEntry(
        domain=DOMAIN,
        title=TITLES[provider],
        unique_id=f"{provider}_{PROVIDER_DATA[provider].account_id}",
        entry_id=entry_id,
        data=data,
        options=options or {},
        subentries_data=[
            ConfigSubentryDataWithId(
                data={"name": name, "phone_number": number},
                subentry_id=f"{entry_id}_{index}" if entry_id else ulid_now(),
                subentry_type="recipient",
                title=name,
                unique_id=number,
            )
            for index, (name, number) in enumerate((recipients or {}).items())
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


async def tick(hass: HomeAssistant, seconds: int = 61) -> None:
    """Let `seconds` pass (from the test's start: pass growing values for later ticks)."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=seconds))
    # Coordinators refresh in background tasks.
    await hass.async_block_till_done(wait_background_tasks=True)


def push(gateways: FakeGateways, entry: MockConfigEntry, text: str) -> tuple[bytes, dict[str, str]]:
    """An inbound SMS as the entry's provider pushes it."""
    if entry.data["provider"] == "itniotech":
        return inbound_push_body("918563214123", text, f"push-{text}"), {}
    body = legacy_push_body("+15559876543", text, guid=f"push-{len(text)}")
    secret = gateways["smsmobileapi"].webhook_secret
    return body, signature_headers(body, secret, int(time.time()))


def on_disk(hass_storage: dict[str, Any], entry: MockConfigEntry) -> str:
    """Return the entry's inbox as last written, as text: what it holds, never how it is laid out.

    Check a value's presence with `json_text(value)`.
    """
    return json.dumps(hass_storage.get(storage_key(entry.entry_id)), ensure_ascii=False)


def json_text(value: str) -> str:
    """Return `value` as `on_disk` shows it: quoted, so only a whole value matches."""
    return json.dumps(value, ensure_ascii=False)
