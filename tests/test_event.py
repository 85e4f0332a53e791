"""The `incoming_sms` event entity, and automations on it and on the bus event."""

from __future__ import annotations

from typing import Any

from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util, slugify
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from tests.common import FakeGateways, mock_entry, setup_entry, tick


def event_entity(title: str) -> str:
    return f"event.{slugify(title)}_incoming_sms"


async def test_every_entry_has_the_event_entity(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    entry = init_integration
    state = hass.states.get(event_entity(entry.title))
    assert state is not None
    assert state.state == STATE_UNKNOWN
    assert state.attributes["event_types"] == ["message_received"]
    registered = er.async_get(hass).async_get(event_entity(entry.title))
    assert registered.translation_key == "incoming_sms"
    assert registered.unique_id == f"{entry.entry_id}_incoming_sms"


async def test_event_entity_carries_the_message(
    hass: HomeAssistant, gateways: FakeGateways
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "duanxintong"))
    message_id = gateways["duanxintong"].queue_inbound("13798361236", "HEAT ON")
    await tick(hass)
    state = hass.states.get(event_entity(entry.title))
    assert dt_util.parse_datetime(state.state) is not None
    assert state.attributes["event_type"] == "message_received"
    # 112088 writes mainland numbers without the country code; automations match E.164.
    assert state.attributes["sender"] == "+8613798361236"
    assert state.attributes["message"] == "HEAT ON"
    assert state.attributes["message_id"] == message_id
    assert state.attributes["source"] == "poll"
    assert state.attributes["channel"] == "sms"
    assert dt_util.parse_datetime(state.attributes["received_at"]) is not None


async def _automation(hass: HomeAssistant, trigger: dict[str, Any], condition: str) -> list[Any]:
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "triggers": trigger,
                "conditions": {"condition": "template", "value_template": condition},
                "actions": {"event": "heater_on"},
            }
        },
    )
    return async_capture_events(hass, "heater_on")


async def test_automation_on_the_event_entity(hass: HomeAssistant, gateways: FakeGateways) -> None:
    """When an SMS saying HEAT ON arrives, turn on the heater" — once per message."""
    entry = await setup_entry(hass, mock_entry(gateways, "itniotech"))
    fired = await _automation(
        hass,
        {"trigger": "state", "entity_id": event_entity(entry.title)},
        "{{ trigger.to_state.attributes.message == 'HEAT ON' }}",
    )
    gateways["itniotech"].queue_inbound("+918563214199", "HEAT ON")
    await tick(hass)
    assert len(fired) == 1
    gateways["itniotech"].queue_inbound("+918563214199", "hello")
    await tick(hass, 122)
    await tick(hass, 183)
    assert len(fired) == 1
    # The same words in another message are news: the heater goes on again.
    gateways["itniotech"].queue_inbound(
        "+918563214199", "HEAT ON", when=dt_util.utcnow().timestamp() - 30
    )
    await tick(hass, 244)
    assert len(fired) == 2


async def test_automation_on_the_bus_event(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "duanxintong"))
    fired = await _automation(
        hass,
        {
            "trigger": "event",
            "event_type": "sms_gateways_message_received",
            "event_data": {"config_entry_id": entry.entry_id},
        },
        "{{ trigger.event.data.message | upper == 'HEAT ON' }}",
    )
    gateways["duanxintong"].queue_inbound("13798361236", "heat on")
    gateways["duanxintong"].queue_inbound("13798361236", "something else")
    await tick(hass)
    assert len(fired) == 1


async def test_event_entity_is_one_per_entry(hass: HomeAssistant, gateways: FakeGateways) -> None:
    first = await setup_entry(hass, mock_entry(gateways, "duanxintong"))
    second = await setup_entry(hass, mock_entry(gateways, "itniotech"))
    gateways["itniotech"].queue_inbound("+918563214199", "for the second")
    await tick(hass)
    assert hass.states.get(event_entity(first.title)).state == STATE_UNKNOWN
    assert hass.states.get(event_entity(second.title)).attributes["message"] == "for the second"
