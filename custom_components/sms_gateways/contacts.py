"""Look up saved contacts (`recipient` subentries) by name, entity id or inbound number.

They take any config entry (only its subentries are read), so the inbox can use them without
importing the entry's typed runtime data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er

from .const import CONF_PHONE_NUMBER, DOMAIN, SUBENTRY_RECIPIENT

NOTIFY_PREFIX = "notify."


@dataclass(frozen=True, slots=True)
class Contact:
    """Hold a saved contact: its name, its number in E.164 and its subentry."""

    name: str
    number: str
    subentry_id: str


def contact_key(subentry_id: str) -> str:
    """Return the unique-id suffix of a contact's notify entity."""
    return f"recipient_{subentry_id}"


def contacts(entry: ConfigEntry) -> list[Contact]:
    """Return the entry's contacts, in the order they were added."""
    return [
        Contact(str(sub.data.get(CONF_NAME) or sub.title), str(sub.data[CONF_PHONE_NUMBER]), sid)
        for sid, sub in entry.subentries.items()
        if sub.subentry_type == SUBENTRY_RECIPIENT and CONF_PHONE_NUMBER in sub.data
    ]


def names_by_number(entry: ConfigEntry) -> dict[str, str]:
    """Return contact names by E.164 number (inbound senders are E.164 when numbers)."""
    return {contact.number: contact.name for contact in contacts(entry)}


@callback
def resolve_recipients(
    hass: HomeAssistant, entry: ConfigEntry, recipients: Sequence[str]
) -> list[str]:
    """Return the numbers of `recipients`: numbers, contacts' names or notify entity ids.

    A recipient with a letter in it is a name (matched ignoring case and surrounding spaces) or,
    starting with `notify.`, an entity id; anything else is left for the gateway to read as a
    number. An unknown contact is a translated error listing the entry's contacts, and nothing is
    sent.
    """
    if not any(any(c.isalpha() for c in r) for r in recipients):
        return list(recipients)
    saved = contacts(entry)
    by_name = {c.name.strip().casefold(): c.number for c in saved}
    by_key = {contact_key(c.subentry_id): c.number for c in saved}
    registry = er.async_get(hass)
    numbers: list[str] = []
    for recipient in recipients:
        if not any(c.isalpha() for c in recipient):
            numbers.append(recipient)
            continue
        wanted = recipient.strip()
        number = by_name.get(wanted.casefold())
        if number is None and wanted.startswith(NOTIFY_PREFIX):
            registered = registry.async_get(wanted)
            if registered is not None and registered.config_entry_id == entry.entry_id:
                number = by_key.get(registered.unique_id.removeprefix(f"{entry.entry_id}_"))
        if number is None:
            raise ServiceValidationError(
                f"{wanted} is not a contact of {entry.title}",
                translation_domain=DOMAIN,
                translation_key="unknown_contact",
                translation_placeholders={
                    "name": wanted,
                    "entry": entry.title,
                    "contacts": ", ".join(c.name for c in saved) or "—",
                },
            )
        numbers.append(number)
    return numbers
