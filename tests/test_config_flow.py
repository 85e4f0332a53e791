"""The config flow through Home Assistant's flow managers, against the provider fakes.

Every result is also checked the way the frontend would use it: its schema must serialise, and
strings.json must have a text for the step, each field, each error and each abort reason, with every
placeholder the texts use.
"""

from __future__ import annotations

from datetime import timedelta
import json
from pathlib import Path
import re
import socket
from typing import Any
from unittest.mock import patch

from homeassistant.components import webhook
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntry,
    ConfigEntryState,
)
from homeassistant.const import CONF_NAME, CONF_SCAN_INTERVAL, CONF_URL, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sms_gateways.const import (
    CONF_BALANCE_THRESHOLD,
    CONF_DEFAULT_COUNTRY,
    CONF_PHONE_NUMBER,
    CONF_POLL_INBOUND,
    CONF_PROVIDER,
    DOMAIN,
    EVENT_MESSAGE_RECEIVED,
)
from custom_components.sms_gateways.gateways import GATEWAYS
from tests.common import (
    BAD_NUMBERS,
    PROVIDERS,
    SECRETS,
    TITLES,
    TYPED_NUMBERS as NUMBERS,
    FakeGateways,
    contact_entity_id,
    mock_entry,
    setup_entry,
)
from tests.fakes.base import Fault
from tests.lanes import serialize_form

STRINGS = json.loads(
    (Path(__file__).parent.parent / "custom_components" / DOMAIN / "strings.json").read_text(
        encoding="utf-8"
    )
)
WEBHOOK_PROVIDERS = ("smsmobileapi", "itniotech")
CLOUDHOOK = "https://hooks.nabu.casa/test-cloudhook"


# -- what the frontend needs of every result ---------------------------------------------------


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", text))


def check_ui(result: Any, section: dict[str, Any]) -> Any:
    """Fail if the frontend could not show `result` in full, in the user's language."""
    kind = result["type"]
    if kind is FlowResultType.ABORT:
        assert result["reason"] in section["abort"], result["reason"]
        return result
    if kind not in (FlowResultType.FORM, FlowResultType.MENU):
        return result
    step = section["step"][result["step_id"]]
    given = set(result.get("description_placeholders") or {})
    texts = [step.get("title", ""), step.get("description", "")]
    texts += list(step.get("data_description", {}).values())
    for text in texts:
        assert _placeholders(text) <= given, (result["step_id"], text)
    if kind is FlowResultType.MENU:
        assert set(result["menu_options"]) == set(step["menu_options"])
        return result
    schema = result["data_schema"]
    # What the frontend receives: this raises for anything it cannot render.
    serialize_form(schema)
    for key in schema.schema:
        assert str(key) in step.get("data", {}), (result["step_id"], str(key))
    for error in (result.get("errors") or {}).values():
        assert error in section["error"], error
    return result


CONFIG = STRINGS["config"]
OPTIONS = STRINGS["options"]
RECIPIENT = STRINGS["config_subentries"]["recipient"]


async def init(hass: HomeAssistant, context: dict[str, Any], data: Any = None) -> Any:
    return check_ui(
        await hass.config_entries.flow.async_init(DOMAIN, context=context, data=data), CONFIG
    )


async def configure(hass: HomeAssistant, flow_id: str, user_input: Any = None) -> Any:
    return check_ui(await hass.config_entries.flow.async_configure(flow_id, user_input), CONFIG)


async def reauth(hass: HomeAssistant, entry: ConfigEntry) -> Any:
    """What Home Assistant starts when the provider rejects the stored credentials."""
    return await init(hass, {"source": SOURCE_REAUTH, "entry_id": entry.entry_id}, entry.data)


