"""Pre-create one entry per provider against the local simulator (run by scripts/develop).

Waits for Home Assistant, completes onboarding on a fresh config (user "dev", password "dev"),
then runs the config flow of each provider that is not configured yet, through Home Assistant's
REST API only, with the simulator's default accounts; the polling ones poll every 15 s. The
webhook URLs the flows show are kept in config/.simulator_webhooks.json and handed to the
simulator, whose page then offers them for pushes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
import sys

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.e2e.rest import CREDENTIALS, HomeAssistantApi, simulator

WEBHOOKS = Path(__file__).resolve().parent.parent / "config" / ".simulator_webhooks.json"
POLLING = ("duanxintong", "smsmobileapi", "itniotech")


async def seed(ha_url: str, simulator_url: str, webhooks: dict[str, str]) -> dict[str, str]:
    """Onboard if needed and add the missing entries; tell the simulator the webhook URLs.

    `webhooks` are the URLs earlier runs kept; returns them with the new entries' added.
    """
    webhooks = dict(webhooks)
    async with aiohttp.ClientSession() as session:
        api = HomeAssistantApi(session, ha_url)
        await api.wait_until_up(600)
        await api.login()
        for provider in CREDENTIALS:
            try:
                entry = await api.add_entry(provider, f"{simulator_url}/{provider}")
            except RuntimeError as err:
                # The same simulator account is already there (the flow aborts): keep it.
                if "already_configured" in str(err):
                    continue
                print(f"Could not add {provider}: {err}", file=sys.stderr)
                continue
            options: dict[str, object] = {"scan_interval": 15}
            if provider in POLLING:
                options["poll_inbound"] = True
            await api.set_options(entry["entry_id"], options)
            if provider in api.webhook_urls:
                webhooks[provider] = api.webhook_urls[provider]
            print(f"Added {entry['title']} (simulator: {simulator_url}/{provider})")
        for provider, url in webhooks.items():
            try:
                await simulator(session, simulator_url, f"/_sim/{provider}/webhook", {"url": url})
            except (aiohttp.ClientError, RuntimeError) as err:
                print(f"Simulator did not take the {provider} webhook: {err}", file=sys.stderr)
        print(f"Ready: {ha_url}/config/integrations/integration/sms_gateways (dev / dev)")
    return webhooks


def main() -> None:
    """Parse the addresses and seed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ha", default="http://127.0.0.1:8123")
    parser.add_argument("--simulator", default="http://127.0.0.1:8124")
    parser.add_argument("--webhooks-file", type=Path, default=WEBHOOKS)
    args = parser.parse_args()
    path: Path = args.webhooks_file
    known = json.loads(path.read_text()) if path.exists() else {}
    webhooks = asyncio.run(seed(args.ha.rstrip("/"), args.simulator.rstrip("/"), known))
    if webhooks != known:
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(webhooks, indent=2))


if __name__ == "__main__":
    main()
