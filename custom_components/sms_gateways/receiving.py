"""Receiving: coordinators, the inbox and the webhook of an entry (placeholder until built)."""

from __future__ import annotations

from homeassistant.core import HomeAssistant

from .data import SmsGatewaysConfigEntry


async def async_setup_receiving(hass: HomeAssistant, entry: SmsGatewaysConfigEntry) -> None:
    """Start polling and the webhook."""


async def async_unload_receiving(hass: HomeAssistant, entry: SmsGatewaysConfigEntry) -> None:
    """Stop polling and the webhook."""
