"""Temporary re-exports for the Home Assistant side; removed when the branches merge.

The error hierarchy is in `exceptions`.
"""

from __future__ import annotations

from .exceptions import (
    AuthError,
    GatewayError,
    InvalidNumberError,
    ProtocolError,
    RefusedError,
    SignatureError,
    TemporaryError,
    ValidationError,
)

__all__ = [
    "AuthError",
    "GatewayError",
    "InvalidNumberError",
    "ProtocolError",
    "RefusedError",
    "SignatureError",
    "TemporaryError",
    "ValidationError",
]
