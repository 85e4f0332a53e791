"""Platform placeholder until built."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .data import SmsGatewaysConfigEntry


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmsGatewaysConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Nothing yet."""
