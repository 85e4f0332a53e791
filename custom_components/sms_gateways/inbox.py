"""Exactly once and never lost: the persisted record of an entry's inbound messages and reports.

Every inbound message and delivery report, polled or pushed, comes through `Inbox`:
- a bounded, ordered record of the ids already fired (messages, report id+status, push event ids)
  makes a message seen twice — polled twice, pushed twice, polled and pushed, or seen again after a
  restart — fire once;
- messages fetched from a provider that forgets what it handed out (112088) are saved to disk
  *before* their events fire, and anything saved but not yet fired is fired after a restart;
- the poll cursor (`since`) survives restarts, so messages that arrived while Home Assistant was
  down are still fetched; the very first poll of a new entry starts from "now", so old messages
  in the provider's log do not trigger automations.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, TypedDict

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.start import async_at_started
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_DEVICE_ID,
    ATTR_MESSAGE,
    ATTR_MESSAGE_ID,
    ATTR_PROVIDER,
    ATTR_RECEIVED_AT,
    ATTR_RECIPIENT,
    ATTR_SENDER,
    ATTR_SOURCE,
    ATTR_STATUS,
    DOMAIN,
    EVENT_DELIVERY_REPORT,
    EVENT_MESSAGE_RECEIVED,
    LOGGER,
)
from .data import SmsGatewaysConfigEntry
from .delivery import DeliveryState
from .gateways.base import DeliveryReport, InboundMessage

STORAGE_VERSION = 1
# Ids remembered per entry: far more than any provider re-delivers, small enough to stay cheap.
MAX_SEEN = 5000
SAVE_DELAY = 1.0
# Provider clocks and "after" boundaries are loose: poll again from a little before the last poll.
CURSOR_OVERLAP = timedelta(seconds=60)


class _Pending(TypedDict):
    message_id: str
    sender: str
    text: str
    received_at: str
    source: str


def signal_message(entry_id: str) -> str:
    """The dispatcher signal an entry's `incoming_sms` event entity listens to."""
    return f"{DOMAIN}_{entry_id}_message_received"


def storage_key(entry_id: str) -> str:
    """The storage file of an entry's inbox."""
    return f"{DOMAIN}.{entry_id}.inbox"