async def reconfigure(hass: HomeAssistant, entry: ConfigEntry) -> Any:
    """The entry's "Reconfigure" menu item."""
    return await init(hass, {"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id})


def suggested(result: Any) -> dict[str, Any]:
    """What the form shows filled in (suggested values, else defaults)."""
    shown: dict[str, Any] = {}
    for key in result["data_schema"].schema:
        if (value := (key.description or {}).get("suggested_value")) is not None:
            shown[str(key)] = value
        elif callable(key.default):
            shown[str(key)] = key.default()
    return shown


def user_input(gateways: FakeGateways, provider: str) -> dict[str, Any]:
    data = gateways.entry_data(provider)
    data.pop(CONF_PROVIDER)
    return data


async def start(hass: HomeAssistant, provider: str) -> Any:
    result = await init(hass, {"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == list(PROVIDERS)
    result = await configure(hass, result["flow_id"], {"next_step_id": provider})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == provider
    return result


async def add(hass: HomeAssistant, gateways: FakeGateways, provider: str) -> Any:
    """Add an entry through the flow; returns the entry."""
    result = await start(hass, provider)
    result = await configure(hass, result["flow_id"], user_input(gateways, provider))
    if result["type"] is FlowResultType.FORM:
        assert result["step_id"] == "webhook"
        result = await configure(hass, result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    return result["result"]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- adding an account --------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_create_entry(hass: HomeAssistant, gateways: FakeGateways, provider: str) -> None:
    result = await start(hass, provider)
    assert suggested(result) == {CONF_URL: GATEWAYS[provider].default_url}
    result = await configure(hass, result["flow_id"], user_input(gateways, provider))
    if provider in WEBHOOK_PROVIDERS:
        # Providers that push show where to paste the webhook URL, before the entry exists.
        assert result["type"] is FlowResultType.FORM
        assert result["step_id"] == "webhook"
        assert hass.config_entries.async_entries(DOMAIN) == []
        shown = result["description_placeholders"]["webhook_url"]
        result = await configure(hass, result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.title == TITLES[provider]
    assert entry.data == {
        CONF_PROVIDER: provider,
        **user_input(gateways, provider),
        **({CONF_WEBHOOK_ID: entry.data[CONF_WEBHOOK_ID]} if provider in WEBHOOK_PROVIDERS else {}),
    }
    if provider in WEBHOOK_PROVIDERS:
        assert shown == webhook.async_generate_url(hass, entry.data[CONF_WEBHOOK_ID])
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_whole_flow_over_the_frontend_api(
    hass: HomeAssistant, gateways: FakeGateways, hass_client: ClientSessionGenerator
) -> None:
    """What the Add integration dialog does, through the HTTP API it uses."""
    assert await async_setup_component(hass, "config", {})
    # The HTTP router freezes when the client starts: the webhook routes must exist by then.
    assert await async_setup_component(hass, DOMAIN, {})
    client = await hass_client()
    base = "/api/config/config_entries/flow"
    response = await client.post(base, json={"handler": DOMAIN})
    assert response.status == 200
    result = await response.json()
    assert result["type"] == "menu"
    flow = f"{base}/{result['flow_id']}"
    result = await (await client.post(flow, json={"next_step_id": "itniotech"})).json()
    assert [field["name"] for field in result["data_schema"]] == [
        "api_key", "api_secret", "app_id", "sender_id", "url",
    ]  # fmt: skip
    result = await (await client.post(flow, json=user_input(gateways, "itniotech"))).json()
    assert result["step_id"] == "webhook"
    assert "/api/webhook/" in result["description_placeholders"]["webhook_url"]
    result = await (await client.post(flow, json={})).json()
    assert result["type"] == "create_entry"
    await hass.async_block_till_done()
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    assert entry.state is ConfigEntryState.LOADED


async def test_title_names_the_account(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = await add(hass, gateways, "enviosms")
    assert entry.title == "EnvioSMS (prueba)"
    assert hass.services.has_service("notify", "enviosms_prueba")


async def test_two_phones_get_their_own_notify_service(
    hass: HomeAssistant, gateways: FakeGateways
) -> None:
    """SMSMobileAPI names no account: the second phone must not take the first one's service."""
    fake = gateways["smsmobileapi"]
    first = await add(hass, gateways, "smsmobileapi")
    fake.api_key = "second-phone-key"
    second = await add(hass, gateways, "smsmobileapi")
    assert (first.title, second.title) == ("SMSMobileAPI", "SMSMobileAPI 2")
    assert first.unique_id != second.unique_id
    # The fake accepts one key at a time: each send goes through only with its own entry's key.
    await hass.services.async_call(
        "notify", "smsmobileapi_2", {"message": "hi", "target": "+15551234567"}, blocking=True
    )
    fake.api_key = first.data["api_key"]
    await hass.services.async_call(
        "notify", "smsmobileapi", {"message": "hi", "target": "+15551234567"}, blocking=True
    )
    assert len(fake.sent) == 2


@pytest.mark.parametrize(
    ("fault", "error"),
    [(Fault.AUTH, "invalid_auth"), (Fault.HTTP_500, "cannot_connect"), (Fault.MALFORMED, "unknown")],
)  # fmt: skip
@pytest.mark.parametrize("provider", PROVIDERS)
async def test_form_errors_keep_the_input_then_retry(
    hass: HomeAssistant, gateways: FakeGateways, provider: str, fault: Fault, error: str
) -> None:
    result = await start(hass, provider)
    gateways[provider].set_fault(fault, count=1)
    entered = user_input(gateways, provider)
    result = await configure(hass, result["flow_id"], entered)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == provider
    assert result["errors"] == {"base": error}
    assert suggested(result) == entered
    assert hass.config_entries.async_entries(DOMAIN) == []
    # The fault was one-off: the same input now works.
    result = await configure(hass, result["flow_id"], entered)
    if provider in WEBHOOK_PROVIDERS:
        assert result["step_id"] == "webhook"
        result = await configure(hass, result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_nothing_listens_on_the_url(
    hass: HomeAssistant, gateways: FakeGateways, provider: str
) -> None:
    result = await start(hass, provider)
    entered = {**user_input(gateways, provider), CONF_URL: f"http://127.0.0.1:{closed_port()}"}
    result = await configure(hass, result["flow_id"], entered)
    assert result["errors"] == {"base": "cannot_connect"}
    assert suggested(result)[CONF_URL] == entered[CONF_URL]


async def test_unexpected_error_is_unknown_and_logged(
    hass: HomeAssistant, gateways: FakeGateways, caplog: pytest.LogCaptureFixture
) -> None:
    # A URL the HTTP library cannot even parse: no gateway error, a bare ValueError.
    result = await start(hass, "enviosms")
    entered = {**user_input(gateways, "enviosms"), CONF_URL: "http://[::1/enviosms"}
    result = await configure(hass, result["flow_id"], entered)
    assert result["errors"] == {"base": "unknown"}
    assert "Unexpected error validating the credentials" in caplog.text
    assert entered["password"] not in caplog.text


async def test_whitespace_is_stripped_and_url_defaults(
    hass: HomeAssistant, gateways: FakeGateways
) -> None:
    result = await start(hass, "enviosms")
    url_key = next(k for k in result["data_schema"].schema if k == CONF_URL)
    assert url_key.default() == "https://sms.api4it.com/v1"
    entered = user_input(gateways, "enviosms")
    entered["username"] = f"  {entered['username']} "
    result = await configure(hass, result["flow_id"], entered)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["username"] == "prueba"


async def test_optional_field_left_empty_is_not_stored(
    hass: HomeAssistant, gateways: FakeGateways
) -> None:
    result = await start(hass, "itniotech")
    result = await configure(
        hass, result["flow_id"], {**user_input(gateways, "itniotech"), "sender_id": "  "}
    )
    result = await configure(hass, result["flow_id"], {})
    assert "sender_id" not in result["data"]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_already_configured(
    hass: HomeAssistant, gateways: FakeGateways, provider: str
) -> None:
    await add(hass, gateways, provider)
    result = await start(hass, provider)
    result = await configure(hass, result["flow_id"], user_input(gateways, provider))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


# -- the webhook URL ----------------------------------------------------------------------------


@pytest.fixture
def cloud(hass: HomeAssistant) -> Any:
    """Home Assistant Cloud with an active subscription (its calls recorded)."""
    hass.config.components.add("cloud")
    with (
        patch("homeassistant.components.cloud.async_active_subscription", return_value=True),
        patch(
            "homeassistant.components.cloud.async_create_cloudhook", return_value=CLOUDHOOK
        ) as create,
        patch("homeassistant.components.cloud.async_delete_cloudhook") as delete,
    ):
        yield create, delete


async def test_cloud_users_are_shown_their_cloudhook(
    hass: HomeAssistant, gateways: FakeGateways, cloud: Any
) -> None:
    create, delete = cloud
    result = await start(hass, "smsmobileapi")
    result = await configure(hass, result["flow_id"], user_input(gateways, "smsmobileapi"))
    assert result["description_placeholders"]["webhook_url"] == CLOUDHOOK
    result = await configure(hass, result["flow_id"], {})
    await hass.async_block_till_done()
    entry = result["result"]
    assert entry.data["cloudhook_url"] == CLOUDHOOK
    # Setup used the cloudhook the user was shown instead of making another.
    assert create.call_count == 1
    assert entry.runtime_data.webhook_url == CLOUDHOOK
    delete.assert_not_called()


async def test_abandoned_flow_drops_its_cloudhook(
    hass: HomeAssistant, gateways: FakeGateways, cloud: Any
) -> None:
    create, delete = cloud
    result = await start(hass, "itniotech")
    result = await configure(hass, result["flow_id"], user_input(gateways, "itniotech"))
    assert result["description_placeholders"]["webhook_url"] == CLOUDHOOK
    hass.config_entries.flow.async_abort(result["flow_id"])
    await hass.async_block_till_done()
    webhook_id = create.call_args.args[1]
    delete.assert_called_once_with(hass, webhook_id)
    assert hass.config_entries.async_entries(DOMAIN) == []


async def test_cloud_not_connected_shows_the_local_url(
    hass: HomeAssistant, gateways: FakeGateways, cloud: Any
) -> None:
    from homeassistant.components.cloud import CloudNotConnected

    create, _ = cloud
    create.side_effect = CloudNotConnected
    result = await start(hass, "itniotech")
    result = await configure(hass, result["flow_id"], user_input(gateways, "itniotech"))
    assert result["description_placeholders"]["webhook_url"].startswith("http")
    assert "/api/webhook/" in result["description_placeholders"]["webhook_url"]
    result = await configure(hass, result["flow_id"], {})
    assert "cloudhook_url" not in result["data"]


async def test_no_known_address_shows_the_path(hass: HomeAssistant, gateways: FakeGateways) -> None:
    result = await start(hass, "itniotech")
    with patch("homeassistant.components.webhook.get_url", side_effect=NoURLAvailableError):
        result = await configure(hass, result["flow_id"], user_input(gateways, "itniotech"))
    url = result["description_placeholders"]["webhook_url"]
    result = await configure(hass, result["flow_id"], {})
    assert url == f"/api/webhook/{result['data'][CONF_WEBHOOK_ID]}"


# -- reauthentication ---------------------------------------------------------------------------


def _rotate(gateways: FakeGateways, provider: str) -> dict[str, str]:
    """The user changes the secrets at the provider: the fake now accepts only the new ones."""
    fake = gateways[provider]
    new = {name: f"new-{name}-0001" for name in SECRETS[provider]}
    for name, value in new.items():
        setattr(fake, name, value)
    return new


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_reauth(hass: HomeAssistant, gateways: FakeGateways, provider: str) -> None:
    entry = await add(hass, gateways, provider)
    unique_id = entry.unique_id
    new = _rotate(gateways, provider)
    result = await reauth(hass, entry)
    assert result["step_id"] == "reauth_confirm"
    # Only the secrets the provider checks, never prefilled.
    assert {str(k) for k in result["data_schema"].schema} == SECRETS[provider]
    assert suggested(result) == {}
    old = {name: entry.data[name] for name in SECRETS[provider]}
    result = await configure(hass, result["flow_id"], old)
    assert result["errors"] == {"base": "invalid_auth"}
    gateways[provider].set_fault(Fault.HTTP_500, count=1)
    result = await configure(hass, result["flow_id"], new)
    assert result["errors"] == {"base": "cannot_connect"}
    result = await configure(hass, result["flow_id"], new)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert {name: entry.data[name] for name in new} == new
    if provider != "smsmobileapi":  # its account id is made from the key (tested below)
        assert entry.unique_id == unique_id


async def test_reauth_with_unchanged_secrets_still_reloads(
    hass: HomeAssistant, gateways: FakeGateways
) -> None:
    """The provider refused for a while and accepts again: confirming must restart the entry."""
    entry = await setup_entry(hass, mock_entry(gateways, "enviosms"))
    before = entry.runtime_data
    result = await reauth(hass, entry)
    result = await configure(hass, result["flow_id"], {"password": entry.data["password"]})
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is not before


async def test_reauth_reloads_a_failed_entry(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = mock_entry(gateways, "duanxintong")
    gateways["duanxintong"].password = "new-password"
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    (flow,) = hass.config_entries.flow.async_progress()
    assert flow["context"]["source"] == "reauth"
    result = await configure(hass, flow["flow_id"], {"password": "new-password"})
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.data["password"] == "new-password"


async def test_new_smsmobileapi_key_moves_the_unique_id(
    hass: HomeAssistant, gateways: FakeGateways
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "smsmobileapi"))
    old_unique_id = entry.unique_id
    gateways["smsmobileapi"].api_key = "regenerated-key-0001"  # the user made a new key in the app
    result = await reauth(hass, entry)
    result = await configure(hass, result["flow_id"], {"api_key": "regenerated-key-0001"})
    assert result["reason"] == "reauth_successful"
    assert entry.unique_id != old_unique_id
    assert "regenerated" not in entry.unique_id
    assert entry.data["api_key"] == "regenerated-key-0001"
    # The webhook secret and id were kept: pushes keep working.
    assert entry.data["webhook_secret"] == gateways["smsmobileapi"].webhook_secret
    assert entry.data[CONF_WEBHOOK_ID] == "test-webhook-id"


async def test_smsmobileapi_key_of_another_entry_is_refused(
    hass: HomeAssistant, gateways: FakeGateways
) -> None:
    first = await setup_entry(hass, mock_entry(gateways, "smsmobileapi"))
    other = MockConfigEntry(
        domain=DOMAIN, title="SMSMobileAPI 2", unique_id="smsmobileapi_other", data=dict(first.data)
    )
    other.add_to_hass(hass)
    result = await reauth(hass, other)
    result = await configure(hass, result["flow_id"], {"api_key": first.data["api_key"]})
    assert result["reason"] == "already_configured"
    assert other.unique_id == "smsmobileapi_other"


# -- reconfiguration ----------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_reconfigure_keeps_secrets_left_empty(
    hass: HomeAssistant, gateways: FakeGateways, provider: str
) -> None:
    entry = await add(hass, gateways, provider)
    data = dict(entry.data)
    result = await reconfigure(hass, entry)
    assert result["step_id"] == "reconfigure"
    shown = suggested(result)
    # Everything but the secrets is filled in; the secrets may stay empty.
    assert shown == {k: v for k, v in user_input(gateways, provider).items() if k not in SECRETS[provider] and k != "webhook_secret"}  # fmt: skip
    result = await configure(hass, result["flow_id"], shown)
    if provider in WEBHOOK_PROVIDERS:
        # The push URL once more, for a user who changes the provider's dashboard too.
        assert result["step_id"] == "webhook"
        assert result["description_placeholders"]["webhook_url"] == (
            webhook.async_generate_url(hass, data[CONF_WEBHOOK_ID])
        )
        result = await configure(hass, result["flow_id"], {})
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert dict(entry.data) == data
    assert entry.state is ConfigEntryState.LOADED


async def test_reconfigure_fixes_a_wrong_url(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = mock_entry(gateways, "duanxintong")
    wrong = f"http://127.0.0.1:{closed_port()}"
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=entry.title,
        unique_id=entry.unique_id,
        data={**entry.data, CONF_URL: wrong},
    )
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    result = await reconfigure(hass, entry)
    assert suggested(result)[CONF_URL] == wrong
    result = await configure(
        hass,
        result["flow_id"],
        {"username": entry.data["username"], CONF_URL: gateways.url("duanxintong")},
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.data[CONF_URL] == gateways.url("duanxintong")


async def test_reconfigure_sender_id(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = await add(hass, gateways, "itniotech")
    fields = user_input(gateways, "itniotech")
    result = await reconfigure(hass, entry)
    result = await configure(
        hass,
        result["flow_id"],
        {"app_id": fields["app_id"], "sender_id": "HOME", CONF_URL: gateways.url("itniotech")},
    )
    result = await configure(hass, result["flow_id"], {})
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data["sender_id"] == "HOME"
    assert entry.data["api_secret"] == fields["api_secret"]
    # The reloaded entry sends with it.
    await hass.services.async_call(
        DOMAIN,
        "send_sms",
        {"config_entry_id": entry.entry_id, "recipients": ["+918563214123"], "message": "hi"},
        blocking=True,
    )
    assert gateways["itniotech"].sent[-1].options["senderId"] == "HOME"
    # Left empty, it is cleared.
    result = await reconfigure(hass, entry)
    assert suggested(result)["sender_id"] == "HOME"
    result = await configure(
        hass, result["flow_id"], {"app_id": fields["app_id"], CONF_URL: gateways.url("itniotech")}
    )
    result = await configure(hass, result["flow_id"], {})
    assert "sender_id" not in entry.data


@pytest.mark.parametrize(
    ("provider", "field", "attribute"),
    [("itniotech", "app_id", "app_id"), ("enviosms", "username", "username")],
)
async def test_reconfigure_to_another_account_is_refused(
    hass: HomeAssistant, gateways: FakeGateways, provider: str, field: str, attribute: str
) -> None:
    entry = await add(hass, gateways, provider)
    data = dict(entry.data)
    setattr(gateways[provider], attribute, "someone-else")
    result = await reconfigure(hass, entry)
    result = await configure(hass, result["flow_id"], {**suggested(result), field: "someone-else"})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "unique_id_mismatch"
    assert dict(entry.data) == data


async def test_reconfigure_error_keeps_the_input(
    hass: HomeAssistant, gateways: FakeGateways
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "enviosms"))
    result = await reconfigure(hass, entry)
    entered = {"username": "prueba", "password": "bad", CONF_URL: gateways.url("enviosms")}
    result = await configure(hass, result["flow_id"], entered)
    assert result["errors"] == {"base": "invalid_auth"}
    assert suggested(result) == {"username": "prueba", CONF_URL: gateways.url("enviosms")}
    assert entry.data["password"] == gateways["enviosms"].password


async def test_reconfigure_with_cloud_keeps_the_cloudhook(
    hass: HomeAssistant, gateways: FakeGateways, cloud: Any
) -> None:
    create, delete = cloud
    entry = await add(hass, gateways, "smsmobileapi")
    result = await reconfigure(hass, entry)
    result = await configure(hass, result["flow_id"], suggested(result))
    assert result["description_placeholders"]["webhook_url"] == CLOUDHOOK
    hass.config_entries.flow.async_abort(result["flow_id"])
    await hass.async_block_till_done()
    # The entry still uses it: abandoning the reconfiguration does not delete it.
    assert create.call_count == 1
    delete.assert_not_called()
    assert entry.data["cloudhook_url"] == CLOUDHOOK


# -- options ------------------------------------------------------------------------------------


# Options every provider has: the spending guard, plain characters, private text.
EVERY_ENTRY = ("daily_limit", "plain_characters", "private_text")


@pytest.mark.parametrize(
    ("provider", "fields"),
    [
        ("enviosms", {CONF_SCAN_INTERVAL, CONF_DEFAULT_COUNTRY, CONF_BALANCE_THRESHOLD, *EVERY_ENTRY}),
        ("duanxintong", {CONF_SCAN_INTERVAL, CONF_POLL_INBOUND, CONF_DEFAULT_COUNTRY, CONF_BALANCE_THRESHOLD, *EVERY_ENTRY}),
        ("smsmobileapi", {CONF_SCAN_INTERVAL, CONF_POLL_INBOUND, CONF_DEFAULT_COUNTRY, *EVERY_ENTRY}),
        ("itniotech", {CONF_SCAN_INTERVAL, CONF_POLL_INBOUND, CONF_DEFAULT_COUNTRY, CONF_BALANCE_THRESHOLD, *EVERY_ENTRY}),
    ],
)  # fmt: skip
async def test_options(
    hass: HomeAssistant, gateways: FakeGateways, provider: str, fields: set[str]
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, provider))
    result = check_ui(await hass.config_entries.options.async_init(entry.entry_id), OPTIONS)
    assert {str(k) for k in result["data_schema"].schema} == fields
    defaults = suggested(result)
    assert defaults[CONF_SCAN_INTERVAL] == 60
    assert defaults.get(CONF_POLL_INBOUND, True) is True
    values = {CONF_SCAN_INTERVAL: 120, CONF_DEFAULT_COUNTRY: "MX"}
    result = check_ui(
        await hass.config_entries.options.async_configure(result["flow_id"], values), OPTIONS
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options[CONF_SCAN_INTERVAL] == 120
    # Saving reloaded the entry with the new settings.
    assert entry.state is ConfigEntryState.LOADED
    runtime = entry.runtime_data
    if runtime.inbox_coordinator is not None:
        assert runtime.inbox_coordinator.update_interval == timedelta(seconds=120)
    if runtime.balance_coordinator is not None:
        # The balance keeps its 15 minutes: the interval is only shorter.
        assert runtime.balance_coordinator.update_interval == timedelta(minutes=15)
    assert entry.runtime_data.gateway.default_region == "MX"
    # Reopened, the form shows what was saved.
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert suggested(result)[CONF_SCAN_INTERVAL] == 120
    assert suggested(result)[CONF_DEFAULT_COUNTRY] == "MX"


async def test_options_turn_inbound_polling_off(
    hass: HomeAssistant, gateways: FakeGateways
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "duanxintong"))
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SCAN_INTERVAL: 60, CONF_POLL_INBOUND: False}
    )
    await hass.async_block_till_done()
    gateways["duanxintong"].queue_inbound("13798361236", "HEAT ON")
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=61))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert events == []
    assert not any(
        r.path.endswith("get_receive_message_txt.asp")
        for r in gateways["duanxintong"].state.requests[-3:]
    )


async def test_options_refuse_a_short_interval(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "enviosms"))
    result = await hass.config_entries.options.async_init(entry.entry_id)
    with pytest.raises(InvalidData, match="scan_interval"):
        await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_SCAN_INTERVAL: 14}
        )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SCAN_INTERVAL: 15}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


