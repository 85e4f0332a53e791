"""Provide sensors: the balance, messages sent today, and what became of the last message sent."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .const import ATTR_MESSAGE_ID, ATTR_RECIPIENT
from .data import SmsGatewaysConfigEntry, SmsGatewaysData
from .entity import SmsGatewaysEntityDescription, SmsGatewaysFollowingEntity
from .gateways import DeliveryStatus, is_currency

# Coordinators do the polling; entities only read.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class SmsGatewaysSensorEntityDescription(SensorEntityDescription, SmsGatewaysEntityDescription):
    """Say how a sensor reads its state, and its attributes, from the loaded entry."""

    value_fn: Callable[[SmsGatewaysData], StateType]
    attributes_fn: Callable[[SmsGatewaysData], Mapping[str, Any]] | None = None


def _balance(data: SmsGatewaysData) -> float | None:
    coordinator = data.balance_coordinator
    return coordinator.data.value if coordinator is not None and coordinator.data else None


def _last_delivery_attributes(data: SmsGatewaysData) -> Mapping[str, Any]:
    last = data.tracker.last
    return {
        ATTR_MESSAGE_ID: last.message_id if last else None,
        ATTR_RECIPIENT: last.recipient if last else None,
        "updated_at": last.updated_at.isoformat() if last else None,
    }


def _reports_known(data: SmsGatewaysData) -> bool:
    # Where reports are polled, a failing poll leaves the status unknown.
    coordinator = data.inbox_coordinator
    return coordinator is None or not coordinator.poll_reports or coordinator.last_update_success


# The balance is money where the provider reports a currency, a count of messages otherwise
# (`MONETARY` takes `TOTAL`, never `MEASUREMENT`); setup picks one and sets the provider's unit.
BALANCE_MONEY = SmsGatewaysSensorEntityDescription(
    key="balance",
    translation_key="balance",
    device_class=SensorDeviceClass.MONETARY,
    state_class=SensorStateClass.TOTAL,
    suggested_display_precision=2,
    coordinator_fn=lambda data: data.balance_coordinator,
    value_fn=_balance,
)
BALANCE_COUNT = replace(
    BALANCE_MONEY,
    device_class=None,
    state_class=SensorStateClass.MEASUREMENT,
    suggested_display_precision=0,
)
# Messages as billed (segments times recipients), counted by the spending guard; the unit is
# translated ("messages"), so it has no native one.
SENT_TODAY = SmsGatewaysSensorEntityDescription(
    key="sent_today",
    translation_key="sent_today",
    state_class=SensorStateClass.TOTAL_INCREASING,
    suggested_display_precision=0,
    sources_fn=lambda data: (data.guard,),
    value_fn=lambda data: data.guard.count,
    # The limit (0: none) and when the count starts again.
    attributes_fn=lambda data: {
        "daily_limit": data.guard.limit,
        "resets_at": data.guard.resets_at().isoformat(),
    },
)
# `sent`/`rejected` when a send ends, then `delivered`/`failed` as reports arrive; kept in the
# entry's inbox store, so it survives restarts.
LAST_DELIVERY_STATUS = SmsGatewaysSensorEntityDescription(
    key="last_delivery_status",
    translation_key="last_delivery_status",
    device_class=SensorDeviceClass.ENUM,
    options=[status.value for status in DeliveryStatus],
    sources_fn=lambda data: (data.tracker, data.inbox_coordinator),
    available_fn=_reports_known,
    value_fn=lambda data: data.tracker.last.status.value if data.tracker.last else None,
    attributes_fn=_last_delivery_attributes,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmsGatewaysConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the balance where the provider has one; the others always."""
    runtime = entry.runtime_data
    descriptions = [LAST_DELIVERY_STATUS, SENT_TODAY]
    if (coordinator := runtime.balance_coordinator) is not None:
        # The provider's unit: the first reading's, else what the provider declares.
        unit = (
            coordinator.data.unit if coordinator.data else runtime.gateway.capabilities.balance_unit
        )
        balance = BALANCE_MONEY if is_currency(unit) else BALANCE_COUNT
        descriptions.insert(0, replace(balance, native_unit_of_measurement=unit))
    async_add_entities(SmsGatewaysSensor(entry, description) for description in descriptions)


class SmsGatewaysSensor(SmsGatewaysFollowingEntity, SensorEntity):
    """Show what its description reads from the loaded entry."""

    entity_description: SmsGatewaysSensorEntityDescription

    @property
    def native_value(self) -> StateType:
        """Return the state, as the description reads it."""
        return self.entity_description.value_fn(self._entry.runtime_data)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Return the attributes, as the description reads them (None: none)."""
        if (attributes_fn := self.entity_description.attributes_fn) is None:
            return None
        return attributes_fn(self._entry.runtime_data)
