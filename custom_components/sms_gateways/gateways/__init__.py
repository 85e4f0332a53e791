"""Async clients for the SMS gateways: no Home Assistant import anywhere in this package.

The package reads like a client library: the types in `models`, the errors in `exceptions`, the
interface in `client`, the bounded HTTP exchange in `transport`, one module per provider, and the
provider classes by key in `GATEWAYS`.
"""

from __future__ import annotations

from .client import Gateway
from .exceptions import (
    AmbiguousNumberError,
    AuthError,
    EmptyMessageError,
    GatewayError,
    InvalidNumberError,
    InvalidOptionError,
    MessageTooLongError,
    NoRecipientsError,
    PayloadError,
    ProtocolError,
    RefusedError,
    SignatureError,
    TemporaryError,
    UnsupportedError,
    UnsupportedOptionError,
    ValidationError,
)
from .models import (
    AccountInfo,
    Balance,
    Capabilities,
    Channel,
    DeliveryReport,
    DeliveryStatus,
    InboundMessage,
    RecipientResult,
    SendOptions,
    SendResult,
    WebhookPayload,
    is_currency,
)
from .registry import GATEWAYS

__all__ = [
    "GATEWAYS",
    "AccountInfo",
    "AmbiguousNumberError",
    "AuthError",
    "Balance",
    "Capabilities",
    "Channel",
    "DeliveryReport",
    "DeliveryStatus",
    "EmptyMessageError",
    "Gateway",
    "GatewayError",
    "InboundMessage",
    "InvalidNumberError",
    "InvalidOptionError",
    "MessageTooLongError",
    "NoRecipientsError",
    "PayloadError",
    "ProtocolError",
    "RecipientResult",
    "RefusedError",
    "SendOptions",
    "SendResult",
    "SignatureError",
    "TemporaryError",
    "UnsupportedError",
    "UnsupportedOptionError",
    "ValidationError",
    "WebhookPayload",
    "is_currency",
]
