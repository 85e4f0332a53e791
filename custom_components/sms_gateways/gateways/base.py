"""Temporary re-exports for the Home Assistant side; removed when the branches merge.

The gateway's types are in `models`, its interface in `client`, the HTTP exchange in `transport`.
"""

from __future__ import annotations

from .client import Gateway
from .models import (
    AccountInfo,
    Balance,
    Channel,
    DeliveryReport,
    DeliveryStatus,
    InboundMessage,
    SendOptions,
    SendResult,
    WebhookPayload,
    is_currency,
)
from .transport import RequestCounter, read_bounded

__all__ = [
    "AccountInfo",
    "Balance",
    "Channel",
    "DeliveryReport",
    "DeliveryStatus",
    "Gateway",
    "InboundMessage",
    "RequestCounter",
    "SendOptions",
    "SendResult",
    "WebhookPayload",
    "is_currency",
    "read_bounded",
]
