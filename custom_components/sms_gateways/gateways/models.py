"""Hold the types every gateway speaks in: options, results, messages, reports.

Frozen dataclasses and enums only, no behaviour beyond reading them: the Home Assistant side and
the provider clients exchange these and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .text import TextInfo


class Channel(StrEnum):
    """Name where SMSMobileAPI sends a message from the user's phone."""

    SMS = "sms"
    WHATSAPP = "whatsapp"
    BOTH = "both"


class DeliveryStatus(StrEnum):
    """Name the states of the `last_delivery_status` sensor (SPEC.md)."""

    PENDING = "pending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Capabilities:
    """Describe what a provider can do and its limits.

    The Home Assistant side validates with these.
    """

    max_length: int
    max_recipients_per_request: int
    # Providers that take one number a request are driven with this many requests at once.
    max_concurrent_requests: int = 1
    balance: bool = False
    balance_unit: str | None = None
    poll_inbound: bool = False
    poll_reports: bool = False
    webhook: bool = False
    signed_webhook: bool = False
    schedule: bool = False
    flash: bool = False
    unicode: bool = False
    channels: bool = False
    sender_id: bool = False
    # Phone number region assumed for a number written without a country code.
    default_region: str | None = None
    # The provider's documented number form is country code and number without `+`
    # (`91856321412`): such digits are read as international when not a national number.
    country_code_digits: bool = False


@dataclass(frozen=True, slots=True)
class SendOptions:
    """Hold the options of one send; `None`/`False` means the provider's default."""

    send_at: datetime | None = None
    flash: bool = False
    unicode: bool | None = None
    channel: Channel | None = None
    sender_id: str | None = None


@dataclass(frozen=True, slots=True)
class RecipientResult:
    """Describe what became of one recipient.

    Accepted with the provider's id, or refused with its reason.
    """

    number: str
    accepted: bool
    message_id: str | None = None
    reason: str | None = None
    code: str | None = None


@dataclass(frozen=True, slots=True)
class SendResult:
    """Hold the per-recipient outcome of one send, in the order the recipients were given."""

    results: tuple[RecipientResult, ...]
    requests: int
    text: TextInfo

    @property
    def accepted(self) -> list[RecipientResult]:
        """Return the recipients the provider accepted."""
        return [r for r in self.results if r.accepted]

    @property
    def rejected(self) -> list[RecipientResult]:
        """Return the recipients the provider (or the transport) did not accept."""
        return [r for r in self.results if not r.accepted]


@dataclass(frozen=True, slots=True)
class Balance:
    """Hold the remaining credit, in the provider's unit (a currency code, or "messages")."""

    value: float
    unit: str

    @property
    def is_currency(self) -> bool:
        """Tell whether the unit is an ISO 4217 code ("MXN"), not a count such as "messages"."""
        return is_currency(self.unit)


@dataclass(frozen=True, slots=True)
class AccountInfo:
    """Describe who the credentials belong to: `account_id` makes the config entry unique."""

    account_id: str
    name: str
    balance: Balance | None = None


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """Hold one SMS received; `message_id` is the provider's id, or a stable fingerprint."""

    message_id: str
    sender: str
    text: str
    received_at: datetime
    # SMSMobileAPI also relays WhatsApp messages received by the phone.
    channel: Channel = Channel.SMS


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """Describe what became of one message after it was sent."""

    message_id: str
    recipient: str
    status: DeliveryStatus
    occurred_at: datetime | None = None
    reason: str | None = None
    # Whether no later report will come for this message. None: decided by the status
    # (delivered, failed and rejected are final). A provider says True for a report that ends
    # the wait whatever its status (112088's -1: "no status report received", never sent again).
    final: bool | None = None

    @property
    def settled(self) -> bool:
        """Tell whether no later report is expected for this message."""
        if self.final is not None:
            return self.final
        return self.status in (
            DeliveryStatus.DELIVERED,
            DeliveryStatus.FAILED,
            DeliveryStatus.REJECTED,
        )


@dataclass(frozen=True, slots=True)
class WebhookPayload:
    """Hold what one webhook push carried."""

    messages: tuple[InboundMessage, ...] = ()
    reports: tuple[DeliveryReport, ...] = ()
    # The provider's own id of the push, for deduplicating at-least-once deliveries.
    event_id: str | None = None


def is_currency(unit: str | None) -> bool:
    """Tell whether `unit` is an ISO 4217 code ("MXN"): it reads the same in every language."""
    return unit is not None and len(unit) == 3 and unit.isalpha() and unit.isupper()
