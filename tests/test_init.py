"""The life of a config entry: setup, retry, reauth, device, unload, removal."""

from __future__ import annotations

from http import HTTPStatus

from aiohttp.test_utils import TestClient
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.device_registry import DeviceEntryType
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.sms_gateways.const import DOMAIN, EVENT_MESSAGE_RECEIVED
from custom_components.sms_gateways.inbox import storage_key
from tests.common import PROVIDERS, FakeGateways, mock_entry, setup_entry
from tests.fakes.base import Fault
from tests.fakes.itniotech import inbound_push_body

MODELS = {
    "enviosms": ("EnvioSMS", "API SMS v1", "https://enviosms.com.mx"),
    "duanxintong": ("企业短信通 (112088.net)", "HTTP API", "http://www.112088.net"),
    "smsmobileapi": ("SMSMobileAPI", "Android gateway", "https://smsmobileapi.com"),
    "itniotech": ("Itniotech", "SMS API", "https://www.itniotech.com"),
}


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_device(hass: HomeAssistant, gateways: FakeGateways, provider: str) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, provider))
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, entry.entry_id)})
    assert device is not None
    assert device.entry_type is DeviceEntryType.SERVICE
    assert (device.manufacturer, device.model, device.configuration_url) == MODELS[provider]
    assert device.name == entry.title


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_setup_retry_on_temporary_failure(
    hass: HomeAssistant, gateways: FakeGateways, provider: str
) -> None:
    gateways[provider].set_fault(Fault.HTTP_500)
    entry = await setup_entry(hass, mock_entry(gateways, provider))
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert hass.config_entries.flow.async_progress() == []


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_setup_auth_failure_starts_reauth(
    hass: HomeAssistant, gateways: FakeGateways, provider: str
) -> None:
    gateways[provider].set_fault(Fault.AUTH)
    entry = await setup_entry(hass, mock_entry(gateways, provider))
    assert entry.state is ConfigEntryState.SETUP_ERROR
    (flow,) = hass.config_entries.flow.async_progress()
    assert flow["context"]["source"] == "reauth"
    assert flow["context"]["entry_id"] == entry.entry_id


async def test_yaml_is_not_accepted(hass: HomeAssistant) -> None:
    # Config entries only: a YAML block does not set anything up (and says so in the log).
    assert await async_setup_component(hass, DOMAIN, {DOMAIN: {}})
    assert hass.config_entries.async_entries(DOMAIN) == []
    assert hass.services.has_service(DOMAIN, "send_sms")


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_unload_leaves_nothing_behind(
    hass: HomeAssistant,
    gateways: FakeGateways,
    hass_client_no_auth: object,
    provider: str,
) -> None:
    assert await async_setup_component(hass, "http", {})
    entry = await setup_entry(
        hass, mock_entry(gateways, provider, recipients={"Ana": _number(provider)})
    )
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    notify_services = set(hass.services.async_services()["notify"])
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    # The legacy notify service is gone, the entities unavailable, no poll timer left.
    assert set(hass.services.async_services().get("notify", {})) < notify_services
    for state in hass.states.async_all():
        if state.entity_id.split(".")[1].startswith(_slug(entry.title)):
            assert state.state == "unavailable"
    if provider == "itniotech":
        client: TestClient = await hass_client_no_auth()
        body = inbound_push_body("918563214123", "HEAT ON", "900")
        response = await client.post(f"/api/webhook/{entry.data['webhook_id']}", data=body)
        # An unregistered webhook answers 200 and does nothing (Home Assistant's rule).
        assert response.status == HTTPStatus.OK
        await hass.async_block_till_done()
        assert events == []


def _number(provider: str) -> str:
    return {
        "enviosms": "+525512345678",
        "duanxintong": "+8613512345678",
        "smsmobileapi": "+15551234567",
        "itniotech": "+918563214123",
    }[provider]


def _slug(title: str) -> str:
    from homeassistant.util import slugify

    return slugify(title)


async def test_remove_entry_forgets_its_store_and_issues(
    hass: HomeAssistant, gateways: FakeGateways, hass_storage: dict[str, object]
) -> None:
    entry = await setup_entry(
        hass, mock_entry(gateways, "enviosms", options={"balance_threshold": 1000})
    )
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"low_balance_{entry.entry_id}")
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert storage_key(entry.entry_id) in hass_storage
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert storage_key(entry.entry_id) not in hass_storage
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"low_balance_{entry.entry_id}") is None
