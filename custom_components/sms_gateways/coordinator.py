"""Poll the provider: the balance, and inbound messages with delivery reports.

Both coordinators get their gateway, inbox and tracker from setup; the entry they take is only
their `config_entry` (options, title, ending with the entry).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_SCAN_INTERVAL
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .const import CONF_BALANCE_THRESHOLD, CONF_POLL_INBOUND, DEFAULT_SCAN_INTERVAL, DOMAIN, LOGGER
from .delivery import DeliveryTracker
from .errors import Stage, translated_errors
from .gateways import Balance, Gateway, GatewayError
from .inbox import Inbox
from .issues import async_check_balance

# The balance moves when messages are sent (or credit is bought), not by the minute: asking for it
# at every inbox poll was 60 paid-API requests an hour for a figure that rarely changes. Sends
# are followed by a request of their own (`BalanceCoordinator.async_schedule_refresh_after_send`).
BALANCE_INTERVAL: Final = timedelta(minutes=15)
# A send is followed by one balance request this many seconds later; sends in the meantime
# share it (a blueprint texting five people costs one balance request, not five).
BALANCE_AFTER_SEND_DELAY: Final = 10.0


def scan_interval(entry: ConfigEntry) -> timedelta:
    """Return the user's polling interval (inbound messages and delivery reports)."""
    return timedelta(seconds=int(entry.options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL)))


def balance_interval(entry: ConfigEntry) -> timedelta:
    """Return how often the balance is polled: `BALANCE_INTERVAL`, or the user's longer one."""
    return max(BALANCE_INTERVAL, scan_interval(entry))


class _GatewayCoordinator[DataT](DataUpdateCoordinator[DataT]):
    """Poll a gateway, its errors translated; a poll cut by Home Assistant's stop is no outage."""

    config_entry: ConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        gateway: Gateway,
        name: str,
        interval: timedelta,
    ) -> None:
        """Poll `gateway` every `interval`, ended with `entry`."""
        super().__init__(
            hass, LOGGER, config_entry=entry, name=f"{entry.title} {name}", update_interval=interval
        )
        self._gateway = gateway

    @callback
    def async_start_polling(self) -> None:
        """Run the first poll in the background; the interval follows.

        Not in setup: the credentials check has proved the provider answers, and a provider slow
        to answer a poll must not hold Home Assistant's start (each request may take its whole
        time-out). A failing first poll makes the entities unavailable until a later one succeeds
        (or starts reauthentication).
        """
        self.config_entry.async_create_background_task(
            self.hass, self.async_refresh(), f"{DOMAIN} first poll of {self.name}"
        )

    async def _async_update_data(self) -> DataT:
        with translated_errors(self._gateway.name, Stage.UPDATE):
            try:
                return await self._async_poll()
            except GatewayError:
                if self.hass.is_stopping and (kept := self._kept_when_cut()) is not None:
                    # Cut by Home Assistant's own shutdown (its HTTP session closes): no outage.
                    return kept
                raise

    @abstractmethod
    async def _async_poll(self) -> DataT:
        """Ask the provider; a `GatewayError` is translated by `_async_update_data`."""

    def _kept_when_cut(self) -> DataT | None:
        """Return what a poll cut by Home Assistant's stop yields; None makes it an error."""
        return self.data


class BalanceCoordinator(_GatewayCoordinator[Balance]):
    """Poll the remaining credit every `balance_interval`, and once shortly after sends."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry, gateway: Gateway) -> None:
        """Poll at the balance interval; sends ask for one more poll through a debouncer."""
        super().__init__(hass, entry, gateway, "balance", balance_interval(entry))
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
    def async_set_known(self, balance: Balance) -> None:
        """Take the balance the credentials check read, instead of a first request."""
        self.async_set_updated_data(balance)
        self._check(balance)

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

    async def _async_poll(self) -> Balance:
        balance = await self._gateway.async_balance()
        self._check(balance)
        return balance

    def _check(self, balance: Balance) -> None:
        entry = self.config_entry
        async_check_balance(
            self.hass,
            entry.entry_id,
            entry.title,
            provider=self._gateway.name,
            balance=balance,
            threshold=float(entry.options.get(CONF_BALANCE_THRESHOLD, 0) or 0),
        )


class InboxCoordinator(_GatewayCoordinator[int]):
    """Poll inbound messages and delivery reports every `scan_interval`.

    One request per endpoint and poll. The data is the number of new messages and reports of the
    last poll; what matters happens in the inbox (events) and the delivery tracker (the sensor).
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        gateway: Gateway,
        inbox: Inbox,
        tracker: DeliveryTracker,
    ) -> None:
        """Poll at the entry's interval what the provider offers and the options ask for."""
        super().__init__(hass, entry, gateway, "inbox", scan_interval(entry))
        self.inbox = inbox
        self._tracker = tracker
        caps = gateway.capabilities
        self.poll_inbound = caps.poll_inbound and bool(entry.options.get(CONF_POLL_INBOUND, True))
        self.poll_reports = caps.poll_reports
        # Polling off, pushes on: the first refresh still asks once for what arrived while no
        # webhook was listening (Home Assistant stopped or starting, the entry not loaded); from
        # then on pushes cover it, and the inbox keeps the time it stops listening as the cursor.
        self.catch_up = caps.poll_inbound and caps.webhook and not self.poll_inbound
        # New messages and reports of the poll in progress.
        self._count = 0

    @property
    def polls(self) -> bool:
        """Return whether there is anything to poll (else the entry does without it)."""
        return self.poll_inbound or self.poll_reports or self.catch_up

    async def _async_poll(self) -> int:
        self._count = 0
        if self.poll_inbound or self.catch_up:
            started = dt_util.utcnow()
            messages = await self._gateway.async_poll_inbound(self.inbox.cursor)
            # Taken (and saved) before the reports are asked for: 112088 has forgotten these
            # now, so a failure of the next request must not lose them.
            self._count += await self.inbox.async_accept_polled(messages, ())
            self.inbox.advance_cursor(started)
            if self.catch_up:
                self.catch_up = False
                self.inbox.cursor_follows_pushes = True
        if self.poll_reports:
            # Providers that look reports up by id are asked only for the ids still waiting
            # (none: no request); 112088 ignores the ids and lists what is new.
            reports = await self._gateway.async_poll_reports(list(self._tracker.pending))
            self._count += await self.inbox.async_accept_polled((), reports)
        return self._count

    def _kept_when_cut(self) -> int:
        # What this poll took counts; the cursor has not moved past what failed, so the next
        # start asks again.
        return self._count
