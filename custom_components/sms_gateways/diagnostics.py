"""Diagnostics: what a bug report needs, with every secret redacted and numbers masked."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import (
    CONF_API_KEY,
    CONF_PASSWORD,
    CONF_TOKEN,
    CONF_USERNAME,
    CONF_WEBHOOK_ID,
)
from homeassistant.core import HomeAssistant

from .const import CONF_API_SECRET, CONF_PHONE_NUMBER, CONF_WEBHOOK_SECRET
from .data import SmsGatewaysConfigEntry
from .gateways.numbers import mask

TO_REDACT = {
    CONF_PASSWORD,
    CONF_API_KEY,
    CONF_API_SECRET,
    CONF_TOKEN,
    CONF_WEBHOOK_ID,
    CONF_WEBHOOK_SECRET,
    CONF_USERNAME,
    "webhook_url",
    "unique_id",
    "title",
    "account_id",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: SmsGatewaysConfigEntry
) -> dict[str, Any]:
    """Provider, capabilities, options, coordinator states and counts; no secret."""
    data = entry.runtime_data
    coordinators: dict[str, Any] = {}
    for name, coordinator in (
        ("balance", data.balance_coordinator),
        ("inbox", data.inbox_coordinator),
    ):
        if coordinator is None:
            continue
        coordinators[name] = {
            "last_update_success": coordinator.last_update_success,
            "update_interval": str(coordinator.update_interval),
            "last_exception": repr(coordinator.last_exception)
            if coordinator.last_exception
            else None,
        }
    last = data.tracker.last
    return {
        "entry": async_redact_data(
            {"title": entry.title, "data": dict(entry.data), "options": dict(entry.options)},
            TO_REDACT,
        ),
        "provider": {
            "key": data.gateway.key,
            "name": data.gateway.name,
            "url": data.gateway.url,
            "capabilities": asdict(data.gateway.capabilities),
        },
        "recipients": [
            {"name": "**REDACTED**", "phone_number": mask(sub.data.get(CONF_PHONE_NUMBER, ""))}
            for sub in entry.subentries.values()
        ],
        "coordinators": coordinators,
        "delivery": {
            "last_status": last.status.value if last else None,
            "pending_reports": len(data.tracker.pending),
        },
        "inbox": data.inbox.diagnostics() if data.inbox is not None else None,
        "webhook": {"registered": data.webhook_url is not None},
    }
