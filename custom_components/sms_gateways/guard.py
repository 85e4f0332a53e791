"""Guard spending: count an entry's messages sent today, against the most it may send.

A message is counted as the provider bills it: segments times recipients. With a limit, the count is
reserved and written to disk *before* the request goes out, then settled to what was accepted, so a
crash in between can only over-count (never let a runaway automation past the limit); without one,
it is written a few seconds later. It resets at
midnight in Home Assistant's time zone and survives restarts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.event import async_track_time_change
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER
from .issues import async_set_spending

STORAGE_VERSION = 1
# Seconds a count without a limit may wait before it is written.
SAVE_DELAY = 5
# Share of the limit at which a repair issue warns that sends will soon be refused.
NEAR_LIMIT = 0.8


def storage_key(entry_id: str) -> str:
    """Return the storage file of an entry's daily count."""
    return f"{DOMAIN}.{entry_id}.sent_today"


class SpendingGuard:
    """Count one entry's billed messages of today, checked against its `daily_limit`."""

    def __init__(self, hass: HomeAssistant, entry_id: str, title: str, limit: int) -> None:
        """Keep the count of `entry_id` against `limit`.

        `limit` 0 means no limit (the count is still kept, for the sensor).
        """
        self._hass = hass
        self._entry_id = entry_id
        self._title = title
        self.limit = max(0, int(limit))
        self.day: date = dt_util.now().date()
        self.count = 0
        self._store: Store[dict[str, Any]] = Store(hass, STORAGE_VERSION, storage_key(entry_id))
        self._listeners: list[Callable[[], None]] = []

    async def async_load(self) -> None:
        """Read today's count back (another day's is over)."""
        try:
            data = await self._store.async_load()
        except HomeAssistantError as err:
            # A damaged file is not a reason to refuse every send: start today from zero.
            LOGGER.warning("Cannot read the daily message count of %s: %s", self._title, err)
            data = None
        if isinstance(data, dict) and data.get("day") == self.day.isoformat():
            count = data.get("count")
            self.count = count if isinstance(count, int) and count > 0 else 0
        self._update_issue()

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Reset at each local midnight; return the function that stops it."""
        return async_track_time_change(self._hass, self._midnight, hour=0, minute=0, second=0)

    async def async_stop(self) -> None:
        """Write the count now, as the entry unloads.

        A delayed write must not outlive the entry.
        """
        await self._store.async_save(self._stored())

    @callback
    def async_add_listener(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call `listener` after every change of the count; return the function that stops it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def resets_at(self) -> datetime:
        """Return the next local midnight."""
        tomorrow = self.day + timedelta(days=1)
        return datetime.combine(tomorrow, datetime.min.time(), dt_util.get_default_time_zone())

    async def async_reserve(self, planned: int) -> None:
        """Count `planned` messages before they go out, or refuse them all (translated)."""
        self._roll()
        if self.limit and self.count + planned > self.limit:
            left = max(0, self.limit - self.count)
            resets = self.resets_at().isoformat(timespec="minutes")
            raise ServiceValidationError(
                f"{planned} messages would pass the daily limit of {self.limit} "
                f"({left} left today; resets at {resets})",
                translation_domain=DOMAIN,
                translation_key="daily_limit_reached",
                translation_placeholders={
                    "needed": str(planned),
                    "limit": str(self.limit),
                    "left": str(left),
                    "resets": resets,
                },
            )
        self.count += planned
        await self._async_save()
        self._changed()

    async def async_settle(self, reserved: int, billed: int) -> None:
        """Settle a send that ended: count what was billed instead of what was reserved."""
        if billed >= reserved:
            return
        self.count = max(0, self.count - (reserved - billed))
        await self._async_save()
        self._changed()

    def _roll(self) -> None:
        today = dt_util.now().date()
        if today != self.day:
            self.day, self.count = today, 0

    @callback
    def _midnight(self, now: datetime) -> None:
        self._roll()
        self._hass.async_create_task(self._async_save(), f"{DOMAIN} daily count")
        self._changed()

    def _stored(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "count": self.count}

    async def _async_save(self) -> None:
        if not self.limit:
            # Nothing to guard: only the sensor reads the count, so a delayed write (shared by a
            # burst of sends, flushed when Home Assistant stops) keeps disk I/O off every send.
            self._store.async_delay_save(self._stored, SAVE_DELAY)
            return
        try:
            await self._store.async_save(self._stored())
        except (HomeAssistantError, OSError) as err:
            # The count in memory still guards this run; only a restart could forget it.
            LOGGER.warning("Cannot save the daily message count of %s: %s", self._title, err)

    def _changed(self) -> None:
        self._update_issue()
        for listener in list(self._listeners):
            listener()

    def _update_issue(self) -> None:
        near = bool(self.limit) and self.count >= NEAR_LIMIT * self.limit
        async_set_spending(
            self._hass, self._entry_id, self._title, near=near, count=self.count, limit=self.limit
        )


async def async_remove_count(hass: HomeAssistant, entry_id: str) -> None:
    """Delete the count of an entry that is deleted: it goes with the entry."""
    await Store[dict[str, Any]](hass, STORAGE_VERSION, storage_key(entry_id)).async_remove()
