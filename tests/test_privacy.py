"""Private text: received texts (one-time codes) never reach the recorder's database."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.components.recorder.core import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance, session_scope
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util, slugify
import pytest
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from sqlalchemy import text

from custom_components.sms_gateways.const import EVENT_MESSAGE_RECEIVED
from tests.common import FakeGateways, mock_entry, setup_entry

CODE = "Your code is 734921"


def _everything_stored(hass: HomeAssistant) -> str:
    """Every attribute set and event payload the recorder wrote, as one string."""
    # Written from the entity and the bus: both must be in the database for the test to mean
    # anything (checked by the test's sender assertion).
    with session_scope(hass=hass, read_only=True) as session:
        attributes = session.execute(text("SELECT shared_attrs FROM state_attributes")).all()
        # Everything but the test's own probe, which carries the text on purpose.
        events = session.execute(
            text(
                "SELECT shared_data FROM event_data"
                " JOIN events ON events.data_id = event_data.data_id"
                " JOIN event_types ON events.event_type_id = event_types.event_type_id"
                " WHERE event_types.event_type != 'code_seen'"
            )
        ).all()
    return "\n".join(str(row[0]) for row in [*attributes, *events])


@pytest.mark.parametrize("private", [True, False])
async def test_private_text_is_not_recorded(
    recorder_mock: Recorder, hass: HomeAssistant, gateways: FakeGateways, private: bool
) -> None:
    entry = await setup_entry(
        hass, mock_entry(gateways, "smsmobileapi", options={"private_text": private})
    )
    entity_id = f"event.{slugify(entry.title)}_incoming_sms"
    # An automation on the event entity still reads the text from the live state.
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "triggers": {"trigger": "state", "entity_id": entity_id},
                "actions": {
                    "event": "code_seen",
                    "event_data": {"text": "{{ trigger.to_state.attributes.message }}"},
                },
            }
        },
    )
    seen = async_capture_events(hass, "code_seen")
    bus = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    gateways["smsmobileapi"].queue_inbound("+15559876543", CODE)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=61))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [e.data["text"] for e in seen] == [CODE]
    (event,) = bus
    expected: dict[str, Any] = {"sender": "+15559876543", "message": None if private else CODE}
    assert {key: event.data[key] for key in expected} == expected
    await async_wait_recording_done(hass)
    stored = await get_instance(hass).async_add_executor_job(_everything_stored, hass)
    # The sender is recorded either way; the text only without the option (so this test can see
    # a leak).
    assert "+15559876543" in stored
    assert ("734921" in stored) is not private