class Inbox:
    """Deduplicates, persists and fires an entry's inbound messages and delivery reports."""

    def __init__(self, hass: HomeAssistant, entry: SmsGatewaysConfigEntry) -> None:
        """Nothing is loaded until `async_load`."""
        self._hass = hass
        self._entry = entry
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, storage_key(entry.entry_id), private=True, atomic_writes=True
        )
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._pending: list[_Pending] = []
        self.cursor: datetime | None = None
        # Until the platforms are set up, accepted messages wait (saved) instead of firing.
        self._started = False
        self._device_id: str | None = None
        self.fired_messages = 0
        self.fired_reports = 0
        self.duplicates = 0

    async def async_load(self) -> None:
        """Read what was saved; a new entry's cursor starts now."""
        data = await self._store.async_load()
        tracker = self._entry.runtime_data.tracker
        if data is None:
            self.cursor = dt_util.utcnow()
            return
        self._seen = OrderedDict.fromkeys(str(i) for i in data.get("seen", []))
        self._pending = [
            _Pending(
                message_id=str(p["message_id"]),
                sender=str(p["sender"]),
                text=str(p["text"]),
                received_at=str(p["received_at"]),
                source=str(p["source"]),
            )
            for p in data.get("pending", [])
            if isinstance(p, dict) and set(_Pending.__annotations__) <= set(p)
        ]
        cursor = data.get("cursor")
        self.cursor = dt_util.parse_datetime(cursor) if isinstance(cursor, str) else None
        last = data.get("last_delivery")
        pending_reports = data.get("pending_reports")
        tracker.restore(
            DeliveryState.from_dict(last) if isinstance(last, dict) else None,
            pending_reports if isinstance(pending_reports, dict) else {},
        )

    @callback
    def async_start(self) -> None:
        """The entities exist: fire what waits (also what a restart left unfired).

        While Home Assistant is still starting, automations may not be listening yet: messages
        then wait (saved) until it has started.
        """
        device = dr.async_get(self._hass).async_get_device(
            identifiers={(DOMAIN, self._entry.entry_id)}
        )
        self._device_id = device.id if device else None
        self._entry.async_on_unload(self._entry.runtime_data.tracker.async_add_listener(self._save))

        @callback
        def started(hass: HomeAssistant) -> None:
            self._started = True
            self._fire_pending()

        self._entry.async_on_unload(async_at_started(self._hass, started))

    @callback
    def async_stop(self) -> None:
        """Write what changed now, not in a second (the entry is unloading)."""
        self._started = False
        self._hass.async_create_task(self._store.async_save(self._data()), eager_start=True)

    async def async_remove(self) -> None:
        """Forget everything (the entry was deleted)."""
        await self._store.async_remove()

    def is_new(self, key: str) -> bool:
        """Whether `key` has not fired yet (and is not waiting to)."""
        return key not in self._seen and all(p["message_id"] != key for p in self._pending)

    async def async_accept(
        self, messages: Iterable[InboundMessage], source: str, *, durable: bool = False
    ) -> int:
        """Fire each message not seen before; return how many were new.

        With `durable`, the new messages are written to disk before any event fires: for polls of
        a provider that has now forgotten them, the file is the only copy.
        """
        waiting = {p["message_id"] for p in self._pending}
        new: list[_Pending] = []
        for message in messages:
            if message.message_id in self._seen or message.message_id in waiting:
                self.duplicates += 1
                continue
            waiting.add(message.message_id)
            new.append(
                _Pending(
                    message_id=message.message_id,
                    sender=message.sender,
                    text=message.text,
                    received_at=message.received_at.isoformat(),
                    source=source,
                )
            )
        if not new:
            return 0
        self._pending.extend(new)
        if durable:
            await self._store.async_save(self._data())
        self._fire_pending()
        return len(new)

    @callback
    def accept_reports(self, reports: Iterable[DeliveryReport]) -> int:
        """Record and fire each report not seen before (a status change is a new report)."""
        count = 0
        for report in reports:
            key = f"report:{report.message_id}:{report.status.value}"
            if key in self._seen:
                self.duplicates += 1
                continue
            self._remember(key)
            self._entry.runtime_data.tracker.record_report(report)
            self._hass.bus.async_fire(
                EVENT_DELIVERY_REPORT,
                {
                    ATTR_CONFIG_ENTRY_ID: self._entry.entry_id,
                    ATTR_DEVICE_ID: self._device_id,
                    ATTR_PROVIDER: self._entry.runtime_data.gateway.key,
                    ATTR_MESSAGE_ID: report.message_id,
                    ATTR_RECIPIENT: report.recipient,
                    ATTR_STATUS: report.status.value,
                },
            )
            count += 1
        self.fired_reports += count
        if count:
            self._save()
        return count

    @callback
    def accept_event_id(self, event_id: str | None) -> bool:
        """False if this push (by the provider's own event id) was handled already."""
        if event_id is None:
            return True
        key = f"event:{event_id}"
        if key in self._seen:
            self.duplicates += 1
            return False
        self._remember(key)
        self._save()
        return True

    @callback
    def advance_cursor(self, polled_at: datetime) -> None:
        """The poll that started at `polled_at` succeeded: the next one starts a little earlier."""
        self.cursor = polled_at - CURSOR_OVERLAP
        self._save()

    def diagnostics(self) -> dict[str, Any]:
        """Counts only: no message text, no number."""
        return {
            "seen_ids": len(self._seen),
            "waiting_to_fire": len(self._pending),
            "fired_messages": self.fired_messages,
            "fired_reports": self.fired_reports,
            "duplicates_dropped": self.duplicates,
            "cursor": self.cursor.isoformat() if self.cursor else None,
        }

    @callback
    def _fire_pending(self) -> None:
        if not self._started:
            return
        while self._pending:
            item = self._pending[0]
            data = {
                ATTR_CONFIG_ENTRY_ID: self._entry.entry_id,
                ATTR_DEVICE_ID: self._device_id,
                ATTR_PROVIDER: self._entry.runtime_data.gateway.key,
                ATTR_SENDER: item["sender"],
                ATTR_MESSAGE: item["text"],
                ATTR_MESSAGE_ID: item["message_id"],
                ATTR_RECEIVED_AT: item["received_at"],
                ATTR_SOURCE: item["source"],
            }
            self._hass.bus.async_fire(EVENT_MESSAGE_RECEIVED, data)
            try:
                async_dispatcher_send(self._hass, signal_message(self._entry.entry_id), data)
            except Exception:  # noqa: BLE001
                # The bus event went out; the entity's failure must not stop the queue.
                LOGGER.exception("The incoming_sms entity failed to take a message")
            self._pending.pop(0)
            self._remember(item["message_id"])
            self.fired_messages += 1
        self._save()

    def _remember(self, key: str) -> None:
        self._seen[key] = None
        self._seen.move_to_end(key)
        while len(self._seen) > MAX_SEEN:
            self._seen.popitem(last=False)

    @callback
    def _save(self) -> None:
        self._store.async_delay_save(self._data, SAVE_DELAY)

    def _data(self) -> dict[str, Any]:
        tracker = self._entry.runtime_data.tracker
        return {
            "seen": list(self._seen),
            "pending": list(self._pending),
            "cursor": self.cursor.isoformat() if self.cursor else None,
            "last_delivery": tracker.last.as_dict() if tracker.last else None,
            "pending_reports": dict(tracker.pending),
        }
