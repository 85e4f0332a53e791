"""A person's path through Home Assistant's own frontend, in Debian's Chromium.

Adds an EnvioSMS entry the way a user does (the integration's "add" link → the provider menu →
the form → success), checks it through the REST API, then opens the simulator page and sees a
message Home Assistant sent. Screenshots go to artifacts/browser/; the menu's, the form's and the
simulator's are copied to docs/screenshots/ for the README when missing there (or with
SMS_UPDATE_SCREENSHOTS=1).

Needs Playwright (requirements_test.txt) and Debian's /usr/bin/chromium (`scripts/setup-e2e`,
run by the test command; never `playwright install`). Without them the test fails saying so,
unless SMS_SKIP_BROWSER=1 asks to skip it: a browser test that skipped silently would prove nothing.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import json
import os
from pathlib import Path
import re
import shutil
import time
from typing import Any

import aiohttp
import pytest

from tests.e2e.conftest import Processes
from tests.e2e.rest import CLIENT_ID, CREDENTIALS, HomeAssistantApi

ROOT = Path(__file__).parent.parent.parent
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = ROOT / "artifacts" / "browser"
README_SCREENSHOTS = ROOT / "docs" / "screenshots"
# Chromium as root in a container: no sandbox, no GPU, nothing that calls home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STEP_TIMEOUT_MS = 30_000

pytestmark = pytest.mark.e2e


@pytest.fixture
def hass_extra_config() -> str:
    """The frontend: what a user's browser loads (the REST-only tests do without it)."""
    return "frontend:\n"


@pytest.fixture
def playwright_api() -> Any:
    """`playwright.async_api`; a failure (or with SMS_SKIP_BROWSER=1 a skip) saying what is missing."""
    missing = []
    if importlib.util.find_spec("playwright") is None:
        missing.append("Playwright for Python (scripts/setup)")
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (scripts/setup-e2e: apt-get install chromium)")
    if missing:
        reason = f"browser test needs {' and '.join(missing)}"
        if os.environ.get("SMS_SKIP_BROWSER") == "1":
            pytest.skip(reason)
        pytest.fail(f"{reason}; or set SMS_SKIP_BROWSER=1 to skip it")
    # Imported by name: the module is typed loosely on purpose (it is a test driver).
    return importlib.import_module("playwright.async_api")


class Shots:
    """Numbered screenshots of one run."""

    def __init__(self, page: Any) -> None:
        """Screenshots of `page` into artifacts/browser/."""
        self.page = page
        self.taken: dict[str, Path] = {}
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    async def take(self, name: str) -> Path:
        """Save the page as it looks now."""
        path = ARTIFACTS / f"{len(self.taken) + 1:02d}-{name}.png"
        await self.page.screenshot(path=str(path), full_page=True)
        self.taken[name] = path
        return path


def _frontend_tokens(api: HomeAssistantApi, ha_url: str) -> str:
    """What the frontend keeps in localStorage after a login, for the REST login's tokens.

    Signing in through the login form would test Home Assistant's own page, not ours; the
    frontend accepts stored tokens for its own address (`hassUrl`) until they expire.
    """
    tokens = {
        **api.tokens,
        "hassUrl": ha_url,
        "clientId": CLIENT_ID,
        "expires": int(time.time() * 1000) + int(api.tokens["expires_in"]) * 1000,
    }
    return json.dumps(tokens)


async def _remove_offline_entries(api: HomeAssistantApi) -> None:
    """Remove Radio Browser, which onboarding adds and which needs the internet: not ours to show.

    Without it every screenshot carries its red "Failed setup" card. Onboarding creates it in
    the background, so wait (bounded) for it to appear.
    """
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        entries = await api.request("GET", "/api/config/config_entries/entry")
        radio = [e for e in entries if e["domain"] == "radio_browser"]
        if radio:
            for entry in radio:
                await api.request("DELETE", f"/api/config/config_entries/entry/{entry['entry_id']}")
            return
        await asyncio.sleep(0.5)


async def _click(page: Any, *texts: str) -> None:
    """Click the dialog button labelled with one of `texts` (OK, Submit, Next, Finish)."""
    pattern = re.compile(rf"^\s*({'|'.join(re.escape(t) for t in texts)})\s*$")
    button = page.get_by_role("button", name=pattern).or_(page.get_by_text(pattern))
    await button.filter(visible=True).first.click()


