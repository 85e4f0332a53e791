"""The sensors: balance (with its repair issue) and the last delivery status."""

from __future__ import annotations

from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util, slugify
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_gateways.const import DOMAIN
from tests.common import FakeGateways, mock_entry, setup_entry, tick
from tests.fakes.base import Fault


def sensor(title: str, key: str) -> str:
    return f"sensor.{slugify(title)}_{key}"


@pytest.mark.parametrize(
    ("provider", "expected"),
    [
        ("enviosms", (100.0, "MXN", SensorDeviceClass.MONETARY, SensorStateClass.TOTAL)),
        ("duanxintong", (1000, "messages", None, SensorStateClass.MEASUREMENT)),
        ("itniotech", (99.99, "USD", SensorDeviceClass.MONETARY, SensorStateClass.TOTAL)),
    ],
)
async def test_balance_sensor(
    hass: HomeAssistant,
    gateways: FakeGateways,
    init_integration: MockConfigEntry,
    provider: str,
    expected: tuple[float, str, SensorDeviceClass | None, SensorStateClass],
) -> None:
    value, unit, device_class, state_class = expected
    entry = init_integration
    entity_id = sensor(entry.title, "balance")
    state = hass.states.get(entity_id)
    assert state is not None
    assert float(state.state) == value
    assert state.attributes["unit_of_measurement"] == unit
    assert state.attributes.get("device_class") == device_class
    assert state.attributes["state_class"] == state_class
    gateways[provider].balance = 5
    # The balance is polled every 15 minutes, not at every inbox poll.
    await tick(hass)
    assert float(hass.states.get(entity_id).state) == value
    await tick(hass, 901)
    assert float(hass.states.get(entity_id).state) == 5


async def test_no_balance_sensor_for_the_phone(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "smsmobileapi"))
    assert hass.states.get(sensor(entry.title, "balance")) is None
    assert hass.states.get(sensor(entry.title, "last_delivery_status")) is not None


async def test_unavailable_then_recovers(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "duanxintong"))
    balance = sensor(entry.title, "balance")
    status = sensor(entry.title, "last_delivery_status")
    gateways["duanxintong"].set_fault(Fault.HTTP_500)
    await tick(hass, 901)
    assert hass.states.get(balance).state == STATE_UNAVAILABLE
    assert hass.states.get(status).state == STATE_UNAVAILABLE
    # A time-out is temporary too.
    gateways["duanxintong"].set_fault(Fault.DROP)
    await tick(hass, 1802)
    assert hass.states.get(balance).state == STATE_UNAVAILABLE
    gateways["duanxintong"].set_fault(Fault.NONE)
    await tick(hass, 2703)
    assert float(hass.states.get(balance).state) == 1000
    assert hass.states.get(status).state != STATE_UNAVAILABLE


async def test_last_delivery_status(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "itniotech"))
    entity_id = sensor(entry.title, "last_delivery_status")
    state = hass.states.get(entity_id)
    assert state.state == STATE_UNKNOWN
    assert state.attributes["device_class"] == SensorDeviceClass.ENUM
    assert state.attributes["options"] == ["pending", "sent", "delivered", "failed", "rejected"]
    gateways["itniotech"].auto_report = False
    response = await hass.services.async_call(
        DOMAIN, "send_sms",
        {"config_entry_id": entry.entry_id, "recipients": ["+918563214123"], "message": "hi"},
        blocking=True, return_response=True,
    )  # fmt: skip
    (message_id,) = response["message_ids"].values()
    state = hass.states.get(entity_id)
    assert state.state == "sent"
    assert state.attributes["message_id"] == message_id
    assert state.attributes["recipient"].endswith("8563214123")
    assert dt_util.parse_datetime(state.attributes["updated_at"]) is not None
    gateways["itniotech"].queue_report(message_id, "918563214123", 0)
    await tick(hass)
    assert hass.states.get(entity_id).state == "delivered"


async def test_last_delivery_status_survives_a_restart(
    hass: HomeAssistant, gateways: FakeGateways
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "itniotech"))
    gateways["itniotech"].auto_report = False
    entity_id = sensor(entry.title, "last_delivery_status")
    response = await hass.services.async_call(
        DOMAIN, "send_sms",
        {"config_entry_id": entry.entry_id, "recipients": ["+918563214123"], "message": "hi"},
        blocking=True, return_response=True,
    )  # fmt: skip
    (message_id,) = response["message_ids"].values()
    assert hass.states.get(entity_id).state == "sent"
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    state = hass.states.get(entity_id)
    assert state.state == "sent"
    assert state.attributes["message_id"] == message_id
    # The message still waits for its report, and gets it after the restart.
    gateways["itniotech"].queue_report(message_id, "918563214123", 0)
    await tick(hass)
    assert hass.states.get(entity_id).state == "delivered"


async def test_low_balance_issue(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = await setup_entry(
        hass, mock_entry(gateways, "itniotech", options={"balance_threshold": 50})
    )
    registry = ir.async_get(hass)
    issue_id = f"low_balance_{entry.entry_id}"
    assert registry.async_get_issue(DOMAIN, issue_id) is None
    gateways["itniotech"].balance = 10
    await tick(hass, 901)
    issue = registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "low_balance"
    assert issue.severity is ir.IssueSeverity.WARNING
    assert not issue.is_fixable
    assert issue.translation_placeholders["unit"] == "USD"
    assert issue.translation_placeholders["balance"] == "10"
    assert issue.translation_placeholders["threshold"] == "50"
    gateways["itniotech"].balance = 80
    await tick(hass, 1802)
    assert registry.async_get_issue(DOMAIN, issue_id) is None


async def test_no_low_balance_issue_without_threshold(
    hass: HomeAssistant, gateways: FakeGateways
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "duanxintong"))
    gateways["duanxintong"].balance = 0
    await tick(hass)
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"low_balance_{entry.entry_id}") is None


async def test_low_balance_in_messages_has_its_own_words(
    hass: HomeAssistant, gateways: FakeGateways
) -> None:
    # 112088 counts its balance in messages: the unit is part of each language's text, never an
    # English word passed into a translation.
    entry = await setup_entry(
        hass, mock_entry(gateways, "duanxintong", options={"balance_threshold": 500})
    )
    gateways["duanxintong"].balance = 10
    await tick(hass, 901)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"low_balance_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_key == "low_balance_messages"
    assert "unit" not in issue.translation_placeholders
    assert issue.translation_placeholders["balance"] == "10"
