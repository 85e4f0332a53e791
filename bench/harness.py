"""A real Home Assistant core with this integration, and the fakes on loopback, for benchmarks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
import os
from pathlib import Path
import shutil
import tempfile
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import frame
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)

from bench.report import RESULTS, ROOT, median_ms, percentile_ms, write
from tests.common import FakeGateways, mock_entry, start_fakes

__all__ = ["RESULTS", "ROOT", "add_entry", "home_assistant", "median_ms", "percentile_ms", "write"]


@asynccontextmanager
async def home_assistant() -> AsyncIterator[tuple[HomeAssistant, FakeGateways]]:
    """Home Assistant in a temporary config dir that loads custom_components from this tree."""
    config_dir = tempfile.mkdtemp(prefix="sms-bench-")
    os.symlink(ROOT / "custom_components", Path(config_dir) / "custom_components")
    fakes = await start_fakes()
    try:
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            # The test harness blocks custom integrations unless this cache is cleared (what its
            # `enable_custom_integrations` fixture does).
            hass.data.pop("custom_components", None)
            frame.async_setup(hass)
            yield hass, fakes
            await hass.async_stop(force=True)
    finally:
        await fakes.server.close()
        shutil.rmtree(config_dir, ignore_errors=True)


async def add_entry(
    hass: HomeAssistant, fakes: FakeGateways, provider: str, **kw: Any
) -> MockConfigEntry:
    """Set up an entry for `provider` against its fake."""
    entry = mock_entry(fakes, provider, **kw)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry
