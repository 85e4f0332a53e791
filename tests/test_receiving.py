"""Receiving by polling: inbound SMS and delivery reports; exactly once, never lost."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STARTED
from homeassistant.core import CoreState, Event, HomeAssistant, callback
from homeassistant.util import dt as dt_util, slugify
from homeassistant.util.file import WriteError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.sms_gateways.const import (
    DOMAIN,
    EVENT_DELIVERY_REPORT,
    EVENT_MESSAGE_RECEIVED,
)
from custom_components.sms_gateways.inbox import storage_key
from tests.common import (
    FakeGateways,
    entry_device,
    json_text,
    mock_entry,
    on_disk,
    setup_entry,
    tick,
)
from tests.fakes.base import Fault

POLLING = ("duanxintong", "smsmobileapi", "itniotech")
SENDERS = {
    "duanxintong": "13798361236",
    "smsmobileapi": "+15559876543",
    "itniotech": "+918563214199",
}
OTHER_SENDERS = {
    "duanxintong": "13798361237",
    "smsmobileapi": "+15559876544",
    "itniotech": "+918563214198",
}
# What the event says: E.164 whatever form the provider gave the number in (SPEC).
E164 = {
    "duanxintong": "+8613798361236",
    "smsmobileapi": "+15559876543",
    "itniotech": "+918563214199",
}


def entity(entry_title: str, suffix: str) -> str:
    return f"{slugify(entry_title)}_{suffix}"


async def restart(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Unload and set the entry up again: what it kept is what was written to storage."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


@pytest.mark.parametrize("provider", POLLING)
async def test_inbound_poll_fires_once(
    hass: HomeAssistant, gateways: FakeGateways, provider: str
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, provider))
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    message_id = gateways[provider].queue_inbound(SENDERS[provider], "HEAT ON")
    await tick(hass)
    (event,) = events
    device = entry_device(hass, entry)
    assert device is not None
    assert event.data["config_entry_id"] == entry.entry_id
    assert event.data["device_id"] == device.id
    assert event.data["provider"] == provider
    assert event.data["sender"] == E164[provider]
    assert event.data["message"] == "HEAT ON"
    assert event.data["message_id"] == message_id
    assert event.data["source"] == "poll"
    assert event.data["channel"] == "sms"
    assert dt_util.parse_datetime(event.data["received_at"]) is not None
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


async def test_several_messages_in_one_poll_fire_in_order(
    hass: HomeAssistant, gateways: FakeGateways
) -> None:
    await setup_entry(hass, mock_entry(gateways, "duanxintong"))
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    for text in ("one", "two", "three"):
        gateways["duanxintong"].queue_inbound("13798361236", text)
    await tick(hass)
    assert [e.data["message"] for e in events] == ["one", "two", "three"]


async def test_within_one_scan_interval(hass: HomeAssistant, gateways: FakeGateways) -> None:
    await setup_entry(hass, mock_entry(gateways, "itniotech", options={"scan_interval": 30}))
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    gateways["itniotech"].queue_inbound("+918563214199", "quick")
    await tick(hass, 31)
    assert [e.data["message"] for e in events] == ["quick"]


async def test_enviosms_does_not_poll_what_it_lacks(
    hass: HomeAssistant, gateways: FakeGateways
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "enviosms"))
    assert entry.runtime_data.inbox_coordinator is None
    before = len(gateways["enviosms"].state.requests)
    await tick(hass)
    # Nothing to poll at the scan interval: the balance waits its 15 minutes.
    assert len(gateways["enviosms"].state.requests) == before
    await tick(hass, 901)
    paths = [r.path for r in gateways["enviosms"].state.requests[before:]]
    # Only the balance: sign-in and the user record, nothing else.
    assert paths
    assert all(p.startswith(("/enviosms/auth/", "/enviosms/user/")) for p in paths)


async def test_one_request_per_endpoint_per_interval(
    hass: HomeAssistant, gateways: FakeGateways
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "itniotech"))
    fake = gateways["itniotech"]
    await hass.services.async_call(
        DOMAIN, "send_sms",
        {"config_entry_id": entry.entry_id, "recipients": ["+918563214123"], "message": "hi"},
        blocking=True, return_response=True,
    )  # fmt: skip
    before = len(fake.state.requests)
    await tick(hass)
    paths = sorted(r.path.rsplit("/", 1)[1] for r in fake.state.requests[before:])
    # The balance once, 10 s after the send; inbound and reports at the scan interval.
    assert paths == ["getBalance", "getReport", "recordMo"]
    # The report came (the fake reports every send): nothing waits, so reports are not asked;
    # the balance waits its 15 minutes.
    before = len(fake.state.requests)
    await tick(hass, 122)
    paths = sorted(r.path.rsplit("/", 1)[1] for r in fake.state.requests[before:])
    assert paths == ["recordMo"]
    before = len(fake.state.requests)
    await tick(hass, 901)
    paths = sorted(r.path.rsplit("/", 1)[1] for r in fake.state.requests[before:])
    assert paths == ["getBalance", "recordMo"]


async def test_polling_can_be_turned_off(hass: HomeAssistant, gateways: FakeGateways) -> None:
    await setup_entry(hass, mock_entry(gateways, "smsmobileapi", options={"poll_inbound": False}))
    fake = gateways["smsmobileapi"]
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    fake.queue_inbound("+15559876543", "not polled")
    before = len(fake.state.requests)
    await tick(hass)
    assert all("/getsms" not in r.path for r in fake.state.requests[before:])
    assert events == []


@pytest.mark.parametrize(
    ("provider", "status", "expected"),
    [
        ("duanxintong", None, "delivered"),
        ("itniotech", 1, "failed"),
        ("smsmobileapi", "delivered", "delivered"),
        ("smsmobileapi", "failed", "failed"),
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
    device = entry_device(hass, entry)
    assert report.data == {
        "config_entry_id": entry.entry_id,
        "device_id": device.id,
        "provider": provider,
        "message_id": message_id,
        "recipient": report.data["recipient"],
        "status": expected,
    }
    assert report.data["recipient"].lstrip("+").endswith(number.lstrip("+")[-8:])
    state = hass.states.get(sensor)
    assert state is not None
    assert state.state == expected
    assert state.attributes["message_id"] == message_id
    # A final report ends the wait: the next poll does not ask for it again, nor fire it again.
    await tick(hass, 122)
    assert len(reports) == 1


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
    hass: HomeAssistant, gateways: FakeGateways, hass_storage: dict[str, Any]
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "smsmobileapi"))
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    gateways["smsmobileapi"].queue_inbound("+15559876543", "once")
    await tick(hass)
    assert len(events) == 1
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    # Written by the unload itself, not a second later.
    assert storage_key(entry.entry_id) in hass_storage
    # The phone still lists the message; after the restart it is polled again, not fired again.
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await tick(hass)
    assert len(events) == 1


async def test_saved_before_it_fires(
    hass: HomeAssistant, gateways: FakeGateways, hass_storage: dict[str, Any]
) -> None:
    """Write-ahead: when an event fires, the disk already says it fired (a crash cannot repeat it)."""
    entry = await setup_entry(hass, mock_entry(gateways, "duanxintong"))
    on_disk_at_fire: list[tuple[bool, list[str]]] = []

    @callback
    def listener(event: Event[Any]) -> None:
        disk = on_disk(hass_storage, entry)
        # Recorded as fired (by its id), no longer waiting (its text).
        on_disk_at_fire.append(
            (json_text(event.data["message_id"]) in disk, json_text(event.data["message"]) in disk)
        )

    hass.bus.async_listen(EVENT_MESSAGE_RECEIVED, listener)
    gateways["duanxintong"].queue_inbound("13798361236", "不要丢")
    await tick(hass)
    assert on_disk_at_fire == [(True, False)]


async def test_restart_between_fetch_and_fire_loses_nothing(
    hass: HomeAssistant, gateways: FakeGateways, hass_storage: dict[str, Any]
) -> None:
    """Home Assistant stops after a poll fetched a message and before its event could fire."""
    fake = gateways["duanxintong"]
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    entry = mock_entry(gateways, "duanxintong")
    fake.queue_inbound("13798361236", "不要丢")
    # Still starting: the first poll fetches it, automations are not listening yet.
    hass.set_state(CoreState.starting)
    await setup_entry(hass, entry)
    assert not fake.inbound  # the provider has handed it out, and forgotten it
    assert events == []
    assert json_text("不要丢") in on_disk(hass_storage, entry)
    # ... and stops. The next start fires it from disk, once.
    await restart(hass, entry)
    assert events == []
    hass.set_state(CoreState.running)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    await hass.async_block_till_done()
    assert [e.data["message"] for e in events] == ["不要丢"]
    await restart(hass, entry)
    await tick(hass)
    assert len(events) == 1


async def test_failing_listener_loses_nothing(hass: HomeAssistant, gateways: FakeGateways) -> None:
    """An automation that breaks on one message does not stop the next ones."""
    entry = await setup_entry(hass, mock_entry(gateways, "duanxintong"))
    seen: list[str] = []

    @callback
    def broken(event: Event[Any]) -> None:
        seen.append(event.data["message"])
        if event.data["message"] == "first":
            raise RuntimeError("automation bug")

    hass.bus.async_listen(EVENT_MESSAGE_RECEIVED, broken)
    gateways["duanxintong"].queue_inbound("13798361236", "first")
    gateways["duanxintong"].queue_inbound("13798361236", "second")
    await tick(hass)
    assert seen == ["first", "second"]
    state = hass.states.get(f"event.{entity(entry.title, 'incoming_sms')}")
    assert state.attributes["message"] == "second"
    await tick(hass, 122)
    assert seen == ["first", "second"]


async def test_first_poll_skips_old_messages(hass: HomeAssistant, gateways: FakeGateways) -> None:
    fake = gateways["smsmobileapi"]
    fake.queue_inbound(
        "+15559876543", "last week", received_at=dt_util.utcnow().timestamp() - 7 * 86400
    )
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    await setup_entry(hass, mock_entry(gateways, "smsmobileapi"))
    await tick(hass)
    assert events == []


async def test_messages_that_arrived_while_down_are_fetched(
    hass: HomeAssistant, gateways: FakeGateways, freezer: FrozenDateTimeFactory
) -> None:
    fake = gateways["smsmobileapi"]
    entry = await setup_entry(hass, mock_entry(gateways, "smsmobileapi"))
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    # Down for an hour; a message came in half-way.
    fake.queue_inbound(
        "+15559876543", "while you were out", received_at=dt_util.utcnow().timestamp() + 1800
    )
    freezer.tick(timedelta(hours=1))
    assert await hass.config_entries.async_setup(entry.entry_id)
    # The first poll runs after setup.
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [e.data["message"] for e in events] == ["while you were out"]


async def test_unload_stops_polling(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "duanxintong"))
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    before = len(gateways["duanxintong"].state.requests)
    await tick(hass, 600)
    assert len(gateways["duanxintong"].state.requests) == before


async def test_poll_while_the_inbox_cannot_be_saved(
    hass: HomeAssistant, gateways: FakeGateways, caplog: pytest.LogCaptureFixture
) -> None:
    """112088 handed them out: kept, fired once a retry writes them; the poll does not fail."""
    entry = await setup_entry(hass, mock_entry(gateways, "duanxintong"))
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    gateways["duanxintong"].queue_inbound("13798361236", "磁盘满了")
    with patch(
        "homeassistant.helpers.storage.Store._async_write_data", side_effect=WriteError("full")
    ):
        await tick(hass)
        assert events == []
    assert "Unexpected error" not in caplog.text
    assert hass.states.get(f"sensor.{entity(entry.title, 'balance')}").state != "unavailable"
    await tick(hass, 75)  # the retry, 10 s after the failed write, writes them; then they fire
    assert [e.data["message"] for e in events] == ["磁盘满了"]


async def test_request_cut_by_shutdown_is_not_an_outage(
    hass: HomeAssistant, gateways: FakeGateways, caplog: pytest.LogCaptureFixture
) -> None:
    """Home Assistant closes its HTTP session while it stops: a poll in flight is not an error."""
    entry = await setup_entry(hass, mock_entry(gateways, "itniotech"))
    runtime = entry.runtime_data
    gateways["itniotech"].set_fault(Fault.DROP)
    hass.set_state(CoreState.stopping)
    for coordinator in (runtime.balance_coordinator, runtime.inbox_coordinator):
        await coordinator.async_refresh()
        assert coordinator.last_update_success
    assert "Error fetching" not in caplog.text
    # Running, the same failure is one.
    hass.set_state(CoreState.running)
    await runtime.balance_coordinator.async_refresh()
    assert not runtime.balance_coordinator.last_update_success


@pytest.mark.parametrize("provider", POLLING)
async def test_inbound_names_the_contact(
    hass: HomeAssistant, gateways: FakeGateways, provider: str
) -> None:
    # Saved in E.164; the provider writes the sender its own way (112088: no country code).
    entry = mock_entry(gateways, provider, recipients={"Ana": E164[provider]})
    entry = await setup_entry(hass, entry)
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    gateways[provider].queue_inbound(SENDERS[provider], "HEAT ON")
    gateways[provider].queue_inbound(OTHER_SENDERS[provider], "who is this")
    await tick(hass)
    assert [(e.data["contact"], e.data["message"]) for e in events] == [
        ("Ana", "HEAT ON"),
        (None, "who is this"),
    ]
    state = hass.states.get(f"event.{slugify(entry.title)}_incoming_sms")
    assert state.attributes["contact"] is None
