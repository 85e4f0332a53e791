"""Deduplicate and queue an entry's inbound messages and reports, within a byte budget.

No Home Assistant here: what the inbox (inbox.py) persists and fires is decided here, so that the
rules can be read and tested on their own.

- Every id, number and text is cleaned (`clean_text`) and bounded before it is kept: an id longer
  than `MAX_ID` is replaced by a hash of it, a sender is cut at `MAX_SENDER` characters.
- `seen`: ids already fired (messages, report id+status, push event ids), oldest dropped first,
  at most `MAX_SEEN` ids and `SEEN_BUDGET` bytes. A message's id is kept with its receive time:
  `horizon` is the latest receive time of a message whose id was dropped. A *polled* message
  received at or before it may be one of those, so it is not taken again (providers that keep a
  log are polled with a look-back window, SMSMobileAPI's 15 minutes: without this, a flood of more
  than `MAX_SEEN` messages in that window would fire the oldest twice).
- `pending`: messages accepted and not fired yet. Pushes are refused (`LedgerFullError`: the provider
  keeps them and retries) once `PENDING_BUDGET` bytes wait; a poll's batch is always taken (a
  provider that forgets what it handed out has no other copy; a poll answer is at most 2 MiB).
- Reports are queued in memory only: a lost report leaves the sensor one step behind, and the
  provider's log still has it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
import hashlib
import json
from typing import Any

from .const import SOURCE_POLL
from .gateways import Channel, DeliveryReport, InboundMessage
from .gateways.text import clean_text

# Ids remembered: far more than any provider re-delivers (a poll window holds at most a few
# hundred), and bounded in bytes whatever the ids look like.
MAX_SEEN = 5000
SEEN_BUDGET = 512 * 1024
# Provider ids are short (a guid, a number); a longer one is kept as its hash.
MAX_ID = 128
# Alphanumeric sender ids are 11 characters, numbers at most 15 digits: generous.
MAX_SENDER = 256
PENDING_BUDGET = 4 * 1024 * 1024
# What one entry's storage file can hold at most: the two budgets, the longest ids, a 2 MiB poll
# batch taken beyond the pending budget, and the small fields.
STORAGE_BOUND = SEEN_BUDGET + PENDING_BUDGET + 2 * 1024 * 1024 + 64 * 1024


# What an inbound message can have come by (`Channel.BOTH` is a sending option only).
_INBOUND_CHANNELS = frozenset({Channel.SMS.value, Channel.WHATSAPP.value})


class LedgerFullError(Exception):
    """Signal that too much waits to be fired: a push is not taken now (the provider retries)."""


@dataclass(slots=True)
class Pending:
    """Hold a message accepted and not fired yet, as it is stored."""

    message_id: str
    sender: str
    text: str
    received_at: str
    source: str
    channel: str = Channel.SMS.value

    @property
    def received_timestamp(self) -> float | None:
        """Return `received_at` in epoch seconds, None if it cannot be read."""
        try:
            return datetime.fromisoformat(self.received_at).timestamp()
        except ValueError:
            return None

    @property
    def size(self) -> int:
        """Return its bytes on disk, near enough (the field names and quotes as a flat 96)."""
        return 96 + sum(len(value.encode()) for value in (self.message_id, self.sender, self.text))

    def as_dict(self) -> dict[str, str]:
        """Return it as stored."""
        return {
            "message_id": self.message_id,
            "sender": self.sender,
            "text": self.text,
            "received_at": self.received_at,
            "source": self.source,
            "channel": self.channel,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Pending | None:
        """Read it back; None for anything that is not a stored message."""
        if not isinstance(data, dict):
            return None
        try:
            return cls(
                message_id=message_key(str(data["message_id"])),
                sender=clean_text(str(data["sender"]))[:MAX_SENDER],
                text=clean_text(str(data["text"])),
                received_at=clean_text(str(data["received_at"])),
                source=clean_text(str(data["source"])),
                # Stored before channels existed (or by a hand): SMS.
                channel=_channel(data.get("channel")),
            )
        except KeyError:
            return None


def _channel(value: Any) -> str:
    return value if value in _INBOUND_CHANNELS else Channel.SMS.value


def _seen_size(key: str, received: float | None) -> int:
    """Return the bytes of one `seen` entry in the file.

    The id, and its receive time as `[id, 1.5e9]`.
    """
    return stored_size(key) + 2 + (0 if received is None else 24)


def stored_size(value: str) -> int:
    """Return the bytes `value` takes in the JSON file.

    Control characters are escaped: 6 bytes each.
    """
    return len(json.dumps(value, ensure_ascii=False).encode())


def message_key(raw: str) -> str:
    """Return the id kept for `raw`: cleaned, and hashed when it is longer than `MAX_ID`."""
    key = clean_text(raw)
    if len(key) > MAX_ID:
        return "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key


def report_key(report: DeliveryReport) -> str:
    """Return the key of a report: its message id and status.

    A status change (sent, then delivered) is news; the same status again is not.
    """
    return f"report:{message_key(report.message_id)}:{report.status.value}"


class Ledger:
    """Track what was fired, what waits to be fired, and the budgets that bound both."""

    def __init__(self) -> None:
        """Start empty."""
        # id -> receive time (epoch seconds) for messages, None for reports and push events.
        self._seen: OrderedDict[str, float | None] = OrderedDict()
        self.horizon: float | None = None
        # Polled messages not taken because they were received before the horizon.
        self.beyond_horizon = 0
        self._seen_bytes = 0
        self.pending: list[Pending] = []
        self._pending_bytes = 0
        self.reports: list[DeliveryReport] = []
        # Ids of what waits (messages and report keys), so a second copy is not queued twice.
        self._waiting: set[str] = set()
        self.duplicates = 0

    @property
    def seen_count(self) -> int:
        """Return how many ids are remembered."""
        return len(self._seen)

    def restore(self, seen: Iterable[Any], pending: Iterable[Any], horizon: Any = None) -> None:
        """Load what was stored (anything malformed is skipped)."""
        if isinstance(horizon, (int, float)) and not isinstance(horizon, bool):
            self.horizon = float(horizon)
        for item in seen:
            # `[id, receive time]`, or a bare id (reports, events, files of older versions).
            if isinstance(item, list) and len(item) == 2 and isinstance(item[1], (int, float)):
                self.remember(message_key(str(item[0])), float(item[1]))
            else:
                self.remember(message_key(str(item)))
        for item in pending:
            if (message := Pending.from_dict(item)) is not None and not self.knows(
                message.message_id
            ):
                self._queue(message, message.size)

    def knows(self, key: str) -> bool:
        """Return whether `key` was fired or waits."""
        return key in self._seen or key in self._waiting

    def take_event(self, event_id: str) -> bool:
        """Take a push's own id; return False if that push was taken before.

        Pushes come with at-least-once delivery.
        """
        key = f"event:{message_key(event_id)}"
        if key in self._seen:
            self.duplicates += 1
            return False
        self.remember(key)
        return True

    def take_messages(
        self, messages: Iterable[InboundMessage], source: str, *, forced: bool = False
    ) -> list[Pending]:
        """Queue the messages not seen nor waiting; return them.

        Unless `forced`, nothing is taken (`LedgerFullError`) when the pending budget would be passed.
        """
        fresh: list[Pending] = []
        keys: set[str] = set()
        for message in messages:
            key = message_key(message.message_id)
            if self.knows(key) or key in keys:
                self.duplicates += 1
                continue
            if (
                source == SOURCE_POLL
                and self.horizon is not None
                and message.received_at.timestamp() <= self.horizon
            ):
                # Its id may have been dropped from `seen`: it may have fired already.
                self.beyond_horizon += 1
                continue
            keys.add(key)
            fresh.append(
                Pending(
                    message_id=key,
                    sender=clean_text(message.sender)[:MAX_SENDER],
                    text=clean_text(message.text),
                    received_at=message.received_at.isoformat(),
                    source=source,
                    channel=message.channel.value,
                )
            )
        sizes = [item.size for item in fresh]
        if fresh and not forced and self._pending_bytes + sum(sizes) > PENDING_BUDGET:
            raise LedgerFullError
        for item, size in zip(fresh, sizes, strict=True):
            self._queue(item, size)
        return fresh

    def take_reports(self, reports: Iterable[DeliveryReport]) -> int:
        """Queue the reports not seen nor waiting; return how many."""
        count = 0
        for report in reports:
            key = report_key(report)
            if self.knows(key):
                self.duplicates += 1
                continue
            self._waiting.add(key)
            self.reports.append(
                DeliveryReport(
                    message_id=message_key(report.message_id),
                    recipient=clean_text(report.recipient)[:MAX_SENDER],
                    status=report.status,
                    occurred_at=report.occurred_at,
                    reason=clean_text(report.reason) if report.reason else None,
                    final=report.final,
                )
            )
            count += 1
        return count

    def take_due(self) -> tuple[list[Pending], list[DeliveryReport]]:
        """Take everything waiting, now counted as fired (seen); the caller fires it."""
        messages, reports = self.pending, self.reports
        self.pending, self.reports = [], []
        self._pending_bytes = 0
        for message in messages:
            self._waiting.discard(message.message_id)
            self.remember(message.message_id, message.received_timestamp)
        for report in reports:
            key = report_key(report)
            self._waiting.discard(key)
            self.remember(key)
        return messages, reports

    def remember(self, key: str, received: float | None = None) -> None:
        """Count `key` as fired, dropping the oldest ids beyond the budgets."""
        if key in self._seen:
            self._seen.move_to_end(key)
            return
        self._seen[key] = received
        self._seen_bytes += _seen_size(key, received)
        while len(self._seen) > MAX_SEEN or self._seen_bytes > SEEN_BUDGET:
            old, at = self._seen.popitem(last=False)
            self._seen_bytes -= _seen_size(old, at)
            if at is not None and (self.horizon is None or at > self.horizon):
                self.horizon = at

    def stored(self) -> dict[str, Any]:
        """Return the part of the inbox's storage this ledger owns."""
        return {
            "seen": [key if at is None else [key, at] for key, at in self._seen.items()],
            "pending": [message.as_dict() for message in self.pending],
            "horizon": self.horizon,
        }

    def _queue(self, message: Pending, size: int) -> None:
        self.pending.append(message)
        self._pending_bytes += size
        self._waiting.add(message.message_id)
