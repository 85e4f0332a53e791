"""Define the entity bases.

One service device per entry, one per saved contact, states that follow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import CALLBACK_TYPE
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from .const import CONTACT_MODEL, DOMAIN
from .data import SmsGatewaysConfigEntry, SmsGatewaysData
from .providers import PROVIDERS


def device_info(entry: SmsGatewaysConfigEntry) -> DeviceInfo:
    """Return the entry's device: the provider's service for this account."""
    provider = PROVIDERS[entry.runtime_data.gateway.key]
    return DeviceInfo(
        identifiers={(DOMAIN, entry.entry_id)},
        entry_type=DeviceEntryType.SERVICE,
        manufacturer=provider.name,
        model=provider.model,
        name=entry.title,
        configuration_url=provider.dashboard_url,
    )


def contact_device_info(entry: SmsGatewaysConfigEntry, subentry: ConfigSubentry) -> DeviceInfo:
    """Return a saved contact's device (its subentry's), named after the contact."""
    return DeviceInfo(
        identifiers={(DOMAIN, f"{entry.entry_id}_{subentry.subentry_id}")},
        entry_type=DeviceEntryType.SERVICE,
        manufacturer=entry.runtime_data.gateway.name,
        model=CONTACT_MODEL,
        name=subentry.title,
    )


class Listenable(Protocol):
    """Tell listeners of every change: a coordinator, the delivery tracker, the spending guard."""

    def async_add_listener(self, update_callback: CALLBACK_TYPE, /) -> CALLBACK_TYPE:
        """Call `update_callback` after every change; return the function that stops it."""


class SmsGatewaysEntity(Entity):
    """Name an entity by translation key, unique per entry, on the entry's device."""

    _attr_has_entity_name = True
    # Every state here is pushed (events, sends, coordinators): Home Assistant's 30-second poll
    # would only write unchanged states again.
    _attr_should_poll = False

    def __init__(
        self,
        entry: SmsGatewaysConfigEntry,
        description: EntityDescription,
        *,
        key: str | None = None,
        device: DeviceInfo | None = None,
    ) -> None:
        """Name the entity after `description`; `key` and `device` tell apart those sharing it.

        A notify entity per contact shares one description: each has its contact's key and device.
        """
        super().__init__()
        self.entity_description = description
        self._entry = entry
        self._attr_unique_id = f"{entry.entry_id}_{key or description.key}"
        self._attr_device_info = device or device_info(entry)


@dataclass(frozen=True, kw_only=True)
class SmsGatewaysEntityDescription(EntityDescription):
    """Name what an entity's state is read from, so it is written again when that changes."""

    # The coordinator that polls the state: a failed poll makes the entity unavailable, and
    # `homeassistant.update_entity` asks it to poll now. None: nothing polls for the entity.
    coordinator_fn: Callable[[SmsGatewaysData], DataUpdateCoordinator[Any] | None] = lambda _: None
    # What else changes the state (None: not there for this entry).
    sources_fn: Callable[[SmsGatewaysData], Iterable[Listenable | None]] = lambda _: ()
    # False makes the entity unavailable, whatever its coordinator says.
    available_fn: Callable[[SmsGatewaysData], bool] = lambda _: True


class SmsGatewaysFollowingEntity(SmsGatewaysEntity):
    """Write the state whenever its coordinator or another of its sources changes.

    Every source is followed one way, through its `async_add_listener`; nothing is polled by Home
    Assistant itself.
    """

    entity_description: SmsGatewaysEntityDescription

    def __init__(
        self, entry: SmsGatewaysConfigEntry, description: SmsGatewaysEntityDescription
    ) -> None:
        """Find the entry's coordinator and sources the description names."""
        super().__init__(entry, description)
        runtime = entry.runtime_data
        self._coordinator = description.coordinator_fn(runtime)
        self._sources = [
            source
            for source in (self._coordinator, *description.sources_fn(runtime))
            if source is not None
        ]

    async def async_added_to_hass(self) -> None:
        """Follow the sources until the entity is removed."""
        await super().async_added_to_hass()
        for source in self._sources:
            self.async_on_remove(source.async_add_listener(self.async_write_ha_state))

    @property
    def available(self) -> bool:
        """Return False after a failed poll, or where the description says so."""
        coordinator = self._coordinator
        return (
            coordinator is None or coordinator.last_update_success
        ) and self.entity_description.available_fn(self._entry.runtime_data)

    async def async_update(self) -> None:
        """Poll the coordinator now (`homeassistant.update_entity`), unless disabled."""
        if self._coordinator is not None and self.enabled:
            await self._coordinator.async_request_refresh()
