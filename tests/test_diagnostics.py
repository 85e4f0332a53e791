"""Diagnostics: useful for a bug report, with no secret and no full phone number."""

from __future__ import annotations

from collections import Counter
import json
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.sms_gateways.const import DOMAIN
from tests.common import PROVIDERS, FakeGateways, mock_entry, setup_entry

NUMBERS = {
    "enviosms": "+525512345678",
    "duanxintong": "+8613512345678",
    "smsmobileapi": "+15551234567",
    "itniotech": "+918563214123",
}
CLOUDHOOK = "https://hooks.nabu.casa/secret-cloudhook-id"


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_diagnostics(
    hass: HomeAssistant,
    gateways: FakeGateways,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
    provider: str,
) -> None:
    assert await async_setup_component(hass, "diagnostics", {})
    base = mock_entry(
        gateways, provider, options={"scan_interval": 60}, recipients={"Ana": NUMBERS[provider]}
    )
    data = dict(base.data)
    if "webhook_id" in data:
        # A cloudhook URL lets anyone push to the entry: it must not leak either.
        data["cloudhook_url"] = CLOUDHOOK
    entry = await setup_entry(
        hass,
        MockConfigEntry(
            domain=DOMAIN,
            title=base.title,
            unique_id=base.unique_id,
            data=data,
            options=dict(base.options),
            subentries_data=[
                {
                    "data": dict(sub.data),
                    "subentry_type": sub.subentry_type,
                    "title": sub.title,
                    "unique_id": sub.unique_id,
                }
                for sub in base.subentries.values()
            ],
        ),
    )
    await hass.services.async_call(
        DOMAIN,
        "send_sms",
        {"config_entry_id": entry.entry_id, "recipients": [NUMBERS[provider]], "message": "hi"},
        blocking=True,
    )
    result: dict[str, Any] = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    # The fakes' loopback port, the inbox cursor (a time) and the time counted change from run to
    # run.
    assert result == snapshot(exclude=props("url", "cursor", "counted_hours"))
    text = json.dumps(result, ensure_ascii=False)
    for field in (
        "username", "password", "api_key", "api_secret", "app_id", "webhook_secret",
        "webhook_id", "cloudhook_url",
    ):  # fmt: skip
        if value := entry.data.get(field):
            assert value not in text, field
    assert entry.unique_id not in text
    assert NUMBERS[provider] not in text
    assert NUMBERS[provider][-4:] in text  # masked, not dropped
    assert "Ana" not in text
    # Every request is counted by its endpoint (a path's first segment), as the provider saw it;
    # under an hour, the rate is the count itself.
    received = Counter(r.path.split("/")[2] for r in gateways[provider].state.requests)
    assert result["traffic"]["requests"] == dict(received)
    assert result["traffic"]["requests_per_hour"] == {k: float(v) for k, v in received.items()}
    assert result["traffic"]["counted_hours"] < 1
    # The API root stays: which host the entry talks to matters in a bug report.
    assert result["entry"]["data"]["url"] == gateways.url(provider)


async def test_credentials_in_the_url_are_dropped(
    hass: HomeAssistant, gateways: FakeGateways, hass_client: ClientSessionGenerator
) -> None:
    """A proxy in front of the provider may take a user and password in its URL."""
    assert await async_setup_component(hass, "diagnostics", {})
    base = mock_entry(gateways, "duanxintong")
    proxied = gateways.url("duanxintong").replace("http://", "http://proxyuser:proxy-pass@")
    entry = await setup_entry(
        hass,
        MockConfigEntry(
            domain=DOMAIN,
            title=base.title,
            unique_id=base.unique_id,
            data={**base.data, "url": proxied},
        ),
    )
    result: dict[str, Any] = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    text = json.dumps(result, ensure_ascii=False)
    assert "proxy-pass" not in text
    assert "proxyuser" not in text
    assert result["entry"]["data"]["url"] == gateways.url("duanxintong")
    assert result["provider"]["url"] == gateways.url("duanxintong")
