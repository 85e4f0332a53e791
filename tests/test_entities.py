"""Each platform's entities of each provider: their registry entries and states, as snapshots.

One saved contact, so that its notify entity is there too.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from tests.common import NUMBERS


@pytest.fixture
def recipients(provider: str) -> dict[str, str]:
    """Return one saved contact of the entry."""
    return {"Ana": NUMBERS[provider]}


# A fixed day: the sent-today sensor says when its count resets.
@pytest.mark.freeze_time("2026-01-15 12:00:00+00:00")
@pytest.mark.parametrize("platforms", [["event"], ["notify"], ["sensor"]], ids=lambda p: p[0])
async def test_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    init_integration: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)
