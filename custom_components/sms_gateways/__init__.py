"""SMS Gateways: send and receive SMS through commercial gateways."""

from __future__ import annotations

import asyncio

from homeassistant.const import CONF_NAME, CONF_WEBHOOK_ID, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv, discovery
from homeassistant.helpers.typing import ConfigType

from .client import create_gateway
from .const import CONF_DAILY_LIMIT, DOMAIN
from .data import SmsGatewaysConfigEntry, SmsGatewaysData
from .errors import setup_error
from .gateways.errors import GatewayError, TemporaryError
from .gateways.numbers import load_metadata
from .guard import SpendingGuard, async_remove_count
from .inbox_store import async_remove_inbox
from .issues import async_clear_issues
from .receiving import async_setup_receiving, async_start_receiving
from .services import async_setup_services
from .webhook import async_remove_cloudhook

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
    """Check the account, start polling and the webhook, create the entities."""
    gateway = create_gateway(hass, entry.data, entry.options)
    try:
        # Bounded as a whole (EnvioSMS makes two requests): a provider that does not answer
        # is retried later by Home Assistant, never holding its start. Only reads happen here,
        # so a cut request loses nothing.
        async with asyncio.timeout(SETUP_TIMEOUT):
            account = await gateway.async_validate()
    except TimeoutError:
        raise setup_error(
            TemporaryError(f"{gateway.name} did not answer within {SETUP_TIMEOUT:g} s"),
            gateway.name,
        ) from None
    except GatewayError as err:
        raise setup_error(err, gateway.name) from err
    guard = SpendingGuard(
        hass, entry.entry_id, entry.title, int(entry.options.get(CONF_DAILY_LIMIT, 0) or 0)
    )
    await guard.async_load()
    entry.async_on_unload(guard.async_start())
    entry.async_on_unload(guard.async_stop)
    entry.runtime_data = SmsGatewaysData(gateway=gateway, account=account, guard=guard)
    await async_setup_receiving(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    async_start_receiving(entry)
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


async def async_unload_entry(hass: HomeAssistant, entry: SmsGatewaysConfigEntry) -> bool:
    """Stop everything the entry started."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded and (service := entry.runtime_data.notify_service) is not None:
        await service.async_unregister_services()
    return unloaded


async def _async_update_listener(hass: HomeAssistant, entry: SmsGatewaysConfigEntry) -> None:
    """Options, data or contacts changed: start again with them."""
    hass.config_entries.async_schedule_reload(entry.entry_id)


async def async_remove_entry(hass: HomeAssistant, entry: SmsGatewaysConfigEntry) -> None:
    """The entry is deleted: its stored inbox, cloudhook and repair issues go with it."""
    await async_remove_inbox(hass, entry.entry_id)
    await async_remove_count(hass, entry.entry_id)
    if CONF_WEBHOOK_ID in entry.data:
        await async_remove_cloudhook(hass, entry)
    async_clear_issues(hass, entry.entry_id)
