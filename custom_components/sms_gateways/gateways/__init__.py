"""Talk to the SMS gateways through async clients.

No Home Assistant import anywhere in this package.

The package reads like a client library: the types in `models`, the errors in `exceptions`, the
interface in `client`, the bounded HTTP exchange in `transport`, one module per provider, and the
provider classes by key in `GATEWAYS`.
"""

from __future__ import annotations

from .client import Gateway
from .duanxintong import DuanxintongGateway
from .enviosms import EnvioSmsGateway
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
from .itniotech import ItniotechGateway
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
from .smsmobileapi import SmsMobileApiGateway

# Provider key → client class; a new provider's class is added here.
GATEWAYS: dict[str, type[Gateway]] = {
    gateway.key: gateway
    for gateway in (EnvioSmsGateway, DuanxintongGateway, SmsMobileApiGateway, ItniotechGateway)
}

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
    "DuanxintongGateway",
    "EmptyMessageError",
    "EnvioSmsGateway",
    "Gateway",
    "GatewayError",
    "InboundMessage",
    "InvalidNumberError",
    "InvalidOptionError",
    "ItniotechGateway",
    "MessageTooLongError",
    "NoRecipientsError",
    "PayloadError",
    "ProtocolError",
    "RecipientResult",
    "RefusedError",
    "SendOptions",
    "SendResult",
    "SignatureError",
    "SmsMobileApiGateway",
    "TemporaryError",
    "UnsupportedError",
    "UnsupportedOptionError",
    "ValidationError",
    "WebhookPayload",
    "is_currency",
]