# -- contacts -----------------------------------------------------------------------------------


async def start_recipient(hass: HomeAssistant, entry: MockConfigEntry) -> Any:
    return check_ui(
        await hass.config_entries.subentries.async_init(
            (entry.entry_id, "recipient"), context={"source": SOURCE_USER}
        ),
        RECIPIENT,
    )


async def configure_recipient(hass: HomeAssistant, flow_id: str, user_input: Any) -> Any:
    return check_ui(
        await hass.config_entries.subentries.async_configure(flow_id, user_input), RECIPIENT
    )


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_add_recipient(hass: HomeAssistant, gateways: FakeGateways, provider: str) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, provider))
    result = await start_recipient(hass, entry)
    assert result["step_id"] == "user"
    bad = {CONF_NAME: "Ana", CONF_PHONE_NUMBER: BAD_NUMBERS[provider]}
    result = await configure_recipient(hass, result["flow_id"], bad)
    assert result["errors"] == {CONF_PHONE_NUMBER: "invalid_phone_number"}
    assert suggested(result) == bad
    result = await configure_recipient(
        hass, result["flow_id"], {CONF_NAME: "Ana", CONF_PHONE_NUMBER: NUMBERS[provider]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    (subentry,) = entry.subentries.values()
    assert subentry.title == "Ana"
    number = subentry.data[CONF_PHONE_NUMBER]
    assert re.fullmatch(r"\+[1-9]\d{6,14}", number), number  # E.164
    # The entry reloaded and the contact is a notify entity that sends to that number.
    entity_id = contact_entity_id(hass, entry, "Ana")
    await hass.services.async_call(
        "notify", "send_message", {"entity_id": entity_id, "message": "hello"}, blocking=True
    )
    assert gateways[provider].sent
    # The same number again is refused, whatever the name or the way it is written.
    result = await start_recipient(hass, entry)
    result = await configure_recipient(
        hass, result["flow_id"], {CONF_NAME: "Ana again", CONF_PHONE_NUMBER: f" {number} "}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(entry.subentries) == 1


async def test_recipient_national_number_uses_the_default_country(
    hass: HomeAssistant, gateways: FakeGateways
) -> None:
    entry = await setup_entry(
        hass, mock_entry(gateways, "smsmobileapi", options={CONF_DEFAULT_COUNTRY: "MX"})
    )
    result = await start_recipient(hass, entry)
    result = await configure_recipient(
        hass, result["flow_id"], {CONF_NAME: "  ", CONF_PHONE_NUMBER: "55 1234 5678"}
    )
    assert result["data"] == {CONF_NAME: "+525512345678", CONF_PHONE_NUMBER: "+525512345678"}
    assert result["title"] == "+525512345678"


async def start_recipient_edit(
    hass: HomeAssistant, entry: MockConfigEntry, subentry_id: str
) -> Any:
    return check_ui(
        await hass.config_entries.subentries.async_init(
            (entry.entry_id, "recipient"),
            context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id},
        ),
        RECIPIENT,
    )


async def test_edit_recipient(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = await setup_entry(
        hass,
        mock_entry(
            gateways,
            "smsmobileapi",
            options={CONF_DEFAULT_COUNTRY: "MX"},
            recipients={"Ana": "+15551234567", "Luis": "+15557654321"},
        ),
    )
    ana = next(s for s in entry.subentries.values() if s.title == "Ana")
    entity_id = contact_entity_id(hass, entry, "Ana")
    result = await start_recipient_edit(hass, entry, ana.subentry_id)
    assert result["step_id"] == "reconfigure"
    # The form opens with the contact as it is.
    assert suggested(result) == {CONF_NAME: "Ana", CONF_PHONE_NUMBER: "+15551234567"}
    checks = [
        ({CONF_NAME: "Ana", CONF_PHONE_NUMBER: "12"}, {CONF_PHONE_NUMBER: "invalid_phone_number"}),
        # Names address contacts in actions: two alike could not be told apart.
        ({CONF_NAME: " luis ", CONF_PHONE_NUMBER: "+15551234567"}, {CONF_NAME: "name_in_use"}),
    ]
    for user_input, errors in checks:
        result = await configure_recipient(hass, result["flow_id"], user_input)
        assert result["errors"] == errors
    result = await configure_recipient(
        hass, result["flow_id"], {CONF_NAME: "Ana María", CONF_PHONE_NUMBER: "55 1234 5678"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    edited = entry.subentries[ana.subentry_id]
    assert (edited.title, dict(edited.data)) == (
        "Ana María",
        {CONF_NAME: "Ana María", CONF_PHONE_NUMBER: "+525512345678"},
    )
    # The entity keeps its id and now sends to the new number.
    await hass.services.async_call(
        "notify", "send_message", {"entity_id": entity_id, "message": "hola"}, blocking=True
    )
    assert gateways["smsmobileapi"].sent[-1].number == "+525512345678"
    # Another contact's number is refused, as when adding.
    result = await start_recipient_edit(hass, entry, ana.subentry_id)
    result = await configure_recipient(
        hass, result["flow_id"], {CONF_NAME: "Ana", CONF_PHONE_NUMBER: "+15557654321"}
    )
    assert result["reason"] == "already_configured"
