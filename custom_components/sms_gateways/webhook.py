"""The webhook a provider pushes to: request → gateway parser → inbox.

Nothing that arrives here can break the entry: bodies are size-limited before they are read,
anything the gateway cannot parse gets 400 (bad signature 401) and fires nothing, and no exception
leaves the handler.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import suppress
from http import HTTPStatus

from aiohttp import web
from homeassistant.components import cloud, webhook
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers.network import NoURLAvailableError, get_url

from .const import DOMAIN, LOGGER, SOURCE_WEBHOOK
from .data import SmsGatewaysConfigEntry
from .gateways.errors import GatewayError, PayloadError, SignatureError
from .issues import async_set_webhook_reachable

# The largest push any of these providers documents is a few hundred bytes; Itniotech may batch
# reports, so allow room, but never buffer more than this.
MAX_BODY = 256 * 1024
CONF_CLOUDHOOK_URL = "cloudhook_url"


async def async_setup_webhook(hass: HomeAssistant, entry: SmsGatewaysConfigEntry) -> None:
    """Register the entry's webhook and work out the URL the provider must use."""
    webhook_id: str = entry.data[CONF_WEBHOOK_ID]
    webhook.async_register(
        hass,
        DOMAIN,
        entry.title,
        webhook_id,
        _handler_for(entry),
        local_only=False,
        allowed_methods=["POST"],
    )
    url: str | None = None
    if "cloud" in hass.config.components and cloud.async_active_subscription(hass):
        url = entry.data.get(CONF_CLOUDHOOK_URL)
        if url is None:
            try:
                url = await cloud.async_create_cloudhook(hass, webhook_id)
            except (cloud.CloudNotAvailable, ValueError):
                # ValueError: the cloud already holds a hook for this id (made by the flow).
                url = None
            else:
                hass.config_entries.async_update_entry(
                    entry, data={**entry.data, CONF_CLOUDHOOK_URL: url}
                )
    if url is None:
        try:
            get_url(hass, allow_internal=False, allow_ip=True)
        except NoURLAvailableError:
            url = None
        else:
            url = webhook.async_generate_url(hass, webhook_id)
    entry.runtime_data.webhook_url = url
    async_set_webhook_reachable(hass, entry, url is not None)


def async_unload_webhook(hass: HomeAssistant, entry: SmsGatewaysConfigEntry) -> None:
    """Stop listening (the cloudhook stays until the entry is removed)."""
    webhook.async_unregister(hass, entry.data[CONF_WEBHOOK_ID])


async def async_remove_cloudhook(hass: HomeAssistant, entry: SmsGatewaysConfigEntry) -> None:
    """The entry is deleted: so is its cloudhook."""
    if CONF_CLOUDHOOK_URL in entry.data and "cloud" in hass.config.components:
        with suppress(cloud.CloudNotAvailable, ValueError):
            await cloud.async_delete_cloudhook(hass, entry.data[CONF_WEBHOOK_ID])


def _handler_for(
    entry: SmsGatewaysConfigEntry,
) -> Callable[[HomeAssistant, str, web.Request], Awaitable[web.Response]]:
    async def handle(hass: HomeAssistant, webhook_id: str, request: web.Request) -> web.Response:
        try:
            return await _handle(entry, request)
        except Exception:  # noqa: BLE001
            # Never let a push break anything; the log says what, never with the body or id.
            LOGGER.exception("Unexpected error handling a push for %s", entry.title)
            return web.Response(status=HTTPStatus.INTERNAL_SERVER_ERROR)

    return handle


async def _handle(entry: SmsGatewaysConfigEntry, request: web.Request) -> web.Response:
    if request.content_length is not None and request.content_length > MAX_BODY:
        return web.Response(status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    body = await request.content.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        return web.Response(status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    runtime = entry.runtime_data
    try:
        payload = runtime.gateway.parse_webhook(body, request.headers)
    except SignatureError as err:
        LOGGER.warning("Refused a push for %s: %s", entry.title, err)
        return web.Response(status=HTTPStatus.UNAUTHORIZED)
    except PayloadError as err:
        LOGGER.debug("Refused a push for %s: %s", entry.title, err)
        return web.Response(status=HTTPStatus.BAD_REQUEST, text="Invalid payload")
    except GatewayError as err:
        LOGGER.debug("Refused a push for %s: %s", entry.title, err)
        return web.Response(status=HTTPStatus.BAD_REQUEST, text="Invalid payload")
    inbox = runtime.inbox
    assert inbox is not None
    # At-least-once delivery: a push the provider repeats (same event id) is answered, not fired.
    if inbox.accept_event_id(payload.event_id):
        # Events fire now (cheap); the record of seen ids is written a second later.
        await inbox.async_accept(payload.messages, SOURCE_WEBHOOK)
        inbox.accept_reports(payload.reports)
    return web.Response(status=HTTPStatus.OK)
