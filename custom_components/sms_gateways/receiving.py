"""Receiving: the inbox, the coordinators and the webhook of an entry.

Polling (coordinators) and pushes (webhook) both hand what they get to the entry's inbox, which
deduplicates, persists and fires the events; the sensors and the event entity only listen.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant

from .coordinator import BalanceCoordinator, InboxCoordinator
from .data import SmsGatewaysConfigEntry
from .inbox import Inbox
from .webhook import async_setup_webhook, async_unload_webhook


async def async_setup_receiving(hass: HomeAssistant, entry: SmsGatewaysConfigEntry) -> None:
    """Load the inbox, poll once what the provider offers, listen for pushes.

    Runs after `entry.runtime_data` is set and before the platforms are forwarded. Messages
    accepted now wait in the inbox until `async_start_receiving`, when the entities that show them
    exist. A failing first poll raises `ConfigEntryNotReady` (or starts reauthentication); the
    unload that follows stops the webhook and saves what it took, to fire at the next setup.
    """
    runtime = entry.runtime_data
    caps = runtime.gateway.capabilities
    inbox = runtime.inbox = Inbox(hass, entry)
    await inbox.async_load()
    # First, so that a setup failing below still stops the webhook and saves what it took. A
    # coroutine returned here is awaited by the unload, so the inbox is on disk before a reload
    # reads it again.
    entry.async_on_unload(lambda: async_unload_receiving(hass, entry))
    if caps.webhook:
        # Listening before the first poll: a message either comes by push from now on or is in
        # the provider's log that poll reads, never in a gap between the two.
        await async_setup_webhook(hass, entry)
    if caps.balance:
        runtime.balance_coordinator = BalanceCoordinator(hass, entry)
        await runtime.balance_coordinator.async_config_entry_first_refresh()
    coordinator = InboxCoordinator(hass, entry, inbox)
    if coordinator.poll_inbound or coordinator.poll_reports or coordinator.catch_up:
        runtime.inbox_coordinator = coordinator
        await coordinator.async_config_entry_first_refresh()


def async_start_receiving(entry: SmsGatewaysConfigEntry) -> None:
    """The platforms are set up: fire what waits in the inbox."""
    if entry.runtime_data.inbox is not None:
        entry.runtime_data.inbox.async_start()


async def async_unload_receiving(hass: HomeAssistant, entry: SmsGatewaysConfigEntry) -> None:
    """Stop taking pushes and write the inbox now (safe to call more than once).

    The coordinators stop by themselves with the entry.
    """
    runtime = entry.runtime_data
    if runtime.gateway.capabilities.webhook:
        async_unload_webhook(hass, entry)
    if (inbox := runtime.inbox) is not None:
        runtime.inbox = None
        await inbox.async_stop()
