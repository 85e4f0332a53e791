"""Building a gateway client for an entry, on Home Assistant's shared HTTP session."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .const import CONF_DEFAULT_COUNTRY, CONF_PROVIDER
from .gateways.base import Gateway
from .gateways.registry import GATEWAYS


def create_gateway(
    hass: HomeAssistant, data: Mapping[str, Any], options: Mapping[str, Any] | None = None
) -> Gateway:
    """The client for an entry's (or a flow's) data."""
    cls = GATEWAYS[data[CONF_PROVIDER]]
    return cls(
        async_get_clientsession(hass),
        data,
        url=data.get(CONF_URL) or None,
        default_region=(options or {}).get(CONF_DEFAULT_COUNTRY) or None,
    )
