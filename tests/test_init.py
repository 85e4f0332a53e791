"""The life of a config entry: setup, retry, reauth, device, reload, unload, removal."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.helpers.device_registry import DeviceEntryType
from homeassistant.setup import async_setup_component
from homeassistant.util import slugify
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sms_gateways.const import DOMAIN, EVENT_MESSAGE_RECEIVED
from custom_components.sms_gateways.inbox import storage_key
from tests.common import (
    NUMBERS,
    PROVIDER_DATA,
    PROVIDERS,
    FakeGateways,
    entry_device,
    mock_entry,
    push,
    setup_entry,
    tick,
)
from tests.fakes.base import Fault
from tests.lanes import device_config_entries


async def test_device(
    hass: HomeAssistant, init_integration: MockConfigEntry, provider: str
) -> None:
    entry = init_integration
    device = entry_device(hass, entry)
    assert device is not None
    assert device.entry_type is DeviceEntryType.SERVICE
    expected = PROVIDER_DATA[provider]
    assert (device.manufacturer, device.model, device.configuration_url) == (
        expected.manufacturer,
        expected.model,
        expected.configuration_url,
    )
    assert device.name == entry.title
    assert device_config_entries(device) == {entry.entry_id}
    # Every entity of the entry sits on that one device.
    entities = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    assert entities
    assert {e.device_id for e in entities} == {device.id}


async def test_setup_retries_until_the_provider_is_back(
    hass: HomeAssistant, gateways: FakeGateways, mock_config_entry: MockConfigEntry, provider: str
) -> None:
    gateways[provider].set_fault(Fault.HTTP_500)
    entry = await setup_entry(hass, mock_config_entry)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    # A passing outage is not a credentials problem: nobody is asked to sign in again.
    assert hass.config_entries.flow.async_progress() == []
    gateways[provider].set_fault(Fault.NONE)
    await tick(hass, 90)
    assert entry.state is ConfigEntryState.LOADED


async def test_setup_auth_failure_starts_reauth(
    hass: HomeAssistant, gateways: FakeGateways, mock_config_entry: MockConfigEntry, provider: str
) -> None:
    gateways[provider].set_fault(Fault.AUTH)
    entry = await setup_entry(hass, mock_config_entry)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    (flow,) = hass.config_entries.flow.async_progress()
    assert flow["context"]["source"] == "reauth"
    assert flow["context"]["entry_id"] == entry.entry_id


async def test_yaml_is_not_accepted(hass: HomeAssistant) -> None:
    # Config entries only: a YAML block does not set anything up.
    assert await async_setup_component(hass, DOMAIN, {DOMAIN: {}})
    assert hass.config_entries.async_entries(DOMAIN) == []
    assert hass.services.has_service(DOMAIN, "send_sms")


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_unload_leaves_nothing_behind(
    hass: HomeAssistant,
    gateways: FakeGateways,
    hass_client_no_auth: ClientSessionGenerator,
    provider: str,
) -> None:
    assert await async_setup_component(hass, "http", {})
    entry = await setup_entry(
        hass, mock_entry(gateways, provider, recipients={"Ana": NUMBERS[provider]})
    )
    legacy = slugify(entry.title)
    assert hass.services.has_service("notify", legacy)
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    client = await hass_client_no_auth() if provider in ("smsmobileapi", "itniotech") else None
    if client is not None:
        # While loaded, a push fires an event (so the check after unloading can fail).
        body, headers = push(gateways, entry, "BEFORE")
        response = await client.post(
            f"/api/webhook/{entry.data[CONF_WEBHOOK_ID]}", data=body, headers=headers
        )
        assert response.status == HTTPStatus.OK
        await hass.async_block_till_done()
        assert [e.data["message"] for e in events] == ["BEFORE"]

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    # The legacy notify service is gone; the entities (the contact's too) are unavailable.
    assert not hass.services.has_service("notify", legacy)
    states = [
        state
        for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if (state := hass.states.get(e.entity_id)) is not None
    ]
    assert len(states) >= 3
    assert {s.state for s in states} == {"unavailable"}
    # No poll timer is left: time passes and the provider hears nothing.
    asked = len(gateways[provider].state.requests)
    await tick(hass, 3600)
    assert len(gateways[provider].state.requests) == asked
    if client is not None:
        body, headers = push(gateways, entry, "AFTER")
        response = await client.post(
            f"/api/webhook/{entry.data[CONF_WEBHOOK_ID]}", data=body, headers=headers
        )
        # Home Assistant answers 200 for an unknown webhook (so as not to reveal which exist)
        # and nothing is fired.
        assert response.status == HTTPStatus.OK
        await hass.async_block_till_done()
        assert [e.data["message"] for e in events] == ["BEFORE"]


async def test_reload_keeps_the_legacy_notify_service(
    hass: HomeAssistant, gateways: FakeGateways
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "enviosms"))
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    await hass.services.async_call(
        "notify",
        "enviosms_prueba",
        {"message": "still here", "target": "5512345678"},
        blocking=True,
    )
    assert [m.text for m in gateways["enviosms"].sent] == ["still here"]


async def test_remove_entry_forgets_its_store_and_issues(
    hass: HomeAssistant, gateways: FakeGateways, hass_storage: dict[str, Any]
) -> None:
    entry = await setup_entry(
        hass, mock_entry(gateways, "enviosms", options={"balance_threshold": 1000})
    )
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"low_balance_{entry.entry_id}")
    # A send leaves the day's count to be written.
    await hass.services.async_call(
        DOMAIN,
        "send_sms",
        {"config_entry_id": entry.entry_id, "recipients": ["+525512345678"], "message": "hi"},
        blocking=True,
    )
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert storage_key(entry.entry_id) in hass_storage
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert storage_key(entry.entry_id) not in hass_storage
    # Nothing written after the removal either.
    await tick(hass, 60)
    assert not [key for key in hass_storage if entry.entry_id in key]
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"low_balance_{entry.entry_id}") is None
    assert entry_device(hass, entry) is None


async def test_remove_entry_deletes_its_cloudhook(
    hass: HomeAssistant, gateways: FakeGateways
) -> None:
    base = mock_entry(gateways, "itniotech")
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=base.title,
        unique_id=base.unique_id,
        data={**base.data, "cloudhook_url": "https://hooks.nabu.casa/abc"},
    )
    await setup_entry(hass, entry)
    hass.config.components.add("cloud")
    with patch("homeassistant.components.cloud.async_delete_cloudhook") as delete:
        await hass.config_entries.async_remove(entry.entry_id)
        await hass.async_block_till_done()
    delete.assert_called_once_with(hass, entry.data[CONF_WEBHOOK_ID])


async def test_a_hanging_credentials_check_does_not_hold_the_start(
    hass: HomeAssistant, gateways: FakeGateways
) -> None:
    # The provider accepts the connection and never answers: setup gives up after its own short
    # deadline (not the 15 s request time-out) and Home Assistant retries later.
    gateways["itniotech"].set_fault(Fault.HANG)
    entry = mock_entry(gateways, "itniotech")
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert "within 4 s" in str(entry.reason)


@pytest.mark.parametrize(
    ("provider", "path"),
    [("duanxintong", "get_receive_message_txt.asp"), ("itniotech", "/recordMo")],
)
async def test_a_hanging_first_poll_does_not_hold_the_start(
    hass: HomeAssistant, gateways: FakeGateways, provider: str, path: str
) -> None:
    # The credentials check answers, the first inbox poll hangs: the entry is set up at once and
    # the poll goes on in the background.
    entry = mock_entry(gateways, provider)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    gateways[provider].set_fault(Fault.HANG, path=path)
    assert await hass.config_entries.async_reload(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    assert await hass.config_entries.async_unload(entry.entry_id)
