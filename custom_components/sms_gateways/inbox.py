"""Exactly once and never lost: the persisted record of an entry's inbound messages and reports.

Every inbound message and delivery report, polled or pushed, comes through `Inbox`:
- a bounded, ordered record of the ids already fired (messages, report id+status, push event ids)
  makes a message seen twice — polled twice, pushed twice, polled and pushed, or seen again after a
  restart — fire once;
- messages fetched from a provider that forgets what it handed out (112088) are saved to disk
  *before* their events fire, and anything saved but not yet fired is fired after a restart;
- the poll cursor (`since`) survives restarts, so messages that arrived while Home Assistant was
  down are still fetched; the very first poll of a new entry starts from "now", so old messages
  in the provider's log do not trigger automations;
- nothing fires before Home Assistant has started and the entry's entities exist: until then
  accepted messages wait (saved), so the first automations of the day do not miss them.
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
    SOURCE_POLL,
    SOURCE_WEBHOOK,
)
from .data import SmsGatewaysConfigEntry
from .delivery import DeliveryState
from .gateways.base import DeliveryReport, InboundMessage, WebhookPayload

STORAGE_VERSION = 1
# Ids remembered per entry: far more than any provider re-delivers (a poll window holds at most a
# few hundred), small enough that the record stays a few hundred KiB.
MAX_SEEN = 5000
# Cheap paths (pushes, reports, cursor) are written at most once a second.
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


def _report_key(report: DeliveryReport) -> str:
    # A status change (sent, then delivered) is news; the same status again is not.
    return f"report:{report.message_id}:{report.status.value}"


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
        # Accepted, not fired yet; messages are saved, reports are not (a lost report only leaves
        # the sensor one step behind, and the provider's log still has it).
        self._pending: list[_Pending] = []
        self._waiting_ids: set[str] = set()
        # Fetched by a poll, being written to disk before they are queued.
        self._in_flight: list[_Pending] = []
        self._reports: list[DeliveryReport] = []
        self.cursor: datetime | None = None
        # Polling is off and the webhook listens: the cursor moves to when it stops listening.
        self.cursor_follows_pushes = False
        self._started = False
        self._fire_scheduled = False
        self._device_id: str | None = None
        self.fired_messages = 0
        self.fired_reports = 0
        self.duplicates = 0

    async def async_load(self) -> None:
        """Read what was saved; a new entry's cursor starts now."""
        data = await self._store.async_load()
        if data is None:
            self.cursor = dt_util.utcnow()
            # Written now, so a setup that fails and is retried later still starts from here.
            self._save()
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
        self._waiting_ids = {p["message_id"] for p in self._pending}
        cursor = data.get("cursor")
        self.cursor = dt_util.parse_datetime(cursor) if isinstance(cursor, str) else None
        last = data.get("last_delivery")
        pending_reports = data.get("pending_reports")
        self._entry.runtime_data.tracker.restore(
            DeliveryState.from_dict(last) if isinstance(last, dict) else None,
            pending_reports if isinstance(pending_reports, dict) else {},
        )

    @callback
    def async_start(self) -> None:
        """The entities exist: fire what waits (also what a restart left unfired).

        While Home Assistant is still starting, automations may not be listening yet: messages
        then wait (saved) until it has started.
        """
        # Not `async_get_device`: deprecated from 2026.11 (identifiers are unique only per entry).
        self._device_id = next(
            (
                device.id
                for device in dr.async_entries_for_config_entry(
                    dr.async_get(self._hass), self._entry.entry_id
                )
                if (DOMAIN, self._entry.entry_id) in device.identifiers
            ),
            None,
        )
        # Sends change the last delivery state and the ids waiting for a report: keep them too.
        self._entry.async_on_unload(self._entry.runtime_data.tracker.async_add_listener(self._save))

        @callback
        def started(hass: HomeAssistant) -> None:
            self._started = True
            self._fire_pending()

        self._entry.async_on_unload(async_at_started(self._hass, started))

    async def async_stop(self) -> None:
        """Write what changed now, not in a second: a reload reads the file straight away."""
        self._started = False
        if self.cursor_follows_pushes:
            # Everything until now came by push; the next start asks from here (with overlap).
            self.cursor = dt_util.utcnow() - CURSOR_OVERLAP
        await self._store.async_save(self._data())

    async def async_accept_polled(
        self, messages: Iterable[InboundMessage], reports: Iterable[DeliveryReport]
    ) -> int:
        """Fire what a poll brought that was not seen before; return how many were new.

        New messages are written to disk before any event fires: for a provider that has now
        forgotten them, the file is the only copy.
        """
        fresh = self._new_messages(messages, SOURCE_POLL)
        if fresh:
            # Queued (to fire) only once on disk: a push's firing task may run during the save.
            # Meanwhile any other save (an unload's) includes them too.
            self._in_flight = fresh
            try:
                await self._store.async_save(self._data())
            finally:
                self._in_flight = []
                self._pending.extend(fresh)
        new = len(fresh) + self._queue_reports(reports)
        if new:
            self._fire_pending()
        return new

    @callback
    def accept_push(self, payload: WebhookPayload) -> int:
        """Take what a webhook push carried; events fire from a task, after the answer.

        A push the provider repeats (same event id, at-least-once delivery) is taken once.
        """
        if payload.event_id is not None:
            key = f"event:{payload.event_id}"
            if key in self._seen:
                self.duplicates += 1
                return 0
            self._remember(key)
        fresh = self._new_messages(payload.messages, SOURCE_WEBHOOK)
        self._pending.extend(fresh)
        new = len(fresh) + self._queue_reports(payload.reports)
        self._save()
        if new and self._started and not self._fire_scheduled:
            self._fire_scheduled = True
            self._entry.async_create_task(
                self._hass, self._async_fire(), "sms_gateways inbox", eager_start=False
            )
        return new

    @callback
    def advance_cursor(self, polled_at: datetime) -> None:
        """The poll that started at `polled_at` succeeded: the next one starts a little earlier."""
        self.cursor = polled_at - CURSOR_OVERLAP
        self._save()

    def diagnostics(self) -> dict[str, Any]:
        """Counts only: no message text, no number."""
        return {
            "seen_ids": len(self._seen),
            "waiting_to_fire": len(self._pending) + len(self._reports),
            "fired_messages": self.fired_messages,
            "fired_reports": self.fired_reports,
            "duplicates_dropped": self.duplicates,
            "cursor": self.cursor.isoformat() if self.cursor else None,
        }

    def _new_messages(self, messages: Iterable[InboundMessage], source: str) -> list[_Pending]:
        """The messages not seen nor waiting yet (from now on they count as waiting)."""
        fresh: list[_Pending] = []
        for message in messages:
            if message.message_id in self._seen or message.message_id in self._waiting_ids:
                self.duplicates += 1
                continue
            self._waiting_ids.add(message.message_id)
            fresh.append(
                _Pending(
                    message_id=message.message_id,
                    sender=message.sender,
                    text=message.text,
                    received_at=message.received_at.isoformat(),
                    source=source,
                )
            )
        return fresh

    def _queue_reports(self, reports: Iterable[DeliveryReport]) -> int:
        count = 0
        for report in reports:
            key = _report_key(report)
            if key in self._seen or key in self._waiting_ids:
                self.duplicates += 1
                continue
            self._waiting_ids.add(key)
            self._reports.append(report)
            count += 1
        return count

    async def _async_fire(self) -> None:
        self._fire_pending()

    @callback
    def _fire_pending(self) -> None:
        self._fire_scheduled = False
        if not self._started or not (self._pending or self._reports):
            return
        runtime = self._entry.runtime_data
        base = {
            ATTR_CONFIG_ENTRY_ID: self._entry.entry_id,
            ATTR_DEVICE_ID: self._device_id,
            ATTR_PROVIDER: runtime.gateway.key,
        }
        signal = signal_message(self._entry.entry_id)
        while self._pending:
            item = self._pending[0]
            data = {
                **base,
                ATTR_SENDER: item["sender"],
                ATTR_MESSAGE: item["text"],
                ATTR_MESSAGE_ID: item["message_id"],
                ATTR_RECEIVED_AT: item["received_at"],
                ATTR_SOURCE: item["source"],
            }
            # Listeners run in their own jobs (the bus and the dispatcher catch their errors), so
            # a failing automation or entity cannot stop the queue half-way.
            self._hass.bus.async_fire(EVENT_MESSAGE_RECEIVED, data)
            async_dispatcher_send(self._hass, signal, data)
            self._pending.pop(0)
            self._waiting_ids.discard(item["message_id"])
            self._remember(item["message_id"])
            self.fired_messages += 1
        while self._reports:
            report = self._reports.pop(0)
            key = _report_key(report)
            self._waiting_ids.discard(key)
            self._remember(key)
            # The tracker's listeners (the sensor, and `_save`) run here.
            runtime.tracker.record_report(report)
            self._hass.bus.async_fire(
                EVENT_DELIVERY_REPORT,
                {
                    **base,
                    ATTR_MESSAGE_ID: report.message_id,
                    ATTR_RECIPIENT: report.recipient,
                    ATTR_STATUS: report.status.value,
                },
            )
            self.fired_reports += 1
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
            "pending": [*self._pending, *self._in_flight],
            "cursor": self.cursor.isoformat() if self.cursor else None,
            "last_delivery": tracker.last.as_dict() if tracker.last else None,
            "pending_reports": dict(tracker.pending),
        }
