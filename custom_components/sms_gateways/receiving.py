"""Receiving: the inbox, the coordinators and the webhook of an entry.

Polling (coordinators) and pushes (webhook) both hand what they get to the entry's inbox, which
deduplicates, persists and fires the events; the sensors and the event entity only listen.
"""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from .const import DOMAIN
from .coordinator import BalanceCoordinator, InboxCoordinator
from .data import SmsGatewaysConfigEntry
from .inbox import Inbox
from .issues import async_check_balance
from .webhook import async_setup_webhook, async_unload_webhook


async def async_setup_receiving(hass: HomeAssistant, entry: SmsGatewaysConfigEntry) -> None:
    """Load the inbox, listen for pushes, start polling what the provider offers.

    Runs after `entry.runtime_data` is set and before the platforms are forwarded. Messages
    accepted now wait in the inbox until `async_start_receiving`, when the entities that show them
    exist. The first polls run in the background: a failing one makes the entities unavailable
    until a later poll succeeds (or starts reauthentication); an unload stops the webhook and
    saves what was taken, to fire at the next setup.
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
    # The first polls run after setup, not in it: the credentials check has proved the provider
    # answers, and a provider slow to answer a poll must not hold Home Assistant's start (each
    # request may take its whole time-out). Until they end, the sensors show what they know.
    if caps.balance:
        balance = runtime.balance_coordinator = BalanceCoordinator(hass, entry)
        if runtime.account.balance is not None:
            # The credentials check read it already: no second request.
            balance.async_set_updated_data(runtime.account.balance)
            async_check_balance(hass, entry, runtime.account.balance)
        else:
            _refresh_after_setup(hass, entry, balance)
    coordinator = InboxCoordinator(hass, entry, inbox)
    if coordinator.poll_inbound or coordinator.poll_reports or coordinator.catch_up:
        runtime.inbox_coordinator = coordinator
        _refresh_after_setup(hass, entry, coordinator)


def _refresh_after_setup(
    hass: HomeAssistant,
    entry: SmsGatewaysConfigEntry,
    coordinator: DataUpdateCoordinator[Any],
) -> None:
    """The coordinator's first poll, in the background (ended with the entry)."""
    entry.async_create_background_task(
        hass, coordinator.async_refresh(), f"{DOMAIN} first poll of {coordinator.name}"
    )


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
