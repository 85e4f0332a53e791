"""Diagnostics: useful for a bug report, with no secret and no full phone number."""

from __future__ import annotations

import json

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from tests.common import PROVIDERS, FakeGateways, mock_entry, setup_entry

NUMBERS = {
    "enviosms": "+525512345678",
    "duanxintong": "+8613512345678",
    "smsmobileapi": "+15551234567",
    "itniotech": "+918563214123",
}


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_diagnostics(
    hass: HomeAssistant,
    gateways: FakeGateways,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
    provider: str,
) -> None:
    assert await async_setup_component(hass, "diagnostics", {})
    entry = await setup_entry(
        hass,
        mock_entry(
            gateways,
            provider,
            options={"scan_interval": 60},
            recipients={"Ana": NUMBERS[provider]},
        ),
    )
    result = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert result == snapshot(exclude=props("url", "cursor"))
    text = json.dumps(result, ensure_ascii=False)
    for field in ("password", "api_key", "api_secret", "webhook_secret", "webhook_id"):
        if value := entry.data.get(field):
            assert value not in text, field
    assert NUMBERS[provider] not in text
    assert NUMBERS[provider][-4:] in text  # masked, not dropped
