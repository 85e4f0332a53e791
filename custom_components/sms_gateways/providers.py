"""Describe each provider to Home Assistant, and build its client for an entry.

The clients in `gateways/` know how to talk to a provider; what a user types in and sees (which
fields, which of them are secrets, the device's model and dashboard) belongs to this side. Adding a
provider adds one `Provider` here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .const import CONF_DEFAULT_COUNTRY, CONF_PROVIDER
from .gateways import GATEWAYS, Gateway


@dataclass(frozen=True, slots=True, kw_only=True)
class Provider:
    """Describe how one provider's entry is entered, checked and shown."""

    gateway: type[Gateway]
    # Entry fields in form order (SPEC.md names); the form always adds `url`.
    fields: tuple[str, ...]
    # Never shown again, never logged, redacted from diagnostics; asked again by reauthentication.
    secret_fields: tuple[str, ...]
    # Fields a user may leave empty.
    optional_fields: tuple[str, ...] = ()
    # Fields that name the account: not secrets, but redacted from diagnostics with them.
    account_fields: tuple[str, ...] = ()
    # Secrets the provider never sees (checked on pushes): reauthentication does not ask for them.
    unvalidated_fields: tuple[str, ...] = ()
    # The account id derives from a secret: a new key is a new id, not another account.
    account_from_secret: bool = False
    model: str
    dashboard_url: str | None = None

    @property
    def key(self) -> str:
        """Return the provider key stored in the entry (`provider`)."""
        return self.gateway.key

    @property
    def name(self) -> str:
        """Return the provider's name as users know it."""
        return self.gateway.name


PROVIDERS: dict[str, Provider] = {
    provider.key: provider
    for provider in (
        Provider(
            gateway=GATEWAYS["enviosms"],
            fields=("username", "password"),
            secret_fields=("password",),
            account_fields=("username",),
            model="API SMS v1",
            dashboard_url="https://enviosms.com.mx",
        ),
        Provider(
            gateway=GATEWAYS["duanxintong"],
            fields=("username", "password"),
            secret_fields=("password",),
            account_fields=("username",),
            model="HTTP API",
            dashboard_url="http://www.112088.net",
        ),
        Provider(
            gateway=GATEWAYS["smsmobileapi"],
            fields=("api_key", "webhook_secret"),
            secret_fields=("api_key", "webhook_secret"),
            optional_fields=("webhook_secret",),
            unvalidated_fields=("webhook_secret",),
            account_from_secret=True,
            model="Android gateway",
            dashboard_url="https://smsmobileapi.com",
        ),
        Provider(
            gateway=GATEWAYS["itniotech"],
            fields=("api_key", "api_secret", "app_id", "sender_id"),
            secret_fields=("api_key", "api_secret"),
            account_fields=("app_id",),
            optional_fields=("sender_id",),
            model="SMS API",
            dashboard_url="https://www.itniotech.com",
        ),
    )
}


def create_gateway(
    hass: HomeAssistant, data: Mapping[str, Any], options: Mapping[str, Any] | None = None
) -> Gateway:
    """Return the client for an entry's (or a flow's) data, on Home Assistant's HTTP session."""
    return PROVIDERS[data[CONF_PROVIDER]].gateway(
        async_get_clientsession(hass),
        data,
        url=data.get(CONF_URL) or None,
        default_region=(options or {}).get(CONF_DEFAULT_COUNTRY) or None,
    )
