"""The polling coordinators: balance, and inbound messages with delivery reports."""

from __future__ import annotations

from collections.abc import Coroutine
from datetime import timedelta
from typing import Any, Final

from homeassistant.const import CONF_SCAN_INTERVAL
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .const import CONF_POLL_INBOUND, DEFAULT_SCAN_INTERVAL, LOGGER
from .data import SmsGatewaysConfigEntry
from .errors import update_error
from .gateways.base import Balance
from .gateways.errors import GatewayError
from .inbox import Inbox
from .issues import async_check_balance

# The balance moves when messages are sent (or credit is bought), not by the minute: asking for it
# at every inbox poll was 60 paid-API requests an hour for a figure that rarely changes. Sends
# are followed by a request of their own (`BalanceCoordinator.async_schedule_refresh_after_send`).
BALANCE_INTERVAL: Final = timedelta(minutes=15)
# A send is followed by one balance request this many seconds later; sends in the meantime
# share it (a blueprint texting five people costs one balance request, not five).
BALANCE_AFTER_SEND_DELAY: Final = 10.0


def scan_interval(entry: SmsGatewaysConfigEntry) -> timedelta:
    """Return the user's polling interval (inbound messages and delivery reports)."""
    return timedelta(seconds=int(entry.options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL)))


def balance_interval(entry: SmsGatewaysConfigEntry) -> timedelta:
    """Return how often the balance is polled: `BALANCE_INTERVAL`, or the user's longer one."""
    return max(BALANCE_INTERVAL, scan_interval(entry))


class BalanceCoordinator(DataUpdateCoordinator[Balance]):
    """The remaining credit: every `balance_interval`, and once shortly after sends."""

    config_entry: SmsGatewaysConfigEntry

    def __init__(self, hass: HomeAssistant, entry: SmsGatewaysConfigEntry) -> None:
        """Poll at the balance interval; sends ask for one more poll through a debouncer."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{entry.title} balance",
            update_interval=balance_interval(entry),
        )
        # Its own debouncer, not the coordinator's: `homeassistant.update_entity` keeps its
        # immediate refresh, while sends wait for the delay, so a burst of them (and the
        # provider's own bookkeeping) is settled by the time the balance is read.
        self._after_send: Debouncer[Coroutine[Any, Any, None]] = Debouncer(
            hass,
            LOGGER,
            cooldown=BALANCE_AFTER_SEND_DELAY,
            immediate=False,
            function=self.async_refresh,
        )

    @callback
    def async_schedule_refresh_after_send(self) -> None:
        """Poll the balance `BALANCE_AFTER_SEND_DELAY` seconds from now, once for a burst.

        Ignored once the entry is unloaded (a send may finish after that).
        """
        self._after_send.async_schedule_call()

    async def async_shutdown(self) -> None:
        """Stop polling, and drop a refresh still waiting after a send."""
        await super().async_shutdown()
        self._after_send.async_shutdown()

    async def _async_update_data(self) -> Balance:
        gateway = self.config_entry.runtime_data.gateway
        try:
            balance = await gateway.async_balance()
        except GatewayError as err:
            if self.hass.is_stopping and self.data is not None:
                # Cut by Home Assistant's own shutdown (its HTTP session closes): no outage.
                return self.data
            raise update_error(err, gateway.name) from err
        async_check_balance(self.hass, self.config_entry, balance)
        return balance


class InboxCoordinator(DataUpdateCoordinator[int]):
    """Inbound messages and delivery reports: one request per endpoint per `scan_interval`.

    The data is the number of new messages and reports of the last poll; what matters happens in
    the inbox (events) and the delivery tracker (the sensor).
    """

    config_entry: SmsGatewaysConfigEntry

    def __init__(self, hass: HomeAssistant, entry: SmsGatewaysConfigEntry, inbox: Inbox) -> None:
        """Poll at the entry's interval."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{entry.title} inbox",
            update_interval=scan_interval(entry),
        )
        self.inbox = inbox
        caps = entry.runtime_data.gateway.capabilities
        self.poll_inbound = caps.poll_inbound and bool(entry.options.get(CONF_POLL_INBOUND, True))
        self.poll_reports = caps.poll_reports
        # Polling off, pushes on: the first refresh still asks once for what arrived while no
        # webhook was listening (Home Assistant stopped or starting, the entry not loaded); from
        # then on pushes cover it, and the inbox keeps the time it stops listening as the cursor.
        self.catch_up = caps.poll_inbound and caps.webhook and not self.poll_inbound

    async def _async_update_data(self) -> int:
        runtime = self.config_entry.runtime_data
        gateway = runtime.gateway
        count = 0
        try:
            if self.poll_inbound or self.catch_up:
                started = dt_util.utcnow()
                messages = await gateway.async_poll_inbound(self.inbox.cursor)
                # Taken (and saved) before the reports are asked for: 112088 has forgotten these
                # now, so a failure of the next request must not lose them.
                count += await self.inbox.async_accept_polled(messages, ())
                self.inbox.advance_cursor(started)
                if self.catch_up:
                    self.catch_up = False
                    self.inbox.cursor_follows_pushes = True
            if self.poll_reports:
                # Providers that look reports up by id are asked only for the ids still waiting
                # (none: no request); 112088 ignores the ids and lists what is new.
                reports = await gateway.async_poll_reports(list(runtime.tracker.pending))
                count += await self.inbox.async_accept_polled((), reports)
        except GatewayError as err:
            if self.hass.is_stopping:
                # Cut by Home Assistant's own shutdown (its HTTP session closes): no outage, and
                # the cursor has not moved, so the next start asks again.
                return count
            raise update_error(err, gateway.name) from err
        return count
