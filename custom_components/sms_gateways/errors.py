"""Translate gateway errors into Home Assistant errors, in one place.

Call sites never translate errors themselves: setup, the coordinators and the send path wrap their
gateway calls in `translated_errors`, and the config flow asks `flow_error`, so the same failure
reads the same everywhere and in every language.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from typing import NoReturn

from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryNotReady,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.helpers.update_coordinator import UpdateFailed

from .const import DOMAIN
from .gateways import (
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


class Stage(Enum):
    """Name where a gateway call failed: it decides what Home Assistant does next."""

    # Reauthentication, or a later retry of the setup.
    SETUP = "setup"
    # Reauthentication, or the entities unavailable until the next poll.
    UPDATE = "update"
    # The caller of an action or notify service reads why.
    ACTION = "action"


@contextmanager
def translated_errors(provider: str, stage: Stage) -> Iterator[None]:
    """Raise a gateway error of the block as the Home Assistant error `stage` calls for.

    The gateway error stays the cause, for the debug log.
    """
    try:
        yield
    except GatewayError as err:
        _raise_translated(err, provider, stage)


def _raise_translated(err: GatewayError, provider: str, stage: Stage) -> NoReturn:
    if stage is Stage.ACTION:
        raise _action_error(err, provider) from err
    placeholders = {"provider": provider, "reason": _reason(err)}
    if isinstance(err, AuthError):
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN,
            translation_key="auth_failed",
            translation_placeholders=placeholders,
        ) from err
    if stage is Stage.SETUP:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="provider_unavailable",
            translation_placeholders=placeholders,
        ) from err
    raise UpdateFailed(
        translation_domain=DOMAIN,
        translation_key="update_failed",
        translation_placeholders=placeholders,
    ) from err


def _reason(err: GatewayError) -> str:
    reason = err.reason or str(err)
    return f"{reason} ({err.code})" if err.code and err.code not in reason else reason


def _action_error(err: GatewayError, provider: str) -> HomeAssistantError:
    """Return the error a service action or notify call raises for `err`."""
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


def flow_error(err: GatewayError) -> str:
    """Return the config flow's form error for `err`."""
    if isinstance(err, AuthError):
        return "invalid_auth"
    if isinstance(err, TemporaryError):
        return "cannot_connect"
    # A refusal at validation (account locked, IP not allowed) or an answer we cannot read.
    return "unknown"
