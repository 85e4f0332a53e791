"""Track the last delivery status of an entry, shared by sending and receiving.

A send records `sent`/`rejected` per recipient; a delivery report (polled or pushed) moves a message on
to `delivered`/`failed`. The `last_delivery_status` sensor listens here, and report polling asks
here which message ids still wait for a report.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.util import dt as dt_util

from .gateways import DeliveryReport, DeliveryStatus, SendResult

# Enough for a day of busy sending; older ids stop being polled (they are long settled).
MAX_PENDING = 1000


@dataclass(frozen=True, slots=True)
class DeliveryState:
    """Hold what the `last_delivery_status` sensor shows."""

    status: DeliveryStatus
    message_id: str | None
    recipient: str | None
    updated_at: datetime

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON-able form, for storage and diagnostics."""
        data = asdict(self)
        data["status"] = self.status.value
        data["updated_at"] = self.updated_at.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeliveryState | None:
        """Read back what `as_dict` wrote; None for anything not understood."""
        try:
            updated_at = dt_util.parse_datetime(str(data["updated_at"]))
            if updated_at is None:
                return None
            return cls(
                DeliveryStatus(data["status"]),
                data.get("message_id"),
                data.get("recipient"),
                updated_at,
            )
        except (KeyError, ValueError, TypeError):
            return None


class DeliveryTracker:
    """Track the latest delivery state and the message ids still waiting for a report."""

    def __init__(self) -> None:
        """Start with nothing sent."""
        self.last: DeliveryState | None = None
        # message id -> recipient, oldest first, bounded.
        self.pending: OrderedDict[str, str] = OrderedDict()
        self._listeners: list[Callable[[], None]] = []

    @callback
    def async_add_listener(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call `listener` after every change; return the function that stops it."""
        self._listeners.append(listener)

        def remove() -> None:
            self._listeners.remove(listener)

        return remove

    @callback
    def record_send(self, result: SendResult) -> None:
        """Record a finished send: the last recipient's outcome becomes the state."""
        if not result.results:
            return
        now = dt_util.utcnow()
        for item in result.results:
            if item.accepted and item.message_id:
                self.pending[item.message_id] = item.number
                self.pending.move_to_end(item.message_id)
        while len(self.pending) > MAX_PENDING:
            self.pending.popitem(last=False)
        last = result.results[-1]
        self.last = DeliveryState(
            DeliveryStatus.SENT if last.accepted else DeliveryStatus.REJECTED,
            last.message_id,
            last.number,
            now,
        )
        self._notify()

    @callback
    def record_report(self, report: DeliveryReport) -> None:
        """Record a delivery report: it becomes the state; a final one ends the wait."""
        if report.settled:
            self.pending.pop(report.message_id, None)
        self.last = DeliveryState(
            report.status,
            report.message_id,
            report.recipient,
            report.occurred_at or dt_util.utcnow(),
        )
        self._notify()

    @callback
    def restore(self, state: DeliveryState | None, pending: dict[str, str]) -> None:
        """Seed from what was saved before a restart (without notifying anyone)."""
        if state is not None and self.last is None:
            self.last = state
        for message_id, recipient in pending.items():
            self.pending.setdefault(message_id, recipient)

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()
