"""Sensors: the balance, and what became of the last message sent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import ATTR_MESSAGE_ID, ATTR_RECIPIENT
from .coordinator import BalanceCoordinator
from .data import SmsGatewaysConfigEntry
from .entity import SmsGatewaysEntity
from .gateways.base import DeliveryStatus, is_currency

# Coordinators do the polling; entities only read.
PARALLEL_UPDATES = 0

# The balance is money where the provider reports a currency, a count of messages otherwise
# (`MONETARY` takes `TOTAL`, never `MEASUREMENT`).
BALANCE_MONEY = SensorEntityDescription(
    key="balance",
    translation_key="balance",
    device_class=SensorDeviceClass.MONETARY,
    state_class=SensorStateClass.TOTAL,
    suggested_display_precision=2,
)
BALANCE_COUNT = SensorEntityDescription(
    key="balance",
    translation_key="balance",
    state_class=SensorStateClass.MEASUREMENT,
    suggested_display_precision=0,
)
# Messages as billed (segments times recipients), counted by the spending guard; the unit is
# translated ("messages"), so it has no native one.
SENT_TODAY = SensorEntityDescription(
    key="sent_today",
    translation_key="sent_today",
    state_class=SensorStateClass.TOTAL_INCREASING,
    suggested_display_precision=0,
)
LAST_DELIVERY_STATUS = SensorEntityDescription(
    key="last_delivery_status",
    translation_key="last_delivery_status",
    device_class=SensorDeviceClass.ENUM,
    options=[status.value for status in DeliveryStatus],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmsGatewaysConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """The balance where the provider has one; the delivery status always."""
    runtime = entry.runtime_data
    entities: list[SensorEntity] = [LastDeliveryStatusSensor(entry), SentTodaySensor(entry)]
    if runtime.balance_coordinator is not None:
        entities.insert(0, BalanceSensor(entry, runtime.balance_coordinator))
    async_add_entities(entities)


class BalanceSensor(SmsGatewaysEntity, CoordinatorEntity[BalanceCoordinator], SensorEntity):
    """Remaining credit, in the provider's unit."""

    def __init__(self, entry: SmsGatewaysConfigEntry, coordinator: BalanceCoordinator) -> None:
        """The unit is the provider's: from the first reading, else what the provider declares."""
        CoordinatorEntity.__init__(self, coordinator)
        unit = (
            coordinator.data.unit
            if coordinator.data
            else entry.runtime_data.gateway.capabilities.balance_unit
        )
        SmsGatewaysEntity.__init__(
            self, entry, BALANCE_MONEY if is_currency(unit) else BALANCE_COUNT
        )
        self._attr_native_unit_of_measurement = unit

    @property
    def native_value(self) -> float | None:
        """The last balance read."""
        return self.coordinator.data.value if self.coordinator.data else None


class SentTodaySensor(SmsGatewaysEntity, SensorEntity):
    """Messages sent today, as billed; the daily limit (if any) as an attribute."""

    _attr_should_poll = False

    def __init__(self, entry: SmsGatewaysConfigEntry) -> None:
        """Follow the entry's spending guard."""
        super().__init__(entry, SENT_TODAY)

    async def async_added_to_hass(self) -> None:
        """Update with every send and at midnight."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self._entry.runtime_data.guard.async_add_listener(self.async_write_ha_state)
        )

    @property
    def native_value(self) -> int:
        """Today's count."""
        return self._entry.runtime_data.guard.count

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        """The limit (0: none) and when the count starts again."""
        guard = self._entry.runtime_data.guard
        return {"daily_limit": guard.limit, "resets_at": guard.resets_at().isoformat()}


class LastDeliveryStatusSensor(SmsGatewaysEntity, SensorEntity):
    """`sent`/`rejected` when a send ends, then `delivered`/`failed` as reports arrive.

    Its state is kept in the entry's inbox store, so it survives restarts.
    """

    _attr_should_poll = False

    def __init__(self, entry: SmsGatewaysConfigEntry) -> None:
        """Follow the entry's delivery tracker."""
        super().__init__(entry, LAST_DELIVERY_STATUS)

    async def async_added_to_hass(self) -> None:
        """Update with every send and report."""
        await super().async_added_to_hass()
        runtime = self._entry.runtime_data
        self.async_on_remove(runtime.tracker.async_add_listener(self.async_write_ha_state))
        if runtime.inbox_coordinator is not None:
            self.async_on_remove(
                runtime.inbox_coordinator.async_add_listener(self.async_write_ha_state)
            )

    @property
    def available(self) -> bool:
        """Unavailable while report polling fails (where the provider is polled)."""
        coordinator = self._entry.runtime_data.inbox_coordinator
        return (
            coordinator is None or not coordinator.poll_reports or (coordinator.last_update_success)
        )

    @property
    def native_value(self) -> str | None:
        """The latest status."""
        last = self._entry.runtime_data.tracker.last
        return last.status.value if last else None

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        """Which message and recipient, and when."""
        last = self._entry.runtime_data.tracker.last
        return {
            ATTR_MESSAGE_ID: last.message_id if last else None,
            ATTR_RECIPIENT: last.recipient if last else None,
            "updated_at": last.updated_at.isoformat() if last else None,
        }