def _field(page: Any, label: str) -> Any:
    """The form field labelled `label` (a required field's label may end in `*`).

    Home Assistant 2025.4's text fields are found by their label; 2026.11's carry it only as the
    input's accessible name.
    """
    name = re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$")
    return page.get_by_label(name).or_(page.get_by_role("textbox", name=name)).first


@pytest.mark.parametrize(("expected_lingering_timers", "expected_lingering_tasks"), [(True, True)])
async def test_add_entry_in_the_frontend(
    playwright_api: Any,
    processes: Processes,
    tmp_path: Path,
    expected_lingering_timers: bool,
    expected_lingering_tasks: bool,
) -> None:
    procs = processes
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        api = HomeAssistantApi(session, procs.ha_url)
        await api.wait_until_up(180)
        await api.login()
        await _remove_offline_entries(api)

        async with playwright_api.async_playwright() as playwright:
            context = await playwright.chromium.launch_persistent_context(
                str(tmp_path / "chromium-profile"),  # a fresh profile every run
                executable_path=str(CHROMIUM),
                args=CHROMIUM_ARGS,
                headless=True,
                viewport={"width": 1280, "height": 900},
                locale="en-US",
            )
            try:
                await context.add_init_script(
                    f"if (location.origin === {json.dumps(procs.ha_url)}) "
                    f"localStorage.setItem('hassTokens', {json.dumps(_frontend_tokens(api, procs.ha_url))});"
                )
                page = context.pages[0] if context.pages else await context.new_page()
                page.set_default_timeout(STEP_TIMEOUT_MS)
                shots = Shots(page)
                try:
                    await _add_entry(page, shots, procs)
                    await _see_sent_message(page, shots, api, procs)
                except Exception:
                    await shots.take("failure")
                    raise
            finally:
                await context.close()

        entries = await api.entries()
        assert [(e["title"], e["state"]) for e in entries] == [("EnvioSMS (prueba)", "loaded")]

    README_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, target in (
        ("menu", "config_flow_menu.png"),
        ("form", "config_flow.png"),
        ("simulator", "simulator.png"),
    ):
        if (
            os.environ.get("SMS_UPDATE_SCREENSHOTS") == "1"
            or not (README_SCREENSHOTS / target).exists()
        ):
            shutil.copyfile(shots.taken[name], README_SCREENSHOTS / target)


async def _add_entry(page: Any, shots: Shots, procs: Processes) -> None:
    """Settings → add SMS Gateways → EnvioSMS → credentials → success, as a user clicks it."""
    # The address of the "Add integration" link of the README and of My Home Assistant.
    await page.goto(f"{procs.ha_url}/config/integrations/dashboard/add?domain=sms_gateways")
    await page.get_by_text("Do you want to set up SMS Gateways?").first.wait_for()
    await shots.take("confirm")
    await _click(page, "OK")

    await page.get_by_text("Choose your SMS gateway").first.wait_for()
    await shots.take("menu")
    await page.get_by_text("EnvioSMS (Mexico)").first.click()

    await _field(page, "Username").fill(CREDENTIALS["enviosms"]["username"])
    await _field(page, "Password").fill(CREDENTIALS["enviosms"]["password"])
    await _field(page, "API URL").fill(f"{procs.sim_url}/enviosms")
    await shots.take("form")
    await _click(page, "Submit", "Next")

    # 2025.4 says so; 2026.11 goes on to name the new device and assign its area.
    created = page.get_by_text("Created configuration for EnvioSMS (prueba)")
    await created.or_(page.get_by_text("Name and assign")).first.wait_for()
    await shots.take("success")
    await _click(page, "Finish", "Skip and finish")

    await page.goto(f"{procs.ha_url}/config/integrations/integration/sms_gateways")
    await page.get_by_text("EnvioSMS (prueba)").first.wait_for()
    await shots.take("integration")


async def _see_sent_message(
    page: Any, shots: Shots, api: HomeAssistantApi, procs: Processes
) -> None:
    """The simulator page shows what Home Assistant sent, refreshing itself."""
    await page.goto(procs.sim_url)
    await page.locator("#enviosms").wait_for()
    await api.request(
        "POST",
        "/api/services/notify/enviosms_prueba",
        {"message": "Sent from the browser test", "target": "+525512345678"},
    )
    # The page refreshes its tables every 3 s by itself.
    await page.locator("#enviosms").get_by_text("Sent from the browser test").first.wait_for()
    await shots.take("simulator")
