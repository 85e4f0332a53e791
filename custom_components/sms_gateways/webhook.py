"""Take the pushes of a provider: request → gateway parser → inbox.

Nothing that arrives here can break the entry: bodies are size-limited before they are buffered,
anything the gateway cannot parse gets 400 (a bad or stale signature 401) and fires nothing, and no
exception leaves the handler (Home Assistant's own catch-all would log the webhook id, a secret).
A valid push is taken into the inbox (deduplicated, queued) and answered 200 once it is on disk;
its events fire right after. If it cannot be saved it is answered 503, so the provider sends it
again.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from http import HTTPStatus
from time import monotonic
from typing import Any

from aiohttp import web
from aiohttp.hdrs import METH_HEAD, METH_POST
from aiohttp.http_exceptions import HttpProcessingError
from homeassistant.components import cloud, webhook
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import CONF_WEBHOOK_ID, EVENT_CORE_CONFIG_UPDATE
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.util.aiohttp import MockRequest

from .cloudhook import CONF_CLOUDHOOK_URL, async_create_cloudhook, cloud_subscribed
from .const import DOMAIN, LOGGER
from .gateways import Gateway, GatewayError, SignatureError
from .gateways.transport import read_bounded
from .inbox import Inbox, InboxBusyError
from .issues import async_set_webhook_reachable

# The providers' pushes are a few hundred bytes (one message or one report each); anything near
# this size is not one of them, and is refused before it is buffered.
MAX_BODY = 64 * 1024
# A push is a few hundred bytes: a body not received within this is not a provider's.
BODY_DEADLINE = 10
# Refused signatures are summed up in one WARNING at most this often (seconds).
SUMMARY_EVERY = 600

type Request = web.Request | MockRequest


class WebhookEndpoint:
    """Take an entry's pushes into its inbox, at a URL kept current for the provider."""

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry, gateway: Gateway, inbox: Inbox
    ) -> None:
        """Parse with `gateway`, hand over to `inbox`; nothing listens until `async_start`."""
        self._hass = hass
        self._entry = entry
        self._gateway = gateway
        self._inbox = inbox
        self._webhook_id: str = entry.data[CONF_WEBHOOK_ID]
        self._refusals = _RefusalLog()
        # The URL a provider pushes to (cloudhook or external URL); None: it has none.
        self.url: str | None = None

    async def async_start(self) -> None:
        """Register the webhook, work out the URL the provider must use, and keep it current.

        The URL is a cloudhook with an active Home Assistant Cloud subscription (created once,
        kept in the entry), else the external URL; with neither, a repair issue says the provider
        cannot push. Everything stops with the entry (the cloudhook stays until it is removed).
        """
        webhook.async_register(
            self._hass,
            DOMAIN,
            self._entry.title,
            self._webhook_id,
            self._async_handle,
            local_only=False,
            # Every method Home Assistant routes, answered by us (405 but for POST): with POST
            # only, Home Assistant logs a warning naming the webhook id (a secret) for each GET
            # or PUT.
            allowed_methods=webhook.SUPPORTED_METHODS,
        )
        # Before anything below can fail: the inbox closes after this, never while listening.
        self._entry.async_on_unload(self._async_stop)
        await self._async_update_url()

        async def config_changed(event: Event[Any]) -> None:
            # The user set (or removed) an external URL: the issue follows without a reload.
            if self._entry.state is ConfigEntryState.LOADED:
                await self._async_update_url()

        self._entry.async_on_unload(
            self._hass.bus.async_listen(EVENT_CORE_CONFIG_UPDATE, config_changed)
        )
        if "cloud" in self._hass.config.components:

            async def cloud_changed(state: cloud.CloudConnectionState) -> None:
                if (
                    state is cloud.CloudConnectionState.CLOUD_CONNECTED
                    and self._entry.state is ConfigEntryState.LOADED
                ):
                    await self._async_update_url()

            self._entry.async_on_unload(
                cloud.async_listen_connection_change(self._hass, cloud_changed)
            )

    @callback
    def _async_stop(self) -> None:
        webhook.async_unregister(self._hass, self._webhook_id)

    async def _async_update_url(self) -> None:
        url: str | None = None
        created = False
        if cloud_subscribed(self._hass):
            url = self._entry.data.get(CONF_CLOUDHOOK_URL)
            if url is None:
                # None while the cloud is not connected: tried again on connection.
                url = await async_create_cloudhook(self._hass, self._webhook_id)
                created = url is not None
        if url is None:
            with suppress(NoURLAvailableError):
                url = webhook.async_generate_url(self._hass, self._webhook_id, allow_internal=False)
        self.url = url
        async_set_webhook_reachable(
            self._hass,
            self._entry.entry_id,
            self._entry.title,
            provider=self._gateway.name,
            reachable=url is not None,
        )
        if created:
            # Last: a change of the entry's data reloads it.
            self._hass.config_entries.async_update_entry(
                self._entry, data={**self._entry.data, CONF_CLOUDHOOK_URL: url}
            )

    async def _async_handle(
        self, hass: HomeAssistant, webhook_id: str, request: Request
    ) -> web.Response:
        try:
            return await self._async_answer(request)
        except Exception as err:  # noqa: BLE001
            # The log names the entry and the error type, never the body, headers or webhook id
            # (an exception's text may quote the body: the traceback is for debug logging only).
            LOGGER.error(
                "Could not handle a push for %s: %s", self._entry.title, type(err).__name__
            )
            LOGGER.debug("Push handling failed", exc_info=True)
            return web.Response(status=HTTPStatus.INTERNAL_SERVER_ERROR)

    async def _async_answer(self, request: Request) -> web.Response:
        title = self._entry.title
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
            LOGGER.debug("Push for %s not received in %d s", title, BODY_DEADLINE)
            return web.Response(status=HTTPStatus.REQUEST_TIMEOUT)
        except (ConnectionError, HttpProcessingError) as err:
            # The sender went away or broke the framing half-way: nothing to take, nothing to fix.
            LOGGER.debug("Incomplete push for %s: %s", title, type(err).__name__)
            return web.Response(status=HTTPStatus.BAD_REQUEST)
        if body is None:
            return web.Response(status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        try:
            payload = self._gateway.parse_webhook(body, request.headers)
        except SignatureError as err:
            self._refusals.refused(title, err)
            return web.Response(status=HTTPStatus.UNAUTHORIZED)
        except GatewayError as err:
            LOGGER.debug("Refused a push for %s: %s", title, err)
            return web.Response(status=HTTPStatus.BAD_REQUEST, text="Invalid payload")
        try:
            await self._inbox.async_accept_push(payload)
        except InboxBusyError:
            # Not on disk, so not acknowledged: the provider keeps the push and sends it again.
            return web.Response(status=HTTPStatus.SERVICE_UNAVAILABLE)
        return web.Response(status=HTTPStatus.OK)


class _RefusalLog:
    """Log refused signatures: each at debug, a WARNING summary at most every `SUMMARY_EVERY`.

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


async def _read_body(request: Request) -> bytes | None:
    """Return the body, or None above `MAX_BODY` (no more than that is ever buffered).

    Cloudhooks deliver a `MockRequest`: no `content_length`, and a new reader on every access.
    """
    length: int | None = getattr(request, "content_length", None)
    if length is not None and length > MAX_BODY:
        return None
    # One reader: a MockRequest makes a new one at every access of `content`.
    return await read_bounded(request.content, MAX_BODY)
