"""The one place where gateway errors become Home Assistant errors.

Call sites never translate errors themselves: services, notify, coordinators, setup and the config
flow all come through here, so the same failure reads the same everywhere and in every language.
"""

from __future__ import annotations

from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryNotReady,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.helpers.update_coordinator import UpdateFailed

from .const import DOMAIN
from .gateways.errors import (
    AuthError,
    GatewayError,
    ProtocolError,
    RefusedError,
    TemporaryError,
    ValidationError,
)

_ACTION_KEYS: tuple[tuple[type[GatewayError], str], ...] = (
    (AuthError, "auth_failed"),
    (TemporaryError, "provider_unavailable"),
    (RefusedError, "provider_refused"),
    (ProtocolError, "provider_protocol"),
)


def _reason(err: GatewayError) -> str:
    reason = err.reason or str(err)
    return f"{reason} ({err.code})" if err.code and err.code not in reason else reason


def action_error(err: GatewayError, provider: str) -> HomeAssistantError:
    """The error a service action or notify call raises for `err`."""
    if isinstance(err, ValidationError):
        return ServiceValidationError(
            str(err),
            translation_domain=DOMAIN,
            translation_key=err.key,
            translation_placeholders={"provider": provider, **err.placeholders},
        )
    key = next((key for cls, key in _ACTION_KEYS if isinstance(err, cls)), "provider_error")
    return HomeAssistantError(
        f"{provider}: {_reason(err)}",
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={"provider": provider, "reason": _reason(err)},
    )


def setup_error(err: GatewayError, provider: str) -> HomeAssistantError:
    """The error `async_setup_entry` raises: reauthentication or a later retry."""
    placeholders = {"provider": provider, "reason": _reason(err)}
    if isinstance(err, AuthError):
        return ConfigEntryAuthFailed(
            translation_domain=DOMAIN,
            translation_key="auth_failed",
            translation_placeholders=placeholders,
        )
    return ConfigEntryNotReady(
        translation_domain=DOMAIN,
        translation_key="provider_unavailable",
        translation_placeholders=placeholders,
    )


def update_error(err: GatewayError, provider: str) -> HomeAssistantError:
    """The error a coordinator raises: reauthentication, or unavailable until the next poll."""
    placeholders = {"provider": provider, "reason": _reason(err)}
    if isinstance(err, AuthError):
        return ConfigEntryAuthFailed(
            translation_domain=DOMAIN,
            translation_key="auth_failed",
            translation_placeholders=placeholders,
        )
    return UpdateFailed(
        translation_domain=DOMAIN,
        translation_key="update_failed",
        translation_placeholders=placeholders,
    )


def flow_error(err: GatewayError) -> str:
    """The config flow's form error for `err`."""
    if isinstance(err, AuthError):
        return "invalid_auth"
    if isinstance(err, TemporaryError):
        return "cannot_connect"
    # A refusal at validation (account locked, IP not allowed) or an answer we cannot read.
    return "unknown"
