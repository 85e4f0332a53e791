"""Provide the `incoming_sms` event entity.

It is the automation editor's trigger for inbound SMS.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import (
    ATTR_CHANNEL,
    ATTR_CONTACT,
    ATTR_MESSAGE,
    ATTR_MESSAGE_ID,
    ATTR_RECEIVED_AT,
    ATTR_SENDER,
    ATTR_SOURCE,
    CONF_PRIVATE_TEXT,
)
from .data import SmsGatewaysConfigEntry
from .entity import SmsGatewaysEntity
from .inbox import signal_message

PARALLEL_UPDATES = 0
EVENT_MESSAGE_RECEIVED = "message_received"

INCOMING_SMS = EventEntityDescription(
    key="incoming_sms",
    translation_key="incoming_sms",
    event_types=[EVENT_MESSAGE_RECEIVED],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmsGatewaysConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add one per entry: every provider receives, by polling or by webhook."""
    private = bool(entry.options.get(CONF_PRIVATE_TEXT, False))
    async_add_entities(
        [(PrivateIncomingSmsEvent if private else IncomingSmsEvent)(entry, INCOMING_SMS)]
    )


class IncomingSmsEvent(SmsGatewaysEntity, EventEntity):
    """Trigger once per inbound SMS, with sender and text."""

    async def async_added_to_hass(self) -> None:
        """Subscribe to the inbox's signal."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_message(self._entry.entry_id), self._async_message
            )
        )

    @callback
    def _async_message(self, data: dict[str, Any]) -> None:
        self._trigger_event(
            EVENT_MESSAGE_RECEIVED,
            {
                key: data[key]
                for key in (
                    ATTR_SENDER,
                    ATTR_MESSAGE,
                    ATTR_MESSAGE_ID,
                    ATTR_RECEIVED_AT,
                    ATTR_SOURCE,
                    ATTR_CHANNEL,
                    ATTR_CONTACT,
                )
            },
        )
        self.async_write_ha_state()


class PrivateIncomingSmsEvent(IncomingSmsEvent):
    """Keep the text out of the recorder (option `private_text`).

    Automations triggered by the entity still read `message` from the live state.
    """

    _unrecorded_attributes = frozenset({ATTR_MESSAGE})
