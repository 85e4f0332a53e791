"""What polling costs: requests per endpoint per hour, counted where the fakes receive them.

The balance changes with sends (and bought credit), not by the minute: it is asked every 15
minutes and once shortly after sends, while inbound messages and delivery reports keep the user's
`scan_interval` (Home Assistant's quality-scale rule `appropriate-polling`).
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.sms_gateways.const import DOMAIN
from custom_components.sms_gateways.coordinator import (
    BALANCE_AFTER_SEND_DELAY,
    BALANCE_INTERVAL,
)
from custom_components.sms_gateways.diagnostics import async_get_config_entry_diagnostics
from tests.common import NUMBERS, FakeGateways, mock_entry, setup_entry

# Each provider's endpoints (the path's first segment under the fake's root).
BALANCE = {
    "enviosms": "user",
    "duanxintong": "Get_Account_Balance.asp",
    "itniotech": "getBalance",
}
INBOUND = {
    "duanxintong": "get_receive_message_txt.asp",
    "smsmobileapi": "getsms",
    "itniotech": "recordMo",
}
REPORTS = {
    "duanxintong": "get_report_txt.asp",
    "smsmobileapi": "log",
    "itniotech": "getReport",
}
HOURS = 3


def endpoint(path: str) -> str:
    """Return the first segment of a recorded path under the fake's `/<provider>` prefix."""
    return path.split("/")[2]


def received(gateways: FakeGateways, provider: str) -> Counter[str]:
    """Count the requests the provider's fake has received, by endpoint."""
    return Counter(endpoint(r.path) for r in gateways[provider].state.requests)


async def advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, duration: timedelta, step: timedelta
) -> None:
    """Let `duration` pass in steps of `step`, running whatever falls due in each."""
    elapsed = timedelta()
    while elapsed < duration:
        freezer.tick(step)
        elapsed += step
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)


async def send(hass: HomeAssistant, entry_id: str, number: str) -> None:
    """Send one SMS through the `sms_gateways.send_sms` action."""
    await hass.services.async_call(
        DOMAIN,
        "send_sms",
        {"config_entry_id": entry_id, "recipients": [number], "message": "hi"},
        blocking=True,
    )


@pytest.mark.parametrize("provider", ["enviosms", "duanxintong", "smsmobileapi", "itniotech"])
async def test_requests_per_hour_at_the_defaults(
    hass: HomeAssistant,
    gateways: FakeGateways,
    freezer: FrozenDateTimeFactory,
    provider: str,
) -> None:
    """The balance is asked 4 times an hour, not 60; inbound and reports once a minute."""
    entry = await setup_entry(hass, mock_entry(gateways, provider))
    at_start = received(gateways, provider)
    await advance(hass, freezer, timedelta(hours=HOURS), timedelta(minutes=1))
    polled = received(gateways, provider) - at_start
    expected: Counter[str] = Counter()
    if provider in BALANCE:
        expected[BALANCE[provider]] = 4 * HOURS
    if provider in INBOUND:
        expected[INBOUND[provider]] = 60 * HOURS
    if provider == "duanxintong":
        # 112088 lists new reports whatever was sent; the others look pending ids up (none).
        expected[REPORTS[provider]] = 60 * HOURS
    assert polled == expected
    # The gateway counts what the fake received, by the same endpoint names.
    assert entry.runtime_data.gateway.requests.counts == received(gateways, provider)
    # Called directly: the HTTP view's access token would have expired hours ago.
    diagnostics: dict[str, Any] = await async_get_config_entry_diagnostics(hass, entry)
    traffic = diagnostics["traffic"]
    assert traffic["counted_hours"] == HOURS
    assert traffic["requests"] == dict(received(gateways, provider))
    # Start-up (credentials check, first polls) included, averaged over the hours counted.
    assert traffic["requests_per_hour"] == {
        name: round(count / HOURS, 2) for name, count in received(gateways, provider).items()
    }
    if provider in BALANCE:
        assert traffic["requests_per_hour"][BALANCE[provider]] < 5


