"""The spending guard: a daily limit of messages as billed, counted across restarts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util, slugify
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.sms_gateways.const import DOMAIN
from tests.common import FakeGateways, mock_entry, setup_entry

NUMBERS = ["+918563214123", "+918563214124", "+918563214125"]
# 161 GSM-7 characters: two segments, billed twice per recipient.
LONG = "x" * 161


async def send(hass: HomeAssistant, entry_id: str, recipients: list[str], message: str) -> Any:
    return await hass.services.async_call(
        DOMAIN,
        "send_sms",
        {"config_entry_id": entry_id, "recipients": recipients, "message": message},
        blocking=True,
        return_response=True,
    )


def sent_today(hass: HomeAssistant, title: str) -> int:
    return int(hass.states.get(f"sensor.{slugify(title)}_messages_sent_today").state)


def near_issue(hass: HomeAssistant, entry_id: str) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"daily_limit_near_{entry_id}")


@pytest.fixture
async def mexico(hass: HomeAssistant) -> None:
    await hass.config.async_set_time_zone("America/Mexico_City")


async def test_limit_refuses_before_anything_is_sent(
    hass: HomeAssistant, gateways: FakeGateways, mexico: None
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "itniotech", options={"daily_limit": 5}))
    fake = gateways["itniotech"]
    await send(hass, entry.entry_id, NUMBERS[:2], "hi")
    assert sent_today(hass, entry.title) == 2
    # Two recipients of a two-part message are four billed messages: 2 + 4 passes 5.
    with pytest.raises(ServiceValidationError) as err:
        await send(hass, entry.entry_id, NUMBERS[:2], LONG)
    assert err.value.translation_key == "daily_limit_reached"
    placeholders = err.value.translation_placeholders
    assert (placeholders["needed"], placeholders["limit"], placeholders["left"]) == ("4", "5", "3")
    # It says when the count starts again: the next midnight where the user lives.
    resets = datetime.fromisoformat(placeholders["resets"])
    assert (resets.hour, resets.minute) == (0, 0)
    assert resets.utcoffset() == dt_util.now().utcoffset()
    assert len(fake.sent) == 2
    assert sent_today(hass, entry.title) == 2
    assert near_issue(hass, entry.entry_id) is None
    # Two more reach 80 %: a repair issue warns before refusals begin.
    await send(hass, entry.entry_id, NUMBERS[2:], LONG)
    assert sent_today(hass, entry.title) == 4
    issue = near_issue(hass, entry.entry_id)
    assert issue is not None
    assert issue.translation_placeholders["limit"] == "5"


async def test_only_what_was_accepted_counts(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "itniotech", options={"daily_limit": 3}))
    gateways["itniotech"].refused_numbers.add(NUMBERS[1].lstrip("+"))
    response = await send(hass, entry.entry_id, NUMBERS, "hi")
    assert len(response["rejected"]) == 1
    assert sent_today(hass, entry.title) == 2
    # The third message of the day still fits.
    await send(hass, entry.entry_id, NUMBERS[:1], "hi")
    assert sent_today(hass, entry.title) == 3


async def test_count_survives_a_restart_and_resets_at_local_midnight(
    hass: HomeAssistant, gateways: FakeGateways, freezer: FrozenDateTimeFactory, mexico: None
) -> None:
    # 22:00 in Mexico City is 04:00 UTC the next day: "today" is the user's day, not UTC's.
    freezer.move_to(datetime(2026, 12, 1, 22, 0, tzinfo=dt_util.get_default_time_zone()))
    entry = await setup_entry(hass, mock_entry(gateways, "itniotech", options={"daily_limit": 4}))
    await send(hass, entry.entry_id, NUMBERS[:2], LONG)
    assert sent_today(hass, entry.title) == 4
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert sent_today(hass, entry.title) == 4
    with pytest.raises(ServiceValidationError):
        await send(hass, entry.entry_id, NUMBERS[:1], "hi")
    assert near_issue(hass, entry.entry_id) is not None
    # Midnight in Mexico City: the count starts again and the warning goes.
    freezer.move_to(datetime(2026, 12, 2, 0, 0, 1, tzinfo=dt_util.get_default_time_zone()))
    async_fire_time_changed(hass, dt_util.utcnow())
    await hass.async_block_till_done()
    assert sent_today(hass, entry.title) == 0
    assert near_issue(hass, entry.entry_id) is None
    await send(hass, entry.entry_id, NUMBERS[:1], "hi")
    assert sent_today(hass, entry.title) == 1


async def test_no_limit_still_counts(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "itniotech"))
    await send(hass, entry.entry_id, NUMBERS, LONG)
    state = hass.states.get(f"sensor.{slugify(entry.title)}_messages_sent_today")
    assert int(state.state) == 6
    assert state.attributes["daily_limit"] == 0
    assert near_issue(hass, entry.entry_id) is None


async def test_time_moves_without_midnight_timer(
    hass: HomeAssistant, gateways: FakeGateways, freezer: FrozenDateTimeFactory
) -> None:
    # A send on a new day starts from zero even if the midnight callback was missed (suspend).
    entry = await setup_entry(hass, mock_entry(gateways, "itniotech", options={"daily_limit": 2}))
    await send(hass, entry.entry_id, NUMBERS[:2], "hi")
    freezer.tick(timedelta(days=1))
    await send(hass, entry.entry_id, NUMBERS[:2], "hi")
    assert sent_today(hass, entry.title) == 2
