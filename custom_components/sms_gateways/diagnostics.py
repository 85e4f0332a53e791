"""Report what a bug report needs, with every secret redacted and numbers masked."""

from __future__ import annotations

from dataclasses import asdict
import time
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import (
    CONF_TOKEN,
    CONF_URL,
    CONF_WEBHOOK_ID,
)
from homeassistant.core import HomeAssistant
from yarl import URL

from .cloudhook import CONF_CLOUDHOOK_URL
from .const import (
    CONF_PHONE_NUMBER,
    SUBENTRY_RECIPIENT,
)
from .data import SmsGatewaysConfigEntry
from .gateways.numbers import mask
from .gateways.transport import RequestCounter
from .providers import PROVIDERS

# Every provider's secrets and the fields that name its account (the title and unique id are made
# from them), and what Home Assistant's side adds.
TO_REDACT = {
    *(name for form in PROVIDERS.values() for name in (*form.secret_fields, *form.account_fields)),
    # EnvioSMS's session token lives in the client only; a key of its name is redacted anyway.
    CONF_TOKEN,
    CONF_WEBHOOK_ID,
    # Anyone holding a cloudhook URL can push to the entry.
    CONF_CLOUDHOOK_URL,
    "unique_id",
    "title",
    "account_id",
}


# Rates are averaged over at least this many hours: over an entry's first minutes, its start-up
# requests (the credentials check, the first polls) would read as hundreds an hour.
RATE_MIN_HOURS = 1.0


def _traffic(counter: RequestCounter) -> dict[str, Any]:
    """Return the requests made since the entry started, by endpoint, in all and per hour."""
    hours = max(0.0, time.monotonic() - counter.started) / 3600
    counts = dict(sorted(counter.counts.items()))
    return {
        "counted_hours": round(hours, 2),
        "requests": counts,
        "requests_per_hour": {
            endpoint: round(count / max(hours, RATE_MIN_HOURS), 2)
            for endpoint, count in counts.items()
        },
    }


def _safe_url(url: str) -> str:
    """Return host and path of an API root: no user info, query or fragment.

    A proxy's URL may carry a key in any of them.
    """
    parsed = URL(url)
    if parsed.user or parsed.password or parsed.query_string or parsed.fragment:
        parsed = parsed.with_user(None).with_query(None).with_fragment(None)
    return str(parsed)


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: SmsGatewaysConfigEntry
) -> dict[str, Any]:
    """Return provider, capabilities, options, coordinator states and counts; no secret."""
    runtime = entry.runtime_data
    gateway = runtime.gateway
    data = dict(entry.data)
    if CONF_URL in data:
        data[CONF_URL] = _safe_url(str(data[CONF_URL]))
    coordinators: dict[str, Any] = {}
    for name, coordinator in (
        ("balance", runtime.balance_coordinator),
        ("inbox", runtime.inbox_coordinator),
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
    balance = runtime.balance_coordinator.data if runtime.balance_coordinator else None
    last = runtime.tracker.last
    return {
        "entry": {
            "version": f"{entry.version}.{entry.minor_version}",
            "state": entry.state.value,
            "uses_default_url": gateway.url == gateway.default_url.rstrip("/"),
            **async_redact_data(
                {"title": entry.title, "data": data, "options": dict(entry.options)},
                TO_REDACT,
            ),
        },
        "provider": {
            "key": gateway.key,
            "name": gateway.name,
            "url": _safe_url(gateway.url),
            "capabilities": asdict(gateway.capabilities),
        },
        "account": {
            "balance": asdict(balance) if balance is not None else None,
        },
        "recipients": [
            {"name": "**REDACTED**", "phone_number": mask(sub.data.get(CONF_PHONE_NUMBER, ""))}
            for sub in entry.subentries.values()
            if sub.subentry_type == SUBENTRY_RECIPIENT
        ],
        "coordinators": coordinators,
        # What the entry costs in requests to the provider (endpoint: a path's first segment).
        "traffic": _traffic(gateway.requests),
        "delivery": {
            "last_status": last.status.value if last else None,
            "last_recipient": mask(last.recipient) if last and last.recipient else None,
            "pending_reports": len(runtime.tracker.pending),
        },
        "inbox": runtime.inbox.diagnostics(),
        "webhook": {
            # Whether the provider has an address to push to (external URL or cloudhook).
            "url_known": runtime.webhook_url is not None,
            "cloudhook": CONF_CLOUDHOOK_URL in entry.data,
        }
        if gateway.capabilities.webhook
        else None,
    }