@pytest.mark.parametrize("provider", ["duanxintong", "itniotech"])
async def test_a_longer_scan_interval_also_slows_the_balance(
    hass: HomeAssistant, gateways: FakeGateways, freezer: FrozenDateTimeFactory, provider: str
) -> None:
    """Beyond 15 minutes, the balance is asked at the user's own interval, not more often."""
    entry = await setup_entry(hass, mock_entry(gateways, provider, options={"scan_interval": 1800}))
    runtime = entry.runtime_data
    assert runtime.balance_coordinator is not None
    assert runtime.inbox_coordinator is not None
    assert runtime.balance_coordinator.update_interval == timedelta(minutes=30)
    assert runtime.inbox_coordinator.update_interval == timedelta(minutes=30)
    at_start = received(gateways, provider)
    await advance(hass, freezer, timedelta(hours=HOURS), timedelta(minutes=5))
    polled = received(gateways, provider) - at_start
    assert polled[BALANCE[provider]] == 2 * HOURS
    assert polled[INBOUND[provider]] == 2 * HOURS


async def test_a_short_scan_interval_leaves_the_balance_at_15_minutes(
    hass: HomeAssistant, gateways: FakeGateways, freezer: FrozenDateTimeFactory
) -> None:
    entry = await setup_entry(
        hass, mock_entry(gateways, "duanxintong", options={"scan_interval": 15})
    )
    runtime = entry.runtime_data
    assert runtime.balance_coordinator is not None
    assert runtime.balance_coordinator.update_interval == BALANCE_INTERVAL
    at_start = received(gateways, "duanxintong")
    await advance(hass, freezer, timedelta(hours=1), timedelta(seconds=15))
    polled = received(gateways, "duanxintong") - at_start
    assert polled[BALANCE["duanxintong"]] == 4
    assert polled[INBOUND["duanxintong"]] == 240


async def test_one_balance_request_after_a_burst_of_sends(
    hass: HomeAssistant, gateways: FakeGateways, freezer: FrozenDateTimeFactory
) -> None:
    """Sends are followed by one balance request, `BALANCE_AFTER_SEND_DELAY` later."""
    entry = await setup_entry(hass, mock_entry(gateways, "itniotech"))
    coordinator = entry.runtime_data.balance_coordinator
    assert coordinator is not None
    fake = gateways["itniotech"]
    at_start = received(gateways, "itniotech")
    fake.balance = 42
    for _ in range(5):
        coordinator.async_schedule_refresh_after_send()
    await advance(
        hass, freezer, timedelta(seconds=BALANCE_AFTER_SEND_DELAY - 1), timedelta(seconds=1)
    )
    assert (received(gateways, "itniotech") - at_start)["getBalance"] == 0
    await advance(hass, freezer, timedelta(seconds=2), timedelta(seconds=1))
    assert (received(gateways, "itniotech") - at_start)["getBalance"] == 1
    assert coordinator.data.value == 42
    # The refresh restarted the 15 minutes; nothing more until they are over.
    await advance(hass, freezer, timedelta(minutes=14), timedelta(minutes=1))
    assert (received(gateways, "itniotech") - at_start)["getBalance"] == 1
    await advance(hass, freezer, timedelta(minutes=1), timedelta(minutes=1))
    assert (received(gateways, "itniotech") - at_start)["getBalance"] == 2


async def test_no_balance_request_after_unload(
    hass: HomeAssistant, gateways: FakeGateways, freezer: FrozenDateTimeFactory
) -> None:
    """A send finishing while the entry unloads does not start a request afterwards."""
    entry = await setup_entry(hass, mock_entry(gateways, "duanxintong"))
    coordinator = entry.runtime_data.balance_coordinator
    assert coordinator is not None
    coordinator.async_schedule_refresh_after_send()
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    before = len(gateways["duanxintong"].state.requests)
    coordinator.async_schedule_refresh_after_send()
    await advance(hass, freezer, timedelta(minutes=20), timedelta(seconds=5))
    assert len(gateways["duanxintong"].state.requests) == before


@pytest.mark.parametrize("provider", ["enviosms", "duanxintong", "itniotech"])
async def test_send_sms_action_refreshes_the_balance_once(
    hass: HomeAssistant, gateways: FakeGateways, freezer: FrozenDateTimeFactory, provider: str
) -> None:
    """Three sends through `sms_gateways.send_sms` in a row: one balance request after them."""
    entry = await setup_entry(hass, mock_entry(gateways, provider))
    at_start = received(gateways, provider)
    for _ in range(3):
        await send(hass, entry.entry_id, NUMBERS[provider])
    # Not at once: the delay lets a burst share the request.
    assert (received(gateways, provider) - at_start)[BALANCE[provider]] == 0
    await advance(
        hass, freezer, timedelta(seconds=BALANCE_AFTER_SEND_DELAY + 1), timedelta(seconds=1)
    )
    assert (received(gateways, provider) - at_start)[BALANCE[provider]] == 1
