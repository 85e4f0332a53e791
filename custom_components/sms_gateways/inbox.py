"""Take an entry's inbound messages and reports exactly once, acknowledged when durable.

Every inbound message and delivery report, polled or pushed, comes through `Inbox`:
- the ledger (ledger.py) drops what was fired or waits already — polled twice, pushed twice,
  polled and pushed, or seen again after a restart — and bounds everything by bytes;
- a push is on disk before it is answered 200, and a poll's batch before anything fires (for
  112088, which forgets what it handed out, the file is the only copy);
- firing is write-ahead: what is about to fire is written as fired, and fires as soon as that
  write is on disk, with nothing awaited in between. A crash before the write: it fires after the
  restart; after it: it has fired. Never twice;
- the poll cursor survives restarts, so messages that arrived while Home Assistant was down are
  still fetched; the very first poll of a new entry starts from "now";
- nothing fires before Home Assistant has started and the entry's entities exist: until then
  accepted messages wait, saved, so the first automations of the day do not miss them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.start import async_at_started
from homeassistant.util import dt as dt_util

from .const import (
    ATTR_CHANNEL,
    ATTR_CONFIG_ENTRY_ID,
    ATTR_CONTACT,
    ATTR_DEVICE_ID,
    ATTR_MESSAGE,
    ATTR_MESSAGE_ID,
    ATTR_PROVIDER,
    ATTR_RECEIVED_AT,
    ATTR_RECIPIENT,
    ATTR_SENDER,
    ATTR_SOURCE,
    ATTR_STATUS,
    CONF_PRIVATE_TEXT,
    DOMAIN,
    EVENT_DELIVERY_REPORT,
    EVENT_MESSAGE_RECEIVED,
    SOURCE_POLL,
    SOURCE_WEBHOOK,
)
from .contacts import names_by_number
from .delivery import DeliveryState, DeliveryTracker
from .gateways import DeliveryReport, InboundMessage, WebhookPayload
from .inbox_store import InboxFile, InboxNotSavedError, storage_key
from .ledger import Ledger, LedgerFullError, Pending

__all__ = ["Inbox", "InboxBusyError", "signal_message", "storage_key"]

# Provider clocks and "after" boundaries are loose: poll again from a little before the last poll.
CURSOR_OVERLAP = timedelta(seconds=60)


class InboxBusyError(Exception):
    """Signal that a push cannot be taken now: too much waits, or the inbox cannot be saved."""


def signal_message(entry_id: str) -> str:
    """Return the dispatcher signal an entry's `incoming_sms` event entity listens to."""
    return f"{DOMAIN}_{entry_id}_message_received"


