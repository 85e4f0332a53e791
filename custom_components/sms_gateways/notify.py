"""Provide the legacy `notify.<entry title>` service and a notify entity per saved contact."""

from __future__ import annotations

from typing import Any

from homeassistant.components.notify import (
    NotifyEntity,
    NotifyEntityDescription,
    NotifyEntityFeature,
)
from homeassistant.components.notify.const import ATTR_DATA, ATTR_TARGET
from homeassistant.components.notify.legacy import BaseNotificationService
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType
import voluptuous as vol

from .const import CONF_PHONE_NUMBER, DOMAIN, SUBENTRY_RECIPIENT
from .contacts import contact_key
from .data import SmsGatewaysConfigEntry
from .entity import SmsGatewaysEntity, contact_device_info
from .sending import async_send, loaded_entry, refusal
from .services import OPTIONS_SCHEMA, send_options

# 0 means no limit: Home Assistant does not queue sends; each send bounds its own requests to the
# provider's concurrency in the gateway client.
PARALLEL_UPDATES = 0
DATA_SCHEMA = vol.Schema(OPTIONS_SCHEMA)

RECIPIENT = NotifyEntityDescription(key="recipient", translation_key="recipient")


def _text(message: str, title: str | None) -> str:
    # An SMS has no title: put it on the first line, as phones show a subject.
    return f"{title}\n{message}" if title else message


async def async_get_service(
    hass: HomeAssistant, config: ConfigType, discovery_info: DiscoveryInfoType | None = None
) -> BaseNotificationService | None:
    """Return the legacy service of the entry named in `discovery_info` (never from YAML).

    It goes when the entry unloads: a reload registers it again.
    """
    if discovery_info is None:
        return None
    # Called while the entry is still setting up: it is not "loaded" yet.
    entry: SmsGatewaysConfigEntry | None = hass.config_entries.async_get_entry(
        discovery_info["entry_id"]
    )
    if entry is None:
        return None
    service = SmsNotificationService(entry.entry_id)
    entry.async_on_unload(service.async_unregister_services)
    return service


class SmsNotificationService(BaseNotificationService):
    """Send through `notify.<entry title>`: `target` (a number or a list) and `data` options."""

    def __init__(self, entry_id: str) -> None:
        """Send through the entry `entry_id`."""
        self._entry_id = entry_id

    async def async_send_message(self, message: str = "", **kwargs: Any) -> None:
        """Send to every target; a refused number is an error naming it."""
        targets = kwargs.get(ATTR_TARGET) or []
        if isinstance(targets, str):
            targets = [targets]
        if not targets:
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_recipients")
        try:
            options = send_options(DATA_SCHEMA(kwargs.get(ATTR_DATA) or {}))
        except vol.Invalid as err:
            raise ServiceValidationError(
                str(err),
                translation_domain=DOMAIN,
                translation_key="invalid_input",
                translation_placeholders={"provider": DOMAIN},
            ) from err
        entry = loaded_entry(self.hass, self._entry_id)
        sent = await async_send(
            self.hass, entry, targets, _text(message, kwargs.get("title")), options
        )
        if (error := refusal(entry, sent)) is not None:
            raise error


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmsGatewaysConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a notify entity for each saved contact, attached to its subentry."""
    for subentry_id, subentry in entry.subentries.items():
        if subentry.subentry_type != SUBENTRY_RECIPIENT:
            continue
        async_add_entities(
            [RecipientNotifyEntity(entry, subentry)],
            config_subentry_id=subentry_id,
        )


class RecipientNotifyEntity(SmsGatewaysEntity, NotifyEntity):
    """Send an SMS to one saved contact (`notify.send_message`)."""

    # The contact's device carries the contact's name; the translation key still gives the icon.
    _attr_name = None
    # The UI shows the title field: it becomes the SMS's first line.
    _attr_supported_features = NotifyEntityFeature.TITLE

    def __init__(self, entry: SmsGatewaysConfigEntry, subentry: ConfigSubentry) -> None:
        """Make it the main feature of the contact's own device.

        A device per contact, never the entry's own: from 2026.8 a device belongs to one
        subentry, and a contact's entity on the entry's device moved that device to the contact
        and then lost the entity (as core `ntfy` does, without `via_device`: 2026-only).
        """
        super().__init__(
            entry,
            RECIPIENT,
            key=contact_key(subentry.subentry_id),
            device=contact_device_info(entry, subentry),
        )
        self._number: str = subentry.data[CONF_PHONE_NUMBER]

    async def async_send_message(self, message: str, title: str | None = None) -> None:
        """Send `message` to the contact."""
        sent = await async_send(
            self.hass, self._entry, [self._number], _text(message, title), send_options({})
        )
        if (error := refusal(self._entry, sent)) is not None:
            raise error
