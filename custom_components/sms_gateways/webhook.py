"""The webhook a provider pushes to: request → gateway parser → inbox.

Nothing that arrives here can break the entry: bodies are size-limited before they are buffered,
anything the gateway cannot parse gets 400 (a bad or stale signature 401) and fires nothing, and no
exception leaves the handler (Home Assistant's own catch-all would log the webhook id, a secret).
A valid push is taken into the inbox (deduplicated, queued) and answered 200 once it is on disk;
its events fire right after. If it cannot be saved it is answered 503, so the provider sends it
again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import suppress
from http import HTTPStatus
from time import monotonic
from typing import Any

from aiohttp import web
from aiohttp.hdrs import METH_HEAD, METH_POST
from aiohttp.http_exceptions import HttpProcessingError
from homeassistant.components import cloud, webhook
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_WEBHOOK_ID, EVENT_CORE_CONFIG_UPDATE
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.util.aiohttp import MockRequest

from .const import DOMAIN, LOGGER
from .data import SmsGatewaysConfigEntry
from .gateways.base import read_bounded
from .gateways.errors import GatewayError, SignatureError
from .inbox import InboxBusyError
from .issues import async_set_webhook_reachable

# The providers' pushes are a few hundred bytes (one message or one report each); anything near
# this size is not one of them, and is refused before it is buffered.
MAX_BODY = 64 * 1024
# A push is a few hundred bytes: a body not received within this is not a provider's.
BODY_DEADLINE = 10
# Refused signatures are summed up in one WARNING at most this often (seconds).
SUMMARY_EVERY = 600
CONF_CLOUDHOOK_URL = "cloudhook_url"

type Request = web.Request | MockRequest


async def async_setup_webhook(hass: HomeAssistant, entry: SmsGatewaysConfigEntry) -> None:
    """Register the entry's webhook, work out the URL the provider must use, and keep it current.

    The URL is a cloudhook with an active Home Assistant Cloud subscription (created once, kept in
    the entry), else the external URL; with neither, a repair issue says the provider cannot push.
    """
    webhook_id: str = entry.data[CONF_WEBHOOK_ID]
    webhook.async_register(
        hass,
        DOMAIN,
        entry.title,
        webhook_id,
        _handler_for(entry),
        local_only=False,
        # Every method Home Assistant routes, answered by us (405 but for POST): with POST only,
        # Home Assistant logs a warning naming the webhook id (a secret) for each GET or PUT.
        allowed_methods=webhook.SUPPORTED_METHODS,
    )
    await _async_update_url(hass, entry)

    async def config_changed(event: Event[Any]) -> None:
        # The user set (or removed) an external URL: the issue follows without a reload.
        if entry.state is ConfigEntryState.LOADED:
            await _async_update_url(hass, entry)

    entry.async_on_unload(hass.bus.async_listen(EVENT_CORE_CONFIG_UPDATE, config_changed))
    if "cloud" in hass.config.components:

        async def cloud_changed(state: cloud.CloudConnectionState) -> None:
            if (
                state is cloud.CloudConnectionState.CLOUD_CONNECTED
                and entry.state is ConfigEntryState.LOADED
            ):
                await _async_update_url(hass, entry)

        entry.async_on_unload(cloud.async_listen_connection_change(hass, cloud_changed))


async def _async_update_url(hass: HomeAssistant, entry: SmsGatewaysConfigEntry) -> None:
    runtime = entry.runtime_data
    webhook_id: str = entry.data[CONF_WEBHOOK_ID]
    url: str | None = None
    created = False
    if "cloud" in hass.config.components and cloud.async_active_subscription(hass):
        url = entry.data.get(CONF_CLOUDHOOK_URL)
        if url is None:
            try:
                url = await cloud.async_create_cloudhook(hass, webhook_id)
            except cloud.CloudNotAvailable:
                # Not connected yet (CloudNotConnected is a subclass): tried again on connection.
                url = None
            else:
                created = True
    if url is None:
        with suppress(NoURLAvailableError):
            url = webhook.async_generate_url(hass, webhook_id, allow_internal=False)
    runtime.webhook_url = url
    async_set_webhook_reachable(hass, entry, url is not None)
    if created:
        # Last: a change of the entry's data reloads it.
        hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_CLOUDHOOK_URL: url})


@callback
def async_unload_webhook(hass: HomeAssistant, entry: SmsGatewaysConfigEntry) -> None:
    """Stop listening (the cloudhook stays until the entry is removed)."""
    webhook.async_unregister(hass, entry.data[CONF_WEBHOOK_ID])


async def async_remove_cloudhook(hass: HomeAssistant, entry: SmsGatewaysConfigEntry) -> None:
    """The entry is deleted: so is its cloudhook."""
    if CONF_CLOUDHOOK_URL in entry.data and "cloud" in hass.config.components:
        with suppress(cloud.CloudNotAvailable, ValueError):
            await cloud.async_delete_cloudhook(hass, entry.data[CONF_WEBHOOK_ID])


class _RefusalLog:
    """Refused signatures: each at debug, a summary at WARNING at most every `SUMMARY_EVERY`.

    Anyone who has the URL can send unsigned pushes: one WARNING each would flood the log.
    """

    def __init__(self) -> None:
        self._count = 0
        self._since = monotonic() - SUMMARY_EVERY

    def refused(self, title: str, err: Exception) -> None:
        LOGGER.debug("Refused a push for %s: %s", title, err)
        self._count += 1
        now = monotonic()
        if now - self._since >= SUMMARY_EVERY:
            LOGGER.warning(
                "Refused %d push(es) for %s with a missing, wrong or stale signature in the last "
                "%d minutes (is the webhook secret the same in the app?)",
                self._count,
                title,
                SUMMARY_EVERY // 60,
            )
            self._count = 0
            self._since = now


def _handler_for(
    entry: SmsGatewaysConfigEntry,
) -> Callable[[HomeAssistant, str, Request], Awaitable[web.Response]]:
    refusals = _RefusalLog()

    async def handle(hass: HomeAssistant, webhook_id: str, request: Request) -> web.Response:
        try:
            return await _handle(entry, request, refusals)
        except Exception as err:  # noqa: BLE001
            # The log names the entry and the error type, never the body, headers or webhook id
            # (an exception's text may quote the body: the traceback is for debug logging only).
            LOGGER.error("Could not handle a push for %s: %s", entry.title, type(err).__name__)
            LOGGER.debug("Push handling failed", exc_info=True)
            return web.Response(status=HTTPStatus.INTERNAL_SERVER_ERROR)

    return handle


async def _read_body(request: Request) -> bytes | None:
    """The body, or None if it is larger than `MAX_BODY` (no more than that is ever buffered).

    Cloudhooks deliver a `MockRequest`: no `content_length`, and a new reader on every access.
    """
    length: int | None = getattr(request, "content_length", None)
    if length is not None and length > MAX_BODY:
        return None
    # One reader: a MockRequest makes a new one at every access of `content`.
    return await read_bounded(request.content, MAX_BODY)


async def _handle(
    entry: SmsGatewaysConfigEntry, request: Request, refusals: _RefusalLog
) -> web.Response:
    if request.method == METH_HEAD:
        # As Home Assistant answers it: a website may check that the URL exists.
        return web.Response(status=HTTPStatus.OK)
    if request.method != METH_POST:
        return web.Response(status=HTTPStatus.METHOD_NOT_ALLOWED, headers={"Allow": METH_POST})
    try:
        async with asyncio.timeout(BODY_DEADLINE):
            body = await _read_body(request)
    except TimeoutError:
        # A body that trickles in would hold the request (and its memory) open without end.
        LOGGER.debug("Push for %s not received in %d s", entry.title, BODY_DEADLINE)
        return web.Response(status=HTTPStatus.REQUEST_TIMEOUT)
    except (ConnectionError, HttpProcessingError) as err:
        # The sender went away or broke the framing half-way: nothing to take, nothing to fix.
        LOGGER.debug("Incomplete push for %s: %s", entry.title, type(err).__name__)
        return web.Response(status=HTTPStatus.BAD_REQUEST)
    if body is None:
        return web.Response(status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    runtime = entry.runtime_data
    try:
        payload = runtime.gateway.parse_webhook(body, request.headers)
    except SignatureError as err:
        refusals.refused(entry.title, err)
        return web.Response(status=HTTPStatus.UNAUTHORIZED)
    except GatewayError as err:
        LOGGER.debug("Refused a push for %s: %s", entry.title, err)
        return web.Response(status=HTTPStatus.BAD_REQUEST, text="Invalid payload")
    inbox = runtime.inbox
    if inbox is None:  # pragma: no cover - the webhook is registered after the inbox exists
        return web.Response(status=HTTPStatus.SERVICE_UNAVAILABLE)
    try:
        await inbox.async_accept_push(payload)
    except InboxBusyError:
        # Not on disk, so not acknowledged: the provider keeps the push and sends it again.
        return web.Response(status=HTTPStatus.SERVICE_UNAVAILABLE)
    return web.Response(status=HTTPStatus.OK)