class Inbox:
    """Deduplicate, persist and fire an entry's inbound messages and delivery reports."""

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry, provider: str, tracker: DeliveryTracker
    ) -> None:
        """Keep what the events carry; nothing is loaded until `async_load`.

        `entry` gives the id, title, options and contacts, and ends the listeners with the entry;
        `provider` is the gateway's key, in every event; `tracker` is restored from the file and
        saved with it.
        """
        self._hass = hass
        self._entry = entry
        self._provider = provider
        self._tracker = tracker
        self._ledger = Ledger()
        self._file = InboxFile(hass, entry.entry_id, entry.title, self._data, self._saved)
        # Batches written as fired, each with the number of its change: a batch fires once the
        # file has written that change.
        self._firing: list[tuple[int, list[Pending], list[DeliveryReport]]] = []
        self.cursor: datetime | None = None
        # Polling is off and the webhook listens: the cursor moves to when it stops listening.
        self.cursor_follows_pushes = False
        self._started = False
        self._device_id: str | None = None
        self.fired_messages = 0
        self.fired_reports = 0

    async def async_load(self) -> None:
        """Read what was saved; a new entry's cursor starts now."""
        data = await self._file.async_load()
        if data is None:
            self.cursor = dt_util.utcnow()
            # Written now, so a setup that fails and is retried later still starts from here.
            self._file.changed()
            return
        self._ledger.restore(data.get("seen") or [], data.get("pending") or [], data.get("horizon"))
        cursor = data.get("cursor")
        self.cursor = dt_util.parse_datetime(cursor) if isinstance(cursor, str) else None
        last = data.get("last_delivery")
        pending_reports = data.get("pending_reports")
        self._tracker.restore(
            DeliveryState.from_dict(last) if isinstance(last, dict) else None,
            pending_reports if isinstance(pending_reports, dict) else {},
        )

    @callback
    def async_start(self) -> None:
        """Fire what waits (also what a restart left unfired): the entities exist now.

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
        self._entry.async_on_unload(self._tracker.async_add_listener(self._tracker_changed))

        @callback
        def started(hass: HomeAssistant) -> None:
            self._started = True
            self._fire_due()

        self._entry.async_on_unload(async_at_started(self._hass, started))

    @callback
    def _tracker_changed(self) -> None:
        self._file.changed()

    async def async_stop(self) -> None:
        """Write what changed now, as the entry unloads: a reload reads the file straight away."""
        self._started = False
        if self.cursor_follows_pushes:
            # Everything until now came by push; the next start asks from here (with overlap).
            self.cursor = dt_util.utcnow() - CURSOR_OVERLAP
            self._file.changed()
        await self._file.async_close()

    async def async_accept_polled(
        self, messages: Iterable[InboundMessage], reports: Iterable[DeliveryReport]
    ) -> int:
        """Take what a poll brought that was not seen before; return how many were new.

        New messages are on disk before this returns (and before any of them fires). A batch is
        always taken, whatever waits: the provider may have forgotten it already.
        """
        fresh = self._ledger.take_messages(messages, SOURCE_POLL, forced=True)
        new = len(fresh) + self._ledger.take_reports(reports)
        if fresh:
            self._file.changed()
            try:
                await self._file.async_flush()
            except InboxNotSavedError:
                # Logged, reported and retried by the file; they fire once a retry writes them.
                return new
        if new:
            self._fire_due()
        return new

    async def async_accept_push(self, payload: WebhookPayload) -> int:
        """Take what a webhook push carried; return once it is on disk (to be answered then).

        A push the provider repeats (same event id, at-least-once delivery) is taken once, and is
        answered only once the first copy is on disk. `InboxBusyError`: not taken, not to be
        acknowledged (the provider keeps it and sends it again).
        """
        new = 0
        try:
            if payload.event_id is None or self._ledger.take_event(payload.event_id):
                new = len(self._ledger.take_messages(payload.messages, SOURCE_WEBHOOK))
                new += self._ledger.take_reports(payload.reports)
                self._file.changed()
            await self._file.async_flush()
        except (LedgerFullError, InboxNotSavedError) as err:
            raise InboxBusyError from err
        if new:
            self._fire_due()
        return new

    @callback
    def advance_cursor(self, polled_at: datetime) -> None:
        """Start the next poll a little before `polled_at`, when the poll started that succeeded."""
        self.cursor = polled_at - CURSOR_OVERLAP
        self._file.changed()

    def diagnostics(self) -> dict[str, Any]:
        """Return counts only: no message text, no number."""
        return {
            "seen_ids": self._ledger.seen_count,
            "waiting_to_fire": len(self._ledger.pending)
            + len(self._ledger.reports)
            + sum(len(messages) + len(reports) for _, messages, reports in self._firing),
            "fired_messages": self.fired_messages,
            "fired_reports": self.fired_reports,
            "duplicates_dropped": self._ledger.duplicates,
            "polled_before_horizon": self._ledger.beyond_horizon,
            "cursor": self.cursor.isoformat() if self.cursor else None,
            "writes": self._file.writes,
            "saved": self._file.saved,
        }

    @callback
    def _fire_due(self) -> None:
        """Write what waits as fired; it fires once that write is on disk (`_saved`)."""
        if not self._started or not (self._ledger.pending or self._ledger.reports):
            return
        messages, reports = self._ledger.take_due()
        self._firing.append((self._file.changed(), messages, reports))
        self._hass.async_create_background_task(
            self._async_flush_quietly(), f"{DOMAIN} inbox fire", eager_start=True
        )

    async def _async_flush_quietly(self) -> None:
        # A failed write is logged, reported and retried by the file; what is firing fires after
        # the retry's write (`_saved`).
        try:
            await self._file.async_flush()
        except InboxNotSavedError:
            return

    @callback
    def _saved(self) -> None:
        """Fire the batches a write on disk recorded as fired, awaiting nothing."""
        written = self._file.written
        while self._firing and self._firing[0][0] <= written:
            _, messages, reports = self._firing.pop(0)
            self._fire(messages, reports)
        # Taken while writes failed (answered 503, so the provider sends them again, and then
        # they are duplicates): on disk now, so they go the usual way.
        self._fire_due()

    @callback
    def _fire(self, messages: list[Pending], reports: list[DeliveryReport]) -> None:
        base = {
            ATTR_CONFIG_ENTRY_ID: self._entry.entry_id,
            ATTR_DEVICE_ID: self._device_id,
            ATTR_PROVIDER: self._provider,
        }
        signal = signal_message(self._entry.entry_id)
        known = names_by_number(self._entry) if messages else {}
        private = bool(self._entry.options.get(CONF_PRIVATE_TEXT, False))
        for item in messages:
            data = {
                **base,
                ATTR_SENDER: item.sender,
                ATTR_MESSAGE: item.text,
                ATTR_MESSAGE_ID: item.message_id,
                ATTR_RECEIVED_AT: item.received_at,
                ATTR_SOURCE: item.source,
                ATTR_CHANNEL: item.channel,
                ATTR_CONTACT: known.get(item.sender),
            }
            # Listeners run in their own jobs (the bus and the dispatcher catch their errors), so
            # a failing automation or entity cannot stop the queue half-way. With private text,
            # the bus event (which the recorder stores) goes without it; the event entity keeps
            # it as an attribute the recorder leaves out.
            self._hass.bus.async_fire(
                EVENT_MESSAGE_RECEIVED,
                {**data, ATTR_MESSAGE: None} if private else data,
            )
            async_dispatcher_send(self._hass, signal, data)
            self.fired_messages += 1
        for report in reports:
            # The tracker's listeners (the sensor, and the file's `changed`) run here.
            self._tracker.record_report(report)
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

    def _data(self) -> dict[str, Any]:
        tracker = self._tracker
        return {
            **self._ledger.stored(),
            "cursor": self.cursor.isoformat() if self.cursor else None,
            "last_delivery": tracker.last.as_dict() if tracker.last else None,
            "pending_reports": dict(tracker.pending),
        }
