"""The config flow through Home Assistant's flow manager, against the provider fakes."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_NAME, CONF_SCAN_INTERVAL, CONF_URL, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_gateways.const import (
    CONF_BALANCE_THRESHOLD,
    CONF_DEFAULT_COUNTRY,
    CONF_PHONE_NUMBER,
    CONF_POLL_INBOUND,
    CONF_PROVIDER,
    DOMAIN,
)
from tests.common import PROVIDERS, FakeGateways, mock_entry, setup_entry
from tests.fakes.base import Fault

NUMBERS = {
    "enviosms": "+52 55 1234 5678",
    "duanxintong": "13512345678",
    "smsmobileapi": "+15551234567",
    "itniotech": "+918563214123",
}
BAD_NUMBERS = {
    "enviosms": "+15551234567",  # not Mexican
    "duanxintong": "+15551234567",  # not mainland China
    "smsmobileapi": "12",
    "itniotech": "abc",
}


def user_input(gateways: FakeGateways, provider: str) -> dict[str, Any]:
    data = gateways.entry_data(provider)
    data.pop(CONF_PROVIDER)
    return data


async def start(hass: HomeAssistant, provider: str) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == list(PROVIDERS)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": provider}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == provider
    return dict(result)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_create_entry(hass: HomeAssistant, gateways: FakeGateways, provider: str) -> None:
    result = await start(hass, provider)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(gateways, provider)
    )
    if provider in ("smsmobileapi", "itniotech"):
        # Providers that push show where to paste the webhook URL.
        assert result["type"] is FlowResultType.FORM
        assert result["step_id"] == "webhook"
        assert "/api/webhook/" in result["description_placeholders"]["webhook_url"]
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.data[CONF_PROVIDER] == provider
    assert entry.data[CONF_URL] == gateways.url(provider)
    assert (CONF_WEBHOOK_ID in entry.data) == (provider in ("smsmobileapi", "itniotech"))
    assert entry.title.startswith(
        {"enviosms": "EnvioSMS", "duanxintong": "企业短信通", "smsmobileapi": "SMSMobileAPI",
         "itniotech": "Itniotech"}[provider]
    )  # fmt: skip
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_title_names_the_account(hass: HomeAssistant, gateways: FakeGateways) -> None:
    result = await start(hass, "enviosms")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(gateways, "enviosms")
    )
    assert result["title"] == "EnvioSMS (prueba)"
    await hass.async_block_till_done()
    assert hass.services.has_service("notify", "enviosms_prueba")


@pytest.mark.parametrize(
    ("fault", "error"),
    [(Fault.AUTH, "invalid_auth"), (Fault.HTTP_500, "cannot_connect"), (Fault.MALFORMED, "unknown")],
)  # fmt: skip
@pytest.mark.parametrize("provider", PROVIDERS)
async def test_form_errors_then_retry(
    hass: HomeAssistant, gateways: FakeGateways, provider: str, fault: Fault, error: str
) -> None:
    result = await start(hass, provider)
    gateways[provider].set_fault(fault, count=1)
    entered = user_input(gateways, provider)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], entered)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    # The fault was one-off: the same input now works.
    result = await hass.config_entries.flow.async_configure(result["flow_id"], entered)
    assert result["type"] in (FlowResultType.CREATE_ENTRY, FlowResultType.FORM)
    if result["type"] is FlowResultType.FORM:
        assert result["step_id"] == "webhook"


async def test_unexpected_exception_is_unknown(hass: HomeAssistant, gateways: FakeGateways) -> None:
    result = await start(hass, "enviosms")
    with patch(
        "custom_components.sms_gateways.gateways.enviosms.EnvioSmsGateway.async_validate",
        side_effect=RuntimeError("boom"),
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], user_input(gateways, "enviosms")
        )
    assert result["errors"] == {"base": "unknown"}


async def test_unreachable_url(hass: HomeAssistant, gateways: FakeGateways) -> None:
    result = await start(hass, "duanxintong")
    entered = {**user_input(gateways, "duanxintong"), CONF_URL: "http://127.0.0.1:9"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], entered)
    assert result["errors"] == {"base": "cannot_connect"}


async def test_whitespace_and_default_url(hass: HomeAssistant, gateways: FakeGateways) -> None:
    result = await start(hass, "enviosms")
    schema = result["data_schema"].schema
    url_key = next(k for k in schema if k == CONF_URL)
    assert url_key.default() == "https://sms.api4it.com/v1"
    entered = user_input(gateways, "enviosms")
    entered["username"] = f"  {entered['username']} "
    result = await hass.config_entries.flow.async_configure(result["flow_id"], entered)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["username"] == "prueba"


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_already_configured(
    hass: HomeAssistant, gateways: FakeGateways, provider: str
) -> None:
    for attempt in range(2):
        result = await start(hass, provider)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], user_input(gateways, provider)
        )
        if attempt == 0:
            if result["type"] is FlowResultType.FORM:
                result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
            assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_reauth(hass: HomeAssistant, gateways: FakeGateways, provider: str) -> None:
    # A real entry's unique id, so the reauthenticated account is recognised as the same one.
    result = await start(hass, provider)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(gateways, provider)
    )
    if result["type"] is FlowResultType.FORM:
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    entry = result["result"]
    await hass.async_block_till_done()
    secrets = {
        k: v for k, v in user_input(gateways, provider).items() if k in _secret_keys(provider)
    }
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_REAUTH, "entry_id": entry.entry_id}, data=entry.data
    )
    assert result["step_id"] == "reauth_confirm"
    assert set(result["data_schema"].schema) == set(secrets)
    wrong = dict.fromkeys(secrets, "wrong-secret")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], wrong)
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], secrets)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


def _secret_keys(provider: str) -> set[str]:
    return {
        "enviosms": {"password"},
        "duanxintong": {"password"},
        "smsmobileapi": {"api_key"},
        "itniotech": {"api_key", "api_secret"},
    }[provider]


async def test_reauth_reloads_a_failed_entry(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = mock_entry(gateways, "duanxintong")
    gateways["duanxintong"].password = "new-password"
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    (flow,) = hass.config_entries.flow.async_progress()
    assert flow["context"]["source"] == "reauth"
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"password": "new-password"}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.data["password"] == "new-password"


async def test_reconfigure(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "itniotech"))
    hass.config_entries.async_update_entry(entry, unique_id="itniotech_demo-app")
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    fields = user_input(gateways, "itniotech")
    # Secrets left out keep their stored values; the sender id is new.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {"app_id": fields["app_id"], "sender_id": "HOME", CONF_URL: gateways.url("itniotech")},
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data["sender_id"] == "HOME"
    assert entry.data["api_secret"] == fields["api_secret"]
    assert entry.state is ConfigEntryState.LOADED


async def test_reconfigure_to_another_account(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "itniotech"))
    hass.config_entries.async_update_entry(entry, unique_id="itniotech_demo-app")
    gateways["itniotech"].app_id = "other-app"
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"app_id": "other-app", CONF_URL: gateways.url("itniotech")}
    )
    assert result["reason"] == "unique_id_mismatch"
    assert entry.data["app_id"] == "demo-app"


async def test_reconfigure_error_keeps_form(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "enviosms"))
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {"username": "prueba", "password": "bad", CONF_URL: gateways.url("enviosms")},
    )
    assert result["errors"] == {"base": "invalid_auth"}


async def test_new_smsmobileapi_key_moves_the_unique_id(
    hass: HomeAssistant, gateways: FakeGateways
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "smsmobileapi"))
    old_unique_id = entry.unique_id
    fake = gateways["smsmobileapi"]
    fake.api_key = "regenerated-key-0001"  # the user made a new key in the app
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_REAUTH, "entry_id": entry.entry_id}, data=entry.data
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_key": "regenerated-key-0001"}
    )
    assert result["reason"] == "reauth_successful"
    assert entry.unique_id != old_unique_id
    assert "regenerated" not in entry.unique_id
    assert entry.data["api_key"] == "regenerated-key-0001"


async def test_smsmobileapi_key_of_another_entry_is_refused(
    hass: HomeAssistant, gateways: FakeGateways
) -> None:
    first = await setup_entry(hass, mock_entry(gateways, "smsmobileapi"))
    other = MockConfigEntry(
        domain=DOMAIN, title="SMSMobileAPI", unique_id="smsmobileapi_other", data=dict(first.data)
    )
    other.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_REAUTH, "entry_id": other.entry_id}, data=other.data
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_key": first.data["api_key"]}
    )
    assert result["reason"] == "already_configured"
    assert other.unique_id == "smsmobileapi_other"


@pytest.mark.parametrize(
    ("provider", "fields"),
    [
        ("enviosms", {CONF_SCAN_INTERVAL, CONF_DEFAULT_COUNTRY, CONF_BALANCE_THRESHOLD}),
        ("duanxintong", {CONF_SCAN_INTERVAL, CONF_POLL_INBOUND, CONF_DEFAULT_COUNTRY, CONF_BALANCE_THRESHOLD}),
        ("smsmobileapi", {CONF_SCAN_INTERVAL, CONF_POLL_INBOUND, CONF_DEFAULT_COUNTRY}),
    ],
)  # fmt: skip
async def test_options(
    hass: HomeAssistant, gateways: FakeGateways, provider: str, fields: set[str]
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, provider))
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert {str(k) for k in result["data_schema"].schema} == fields
    values = {CONF_SCAN_INTERVAL: 120, CONF_DEFAULT_COUNTRY: "MX"}
    result = await hass.config_entries.options.async_configure(result["flow_id"], values)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options[CONF_SCAN_INTERVAL] == 120
    # Saving reloaded the entry with the new interval.
    assert entry.state is ConfigEntryState.LOADED
    coordinator = entry.runtime_data.balance_coordinator or entry.runtime_data.inbox_coordinator
    assert coordinator is not None
    assert coordinator.update_interval.total_seconds() == 120


async def test_options_minimum_interval(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "enviosms"))
    result = await hass.config_entries.options.async_init(entry.entry_id)
    with pytest.raises(InvalidData, match="scan_interval"):
        await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_SCAN_INTERVAL: 5}
        )


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_add_recipient(hass: HomeAssistant, gateways: FakeGateways, provider: str) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, provider))
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "recipient"), context={"source": SOURCE_USER}
    )
    assert result["step_id"] == "user"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Ana", CONF_PHONE_NUMBER: BAD_NUMBERS[provider]}
    )
    assert result["errors"] == {CONF_PHONE_NUMBER: "invalid_phone_number"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Ana", CONF_PHONE_NUMBER: NUMBERS[provider]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    (subentry,) = entry.subentries.values()
    assert subentry.data[CONF_PHONE_NUMBER].startswith("+")
    assert " " not in subentry.data[CONF_PHONE_NUMBER]
    # The entry reloaded and the contact is a notify entity on the entry's device.
    assert any(
        s.entity_id.startswith("notify.") and s.entity_id.endswith("_ana")
        for s in hass.states.async_all("notify")
    )
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "recipient"), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Ana again", CONF_PHONE_NUMBER: NUMBERS[provider]}
    )
    assert result["reason"] == "already_configured"
