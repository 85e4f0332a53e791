"""Send and receive SMS through commercial gateways (SMS Gateways)."""

from __future__ import annotations

import asyncio

from homeassistant.const import CONF_NAME, CONF_WEBHOOK_ID, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv, discovery
from homeassistant.helpers.typing import ConfigType

from .cloudhook import CONF_CLOUDHOOK_URL, async_delete_cloudhook
from .const import CONF_DAILY_LIMIT, DOMAIN
from .coordinator import BalanceCoordinator, InboxCoordinator
from .data import SmsGatewaysConfigEntry, SmsGatewaysData
from .delivery import DeliveryTracker
from .errors import Stage, translated_errors
from .gateways import TemporaryError
from .gateways.numbers import load_metadata
from .guard import SpendingGuard, async_remove_count
from .inbox import Inbox
from .inbox_store import async_remove_inbox
from .issues import async_clear_issues
from .providers import create_gateway
from .services import async_setup_services
from .webhook import WebhookEndpoint

PLATFORMS = [Platform.EVENT, Platform.NOTIFY, Platform.SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)
# The most an entry's setup waits for its provider (the credentials check): Home Assistant's
# start is not held longer by an account whose provider hangs.
SETUP_TIMEOUT = 4.0


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions once, whatever entries exist (they take a config entry id)."""
    async_setup_services(hass)
    # Off the event loop, before any number is parsed.
    await hass.async_add_executor_job(load_metadata)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: SmsGatewaysConfigEntry) -> bool:
    """Check the account, build its parts, start receiving, create the entities.

    Every part gets its collaborators here and the runtime data is assigned once, whole. Polling
    and pushes both hand what they get to the inbox, which deduplicates, persists and fires the
    events; the sensors and the event entity only listen.
    """
    gateway = create_gateway(hass, entry.data, entry.options)
    with translated_errors(gateway.name, Stage.SETUP):
        try:
            # Bounded as a whole (EnvioSMS makes two requests): a provider that does not answer
            # is retried later by Home Assistant, never holding its start. Only reads happen
            # here, so a cut request loses nothing.
            async with asyncio.timeout(SETUP_TIMEOUT):
                account = await gateway.async_validate()
        except TimeoutError:
            raise TemporaryError(
                f"{gateway.name} did not answer within {SETUP_TIMEOUT:g} s"
            ) from None
    guard = SpendingGuard(
        hass, entry.entry_id, entry.title, int(entry.options.get(CONF_DAILY_LIMIT, 0) or 0)
    )
    await guard.async_load()
    entry.async_on_unload(guard.async_start())
    entry.async_on_unload(guard.async_stop)
    tracker = DeliveryTracker()
    inbox = Inbox(hass, entry, gateway.key, tracker)
    await inbox.async_load()
    # Registered before anything that feeds the inbox: it closes last (unload callbacks run in
    # reverse), also when a step below fails, and is on disk before a reload reads it again.
    entry.async_on_unload(inbox.async_stop)
    caps = gateway.capabilities
    polling = InboxCoordinator(hass, entry, gateway, inbox, tracker)
    entry.runtime_data = runtime = SmsGatewaysData(
        gateway=gateway,
        account=account,
        guard=guard,
        tracker=tracker,
        inbox=inbox,
        balance_coordinator=BalanceCoordinator(hass, entry, gateway) if caps.balance else None,
        inbox_coordinator=polling if polling.polls else None,
        webhook=WebhookEndpoint(hass, entry, gateway, inbox) if caps.webhook else None,
    )
    await _async_start_receiving(runtime)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # The entities that show what arrives exist now: fire what waits in the inbox.
    inbox.async_start()
    # The legacy notify service (`notify.<slug of the title>`) that existing automations call.
    hass.async_create_task(
        discovery.async_load_platform(
            hass,
            Platform.NOTIFY,
            DOMAIN,
            {CONF_NAME: entry.title, "entry_id": entry.entry_id},
            {},
        ),
        eager_start=True,
    )
    entry.async_on_unload(entry.add_update_listener(_async_update_listener))
    return True


async def _async_start_receiving(runtime: SmsGatewaysData) -> None:
    """Listen for pushes, then start polling what the provider offers.

    Messages taken from now on wait in the inbox until the platforms are set up.
    """
    if runtime.webhook is not None:
        # Listening before the first poll: a message either comes by push from now on or is in
        # the provider's log that poll reads, never in a gap between the two.
        await runtime.webhook.async_start()
    # Until the first polls end, the sensors show what they know.
    if (balance := runtime.balance_coordinator) is not None:
        if runtime.account.balance is not None:
            # The credentials check read it already: no second request.
            balance.async_set_known(runtime.account.balance)
        else:
            balance.async_start_polling()
    if runtime.inbox_coordinator is not None:
        runtime.inbox_coordinator.async_start_polling()


async def async_unload_entry(hass: HomeAssistant, entry: SmsGatewaysConfigEntry) -> bool:
    """Unload the platforms; the parts stop through their unload callbacks."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def _async_update_listener(hass: HomeAssistant, entry: SmsGatewaysConfigEntry) -> None:
    """Reload the entry: its options, data or contacts changed."""
    hass.config_entries.async_schedule_reload(entry.entry_id)


async def async_remove_entry(hass: HomeAssistant, entry: SmsGatewaysConfigEntry) -> None:
    """Delete what the removed entry kept: its files, its cloudhook and its repair issues."""
    await async_remove_inbox(hass, entry.entry_id)
    await async_remove_count(hass, entry.entry_id)
    if CONF_WEBHOOK_ID in entry.data and CONF_CLOUDHOOK_URL in entry.data:
        await async_delete_cloudhook(hass, entry.data[CONF_WEBHOOK_ID])
    async_clear_issues(hass, entry.entry_id)
