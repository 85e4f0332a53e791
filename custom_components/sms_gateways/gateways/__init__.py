"""Async clients for the SMS gateways: no Home Assistant import anywhere in this package.

The provider classes are in `registry.GATEWAYS`.
"""

from __future__ import annotations

from .base import (
    AccountInfo,
    Balance,
    Capabilities,
    Channel,
    DeliveryReport,
    DeliveryStatus,
    Gateway,
    InboundMessage,
    RecipientResult,
    SendOptions,
    SendResult,
    WebhookPayload,
)
from .errors import (
    AuthError,
    GatewayError,
    PayloadError,
    ProtocolError,
    RefusedError,
    SignatureError,
    TemporaryError,
    UnsupportedError,
    ValidationError,
)

__all__ = [
    "AccountInfo",
    "AuthError",
    "Balance",
    "Capabilities",
    "Channel",
    "DeliveryReport",
    "DeliveryStatus",
    "Gateway",
    "GatewayError",
    "InboundMessage",
    "PayloadError",
    "ProtocolError",
    "RecipientResult",
    "RefusedError",
    "SendOptions",
    "SendResult",
    "SignatureError",
    "TemporaryError",
    "UnsupportedError",
    "ValidationError",
    "WebhookPayload",
]
