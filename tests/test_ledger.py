"""The ledger's rules on their own: dedupe, budgets, clean and bounded values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json

import pytest

from custom_components.sms_gateways.gateways import (
    DeliveryReport,
    DeliveryStatus,
    InboundMessage,
)
from custom_components.sms_gateways.ledger import (
    MAX_ID,
    MAX_SEEN,
    MAX_SENDER,
    PENDING_BUDGET,
    SEEN_BUDGET,
    Ledger,
    LedgerFullError,
)

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def message(message_id: str, text: str = "hi", sender: str = "+15551234567") -> InboundMessage:
    return InboundMessage(message_id=message_id, sender=sender, text=text, received_at=NOW)


def test_each_message_once_whichever_way_it_comes() -> None:
    ledger = Ledger()
    assert len(ledger.take_messages([message("a"), message("a")], "poll")) == 1
    assert ledger.take_messages([message("a")], "webhook") == []  # waiting
    ledger.take_due()
    assert ledger.take_messages([message("a")], "poll") == []  # fired
    assert ledger.duplicates == 3


def test_long_ids_are_hashed_and_values_cleaned() -> None:
    ledger = Ledger()
    (taken,) = ledger.take_messages(
        [message("x" * 65536, text="a\ud800b\x00", sender="s" * 10000)], "webhook"
    )
    assert len(taken.message_id) <= MAX_ID
    assert taken.message_id.startswith("sha256:")
    assert taken.text == "a\ufffdb\ufffd"
    assert len(taken.sender) == MAX_SENDER
    # The same long id again is the same message.
    assert ledger.take_messages([message("x" * 65536)], "poll") == []


def test_seen_is_bounded_by_count_and_bytes() -> None:
    ledger = Ledger()
    for n in range(MAX_SEEN + 100):
        ledger.remember(f"id-{n}")
    assert ledger.seen_count == MAX_SEEN
    assert not ledger.knows("id-0")  # the oldest went first
    assert ledger.knows(f"id-{MAX_SEEN + 99}")
    ledger = Ledger()
    for n in range(MAX_SEEN):
        ledger.remember(f"{n:0{MAX_ID}d}")
    assert len(json.dumps(ledger.stored()["seen"], ensure_ascii=False).encode()) <= SEEN_BUDGET
    # Control characters take six bytes each in the file: counted as such.
    ledger = Ledger()
    for n in range(MAX_SEEN):
        ledger.remember(f"{n:06d}" + "\x01" * (MAX_ID - 6))
    assert len(json.dumps(ledger.stored()["seen"], ensure_ascii=False).encode()) <= SEEN_BUDGET


def test_pushes_wait_for_room_polls_are_always_taken() -> None:
    ledger = Ledger()
    big = "m" * (PENDING_BUDGET // 8)
    for n in range(7):
        ledger.take_messages([message(f"p{n}", text=big)], "webhook")
    with pytest.raises(LedgerFullError):
        ledger.take_messages([message("one too many", text=big)], "webhook")
    assert not ledger.knows("one too many")  # not taken: the provider sends it again
    # A provider that forgets what it handed out has no other copy: taken whatever waits.
    assert len(ledger.take_messages([message("polled", text=big)], "poll", forced=True)) == 1
    messages, _ = ledger.take_due()
    assert len(messages) == 8
    assert ledger.take_messages([message("room again", text=big)], "webhook")


def test_reports_once_per_status() -> None:
    ledger = Ledger()

    def report(status: DeliveryStatus) -> DeliveryReport:
        return DeliveryReport(message_id="m1", recipient="+15551234567", status=status)

    assert ledger.take_reports([report(DeliveryStatus.SENT), report(DeliveryStatus.SENT)]) == 1
    ledger.take_due()
    assert ledger.take_reports([report(DeliveryStatus.SENT)]) == 0
    assert ledger.take_reports([report(DeliveryStatus.DELIVERED)]) == 1


def test_restore_skips_what_is_not_a_message() -> None:
    ledger = Ledger()
    ledger.restore(
        ["old", 5],
        [
            {"message_id": "p", "sender": "s", "text": "t", "received_at": "r", "source": "poll"},
            {"message_id": "no text"},
            "garbage",
            {"message_id": "old", "sender": "s", "text": "t", "received_at": "r", "source": "x"},
        ],
    )
    assert [p.message_id for p in ledger.pending] == ["p"]
    # Stored before inbound channels existed: SMS.
    assert ledger.pending[0].channel == "sms"
    assert ledger.knows("old")
    assert ledger.knows("5")


def test_a_flood_beyond_the_seen_budget_never_fires_twice() -> None:
    # A provider polled with a look-back window hands out again what was fired minutes ago.
    # Once more than MAX_SEEN ids came, the oldest ids are forgotten: a polled message received
    # before the newest forgotten one may have fired, so it is not taken again.
    ledger = Ledger()
    start = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    batch = [
        InboundMessage(f"id-{n}", "+15559876543", "t", start + timedelta(seconds=n / 100))
        for n in range(MAX_SEEN + 100)
    ]
    assert len(ledger.take_messages(batch, "poll")) == MAX_SEEN + 100
    ledger.take_due()
    assert ledger.horizon == batch[99].received_at.timestamp()
    assert ledger.take_messages(batch, "poll") == []
    assert ledger.beyond_horizon == 100
    # A message received after the horizon is still new (a late upload within the window).
    late = InboundMessage("late", "+15559876543", "t", start + timedelta(seconds=30))
    assert [p.message_id for p in ledger.take_messages([late], "poll")] == ["late"]
    # Pushes are not polls: a new push is taken whatever its time says.
    old_push = InboundMessage("push", "+15559876543", "t", start)
    assert len(ledger.take_messages([old_push], "webhook")) == 1
    # The horizon and the receive times survive a restart.
    stored = ledger.stored()
    again = Ledger()
    again.restore(stored["seen"], stored["pending"], stored["horizon"])
    assert again.horizon == ledger.horizon
    assert again.take_messages(batch, "poll") == []
