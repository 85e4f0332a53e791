"""Receiving by polling: inbound SMS, delivery reports, balance; exactly once, never lost."""

from __future__ import annotations

from datetime import timedelta
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util, slugify
import pytest
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.sms_gateways.const import (
    DOMAIN,
    EVENT_DELIVERY_REPORT,
    EVENT_MESSAGE_RECEIVED,
)
from custom_components.sms_gateways.inbox import storage_key
from tests.common import FakeGateways, mock_entry, setup_entry
from tests.fakes.base import Fault

POLLING = ("duanxintong", "smsmobileapi", "itniotech")
SENDERS = {
    "duanxintong": "13798361236",
    "smsmobileapi": "+15559876543",
    "itniotech": "+918563214199",
}


async def tick(hass: HomeAssistant, seconds: int = 61) -> None:
    """Let one scan interval pass."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=seconds))
    # Coordinators refresh in background tasks.
    await hass.async_block_till_done(wait_background_tasks=True)


def entity(entry_title: str, suffix: str) -> str:
    return f"{slugify(entry_title)}_{suffix}"


@pytest.mark.parametrize("provider", POLLING)
async def test_inbound_poll_fires_once(
    hass: HomeAssistant, gateways: FakeGateways, provider: str
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, provider))
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    message_id = gateways[provider].queue_inbound(SENDERS[provider], "HEAT ON")
    await tick(hass)
    (event,) = events
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, entry.entry_id)})
    assert device is not None
    assert event.data["config_entry_id"] == entry.entry_id
    assert event.data["device_id"] == device.id
    assert event.data["provider"] == provider
    assert event.data["sender"].lstrip("+") == SENDERS[provider].lstrip("+")
    assert event.data["message"] == "HEAT ON"
    assert event.data["message_id"] == message_id
    assert event.data["source"] == "poll"
    assert dt_util.parse_datetime(event.data["received_at"]) is not None
    state = hass.states.get(f"event.{entity(entry.title, 'incoming_sms')}")
    assert state is not None
    assert state.attributes["event_type"] == "message_received"
    assert state.attributes["message"] == "HEAT ON"
    # Seen again on later polls (SMSMobileAPI and Itniotech keep their logs): still once.
    await tick(hass, 122)
    await tick(hass, 183)
    assert len(events) == 1


async def test_duanxintong_comma_form_and_chinese(
    hass: HomeAssistant, gateways: FakeGateways
) -> None:
    await setup_entry(hass, mock_entry(gateways, "duanxintong"))
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    gateways["duanxintong"].queue_inbound("13798361236", "我回复一条", comma_form=True)
    await tick(hass)
    assert [e.data["message"] for e in events] == ["我回复一条"]


async def test_enviosms_does_not_poll_what_it_lacks(
    hass: HomeAssistant, gateways: FakeGateways
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "enviosms"))
    assert entry.runtime_data.inbox_coordinator is None
    before = len(gateways["enviosms"].state.requests)
    await tick(hass)
    paths = [r.path for r in gateways["enviosms"].state.requests[before:]]
    # Only the balance: sign-in and the user record, nothing else.
    assert paths
    assert all(p.startswith(("/enviosms/auth/", "/enviosms/user/")) for p in paths)


async def test_polling_can_be_turned_off(hass: HomeAssistant, gateways: FakeGateways) -> None:
    await setup_entry(hass, mock_entry(gateways, "smsmobileapi", options={"poll_inbound": False}))
    fake = gateways["smsmobileapi"]
    before = len(fake.state.requests)
    await tick(hass)
    assert all("/getsms" not in r.path for r in fake.state.requests[before:])


@pytest.mark.parametrize(
    ("provider", "status", "expected"),
    [
        ("duanxintong", None, "delivered"),
        ("itniotech", 1, "failed"),
        ("smsmobileapi", "delivered", "delivered"),
    ],
)
async def test_delivery_reports(
    hass: HomeAssistant,
    gateways: FakeGateways,
    provider: str,
    status: object,
    expected: str,
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, provider))
    reports = async_capture_events(hass, EVENT_DELIVERY_REPORT)
    number = {"duanxintong": "13512345678", "itniotech": "+918563214123",
              "smsmobileapi": "+15551234567"}[provider]  # fmt: skip
    response = await hass.services.async_call(
        DOMAIN,
        "send_sms",
        {"config_entry_id": entry.entry_id, "recipients": [number], "message": "hi"},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    (message_id,) = response["message_ids"].values()
    sensor = f"sensor.{entity(entry.title, 'last_delivery_status')}"
    assert hass.states.get(sensor).state == "sent"
    if provider != "duanxintong":  # 112088 reports by itself after a send
        gateways[provider].queue_report(message_id, number, status)
    await tick(hass)
    (report,) = reports
    assert report.data["message_id"] == message_id
    assert report.data["status"] == expected
    assert report.data["config_entry_id"] == entry.entry_id
    state = hass.states.get(sensor)
    assert state is not None
    assert state.state == expected
    assert state.attributes["message_id"] == message_id
    # A final report ends the wait: the next poll does not ask for it again, nor fire it again.
    assert message_id not in entry.runtime_data.tracker.pending
    await tick(hass, 122)
    assert len(reports) == 1


@pytest.mark.parametrize(("provider", "value", "unit"), [
    ("enviosms", 100.0, "MXN"), ("duanxintong", 1000, "messages"), ("itniotech", 99.99, "USD"),
])  # fmt: skip
async def test_balance_sensor(
    hass: HomeAssistant, gateways: FakeGateways, provider: str, value: float, unit: str
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, provider))
    sensor = f"sensor.{entity(entry.title, 'balance')}"
    state = hass.states.get(sensor)
    assert state is not None
    assert float(state.state) == value
    assert state.attributes["unit_of_measurement"] == unit
    gateways[provider].balance = 5
    await tick(hass)
    assert float(hass.states.get(sensor).state) == 5


async def test_no_balance_sensor_for_the_phone(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "smsmobileapi"))
    assert hass.states.get(f"sensor.{entity(entry.title, 'balance')}") is None


async def test_unavailable_then_recovers(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "duanxintong"))
    balance = f"sensor.{entity(entry.title, 'balance')}"
    status = f"sensor.{entity(entry.title, 'last_delivery_status')}"
    gateways["duanxintong"].set_fault(Fault.HTTP_500)
    await tick(hass)
    assert hass.states.get(balance).state == STATE_UNAVAILABLE
    assert hass.states.get(status).state == STATE_UNAVAILABLE
    gateways["duanxintong"].set_fault(Fault.NONE)
    await tick(hass, 122)
    assert float(hass.states.get(balance).state) == 1000
    assert hass.states.get(status).state != STATE_UNAVAILABLE


async def test_rejected_credentials_while_polling(
    hass: HomeAssistant, gateways: FakeGateways
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "itniotech"))
    gateways["itniotech"].set_fault(Fault.AUTH)
    await tick(hass)
    flows = hass.config_entries.flow.async_progress()
    assert [(f["context"]["source"], f["context"]["entry_id"]) for f in flows] == [
        ("reauth", entry.entry_id)
    ]


async def test_dedupe_across_restart(
    hass: HomeAssistant, gateways: FakeGateways, hass_storage: dict[str, object]
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "smsmobileapi"))
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    gateways["smsmobileapi"].queue_inbound("+15559876543", "once")
    await tick(hass)
    assert len(events) == 1
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert storage_key(entry.entry_id) in hass_storage
    # The phone still lists the message; after the restart it is polled again, not fired again.
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await tick(hass)
    assert len(events) == 1


async def test_never_lost_when_firing_is_interrupted(
    hass: HomeAssistant, gateways: FakeGateways, hass_storage: dict[str, object]
) -> None:
    """112088 forgets what it handed out: what a poll fetched is on disk before events fire."""
    entry = await setup_entry(hass, mock_entry(gateways, "duanxintong"))
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    gateways["duanxintong"].queue_inbound("13798361236", "不要丢")
    # Home Assistant stops between saving and firing (the events never go out).
    with patch("custom_components.sms_gateways.inbox.Inbox._fire_pending"):
        await tick(hass)
    assert events == []
    stored = hass_storage[storage_key(entry.entry_id)]["data"]
    assert [p["text"] for p in stored["pending"]] == ["不要丢"]
    # The provider will not hand it out again ...
    assert gateways["duanxintong"].inbound == type(gateways["duanxintong"].inbound)()
    # ... and the next start fires it from disk, once.
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await tick(hass)
    assert [e.data["message"] for e in events] == ["不要丢"]


async def test_first_poll_skips_old_messages(hass: HomeAssistant, gateways: FakeGateways) -> None:
    fake = gateways["smsmobileapi"]
    fake.queue_inbound(
        "+15559876543", "last week", received_at=dt_util.utcnow().timestamp() - 7 * 86400
    )
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    await setup_entry(hass, mock_entry(gateways, "smsmobileapi"))
    await tick(hass)
    assert events == []


async def test_automation_on_event_entity(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "itniotech"))
    event_entity = f"event.{entity(entry.title, 'incoming_sms')}"
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "triggers": {"trigger": "state", "entity_id": event_entity},
                "conditions": {
                    "condition": "template",
                    "value_template": "{{ trigger.to_state.attributes.message == 'HEAT ON' }}",
                },
                "actions": {"event": "heater_on"},
            }
        },
    )
    fired = async_capture_events(hass, "heater_on")
    gateways["itniotech"].queue_inbound("+918563214199", "HEAT ON")
    await tick(hass)
    assert len(fired) == 1


async def test_low_balance_issue(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = await setup_entry(
        hass, mock_entry(gateways, "itniotech", options={"balance_threshold": 50})
    )
    registry = ir.async_get(hass)
    issue_id = f"low_balance_{entry.entry_id}"
    assert registry.async_get_issue(DOMAIN, issue_id) is None
    gateways["itniotech"].balance = 10
    await tick(hass)
    issue = registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "low_balance"
    assert issue.translation_placeholders["unit"] == "USD"
    gateways["itniotech"].balance = 80
    await tick(hass, 122)
    assert registry.async_get_issue(DOMAIN, issue_id) is None


async def test_unload_stops_polling(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "duanxintong"))
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    before = len(gateways["duanxintong"].state.requests)
    await tick(hass, 600)
    assert len(gateways["duanxintong"].state.requests) == before
