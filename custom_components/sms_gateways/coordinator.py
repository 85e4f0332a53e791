"""The polling coordinators: balance, and inbound messages with delivery reports."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.const import CONF_SCAN_INTERVAL
from homeassistant.core import HomeAssistant
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .const import CONF_POLL_INBOUND, DEFAULT_SCAN_INTERVAL, LOGGER
from .data import SmsGatewaysConfigEntry
from .errors import update_error
from .gateways.base import Balance
from .gateways.errors import GatewayError
from .inbox import Inbox
from .issues import async_check_balance


def scan_interval(entry: SmsGatewaysConfigEntry) -> timedelta:
    """The user's polling interval."""
    return timedelta(seconds=int(entry.options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL)))


class BalanceCoordinator(DataUpdateCoordinator[Balance]):
    """The remaining credit, once per interval."""

    config_entry: SmsGatewaysConfigEntry

    def __init__(self, hass: HomeAssistant, entry: SmsGatewaysConfigEntry) -> None:
        """Poll at the entry's interval."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{entry.title} balance",
            update_interval=scan_interval(entry),
        )

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
    """Inbound messages and delivery reports: one request per endpoint per interval.

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
