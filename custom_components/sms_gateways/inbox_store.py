"""Store the inbox's file.

It is written whole and atomically, and waited for where durability matters.

Home Assistant's `Store.async_save` writes atomically (the old file or the new one survives a
crash) but only logs a failed write, so a caller cannot know that a message is on disk before it
acknowledges it; and its delayed save is pushed back by every new change, so a steady stream of
pushes was never written. Here:
- `async_flush()` returns once a write that includes every change made before the call is on
  disk, or raises `InboxNotSavedError`;
- concurrent callers share writes (one write at a time, the next one takes everything since);
- `changed()` asks for a write within `SAVE_DELAY` of the first change, never later;
- a failed write is logged at ERROR, raises a repair issue, and is retried every `RETRY_DELAY`;
  the issue goes away with the first write that succeeds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store

from .const import DOMAIN, LOGGER
from .issues import async_set_inbox_saved

# The layout's version; 1 since the first release (seen, pending, cursor, last_delivery,
# pending_reports).
STORAGE_VERSION = 1
SAVE_DELAY = 1.0
RETRY_DELAY = 10.0


class _CheckedStore(Store[dict[str, Any]]):
    """Store data, and remember why the last write failed instead of only logging it.

    Wraps `_async_write_data` (not public; its arguments changed in 2026, hence `*args`). Should a
    future Home Assistant rename it, writes still happen; only their failures go unnoticed, as
    with a plain `Store`.
    """

    _write_error: Exception | None = None

    async def async_save_checked(self, data: dict[str, Any]) -> None:
        """Save `data`; raise whatever made the write fail."""
        self._write_error = None
        await self.async_save(data)
        if (error := self._write_error) is not None:
            raise error

    async def _async_write_data(self, *args: Any) -> None:
        try:
            await super()._async_write_data(*args)
        except Exception as err:
            self._write_error = err
            raise


class InboxNotSavedError(Exception):
    """Signal that the inbox could not be written: nothing new may be acknowledged."""


def storage_key(entry_id: str) -> str:
    """Return the storage file of an entry's inbox."""
    return f"{DOMAIN}.{entry_id}.inbox"


async def async_remove_inbox(hass: HomeAssistant, entry_id: str) -> None:
    """Delete an entry's inbox file (the entry is deleted)."""
    await Store[dict[str, Any]](hass, STORAGE_VERSION, storage_key(entry_id)).async_remove()


class InboxFile:
    """Hold one entry's inbox file: load once, then write what `data` returns."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        title: str,
        data: Callable[[], dict[str, Any]],
        on_saved: Callable[[], None],
    ) -> None:
        """Keep how to snapshot the state, and what to run after each write.

        `data` snapshots the state (in the event loop); `on_saved` runs after each write.

        A write covers every change numbered up to `written` when `on_saved` runs.
        """
        self._hass = hass
        self._entry_id = entry_id
        self._title = title
        self._store = _CheckedStore(
            hass, STORAGE_VERSION, storage_key(entry_id), private=True, atomic_writes=True
        )
        self._data = data
        self._on_saved = on_saved
        self._changes = 0
        self._written = 0
        self._writer: asyncio.Task[None] | None = None
        self._cancel_timer: Callable[[], None] | None = None
        self._failing = False
        self._closed = False
        self.writes = 0

    async def async_load(self) -> dict[str, Any] | None:
        """Return what was stored, or None for a new entry."""
        return await self._store.async_load()

    @property
    def saved(self) -> bool:
        """Return whether every change so far is on disk."""
        return self._written >= self._changes

    @property
    def written(self) -> int:
        """Return the number of the last change known to be on disk."""
        return self._written

    @callback
    def changed(self) -> int:
        """Record a change, written within `SAVE_DELAY`; return the change's number."""
        self._changes += 1
        if self._cancel_timer is None and not self._writing and not self._closed:
            self._cancel_timer = async_call_later(self._hass, SAVE_DELAY, self._timer_fired)
        return self._changes

    async def async_flush(self) -> None:
        """Return once every change made before this call is on disk; else `InboxNotSavedError`."""
        target = self._changes
        while self._written < target:
            writer = self._start_writer()
            await asyncio.shield(writer)
            if self._written < target and self._failing:
                raise InboxNotSavedError

    async def async_close(self) -> None:
        """Write what changed and stop the timers (the entry unloads)."""
        self._closed = True
        self._stop_timer()
        try:
            await self.async_flush()
        except InboxNotSavedError:
            LOGGER.error("The inbox of %s could not be saved while unloading", self._title)

    @property
    def _writing(self) -> bool:
        return self._writer is not None and not self._writer.done()

    def _start_writer(self) -> asyncio.Task[None]:
        """Return the write in progress, or a new one (one at a time)."""
        if self._writer is None or self._writer.done():
            self._writer = self._hass.async_create_background_task(
                self._async_write(), f"{DOMAIN} inbox write", eager_start=False
            )
        return self._writer

    @callback
    def _timer_fired(self, _now: Any) -> None:
        self._cancel_timer = None
        if not self.saved:
            self._start_writer()

    def _stop_timer(self) -> None:
        if self._cancel_timer is not None:
            self._cancel_timer()
            self._cancel_timer = None

    async def _async_write(self) -> None:
        """Write until everything changed so far is on disk, or a write fails."""
        while self._written < self._changes:
            self._stop_timer()
            target = self._changes
            try:
                await self._store.async_save_checked(self._data())
            except Exception as err:  # noqa: BLE001 - any failure: logged, retried, reported
                self._failed(err)
                return
            self._written = target
            self.writes += 1
            if self._failing:
                self._failing = False
                LOGGER.warning("The inbox of %s is saved again", self._title)
                async_set_inbox_saved(self._hass, self._entry_id, self._title, saved=True)
            self._on_saved()

    def _failed(self, err: Exception) -> None:
        if not self._failing:
            LOGGER.error(
                "Could not save the inbox of %s (%s); new messages are refused until it can be "
                "saved, retrying every %d s",
                self._title,
                type(err).__name__,
                RETRY_DELAY,
            )
            async_set_inbox_saved(self._hass, self._entry_id, self._title, saved=False)
        self._failing = True
        if not self._closed and self._cancel_timer is None:
            self._cancel_timer = async_call_later(self._hass, RETRY_DELAY, self._timer_fired)
