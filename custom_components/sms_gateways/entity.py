"""The entity base class: one service device per entry, and one per saved contact."""

from __future__ import annotations

from homeassistant.config_entries import ConfigSubentry
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription

from .const import CONTACT_MODEL, DOMAIN
from .data import SmsGatewaysConfigEntry


def device_info(entry: SmsGatewaysConfigEntry) -> DeviceInfo:
    """The entry's device: the provider's service for this account."""
    gateway = entry.runtime_data.gateway
    return DeviceInfo(
        identifiers={(DOMAIN, entry.entry_id)},
        entry_type=DeviceEntryType.SERVICE,
        manufacturer=gateway.name,
        model=gateway.model,
        name=entry.title,
        configuration_url=gateway.dashboard_url,
    )


def contact_device_info(entry: SmsGatewaysConfigEntry, subentry: ConfigSubentry) -> DeviceInfo:
    """A saved contact's device (its subentry's): named after the contact."""
    return DeviceInfo(
        identifiers={(DOMAIN, f"{entry.entry_id}_{subentry.subentry_id}")},
        entry_type=DeviceEntryType.SERVICE,
        manufacturer=entry.runtime_data.gateway.name,
        model=CONTACT_MODEL,
        name=subentry.title,
    )


class SmsGatewaysEntity(Entity):
    """Base of every entity of an entry: named by translation key, unique per entry."""

    _attr_has_entity_name = True

    def __init__(
        self, entry: SmsGatewaysConfigEntry, description: EntityDescription, key: str | None = None
    ) -> None:
        """`key` distinguishes entities sharing a description (one notify entity per contact)."""
        self.entity_description = description
        self._entry = entry
        self._attr_unique_id = f"{entry.entry_id}_{key or description.key}"
        self._attr_device_info = device_info(entry)
