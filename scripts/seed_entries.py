"""Pre-create one entry per provider against the local simulator (run by scripts/develop).

Completes onboarding on a fresh config (user "dev", password "dev") and adds each provider that
is not configured yet. Talks to Home Assistant only through its REST API.
"""

from __future__ import annotations

import argparse
import asyncio

import aiohttp

from tests.e2e.rest import CREDENTIALS, HomeAssistantApi


async def seed(ha_url: str, simulator_url: str) -> None:
    async with aiohttp.ClientSession() as session:
        api = HomeAssistantApi(session, ha_url)
        await api.wait_until_up(300)
        await api.login()
        have = {e["title"].split(" ")[0] for e in await api.entries()}
        for provider in CREDENTIALS:
            entries = await api.entries()
            if any(simulator_url in str(e) for e in entries) and provider in have:
                continue
            try:
                entry = await api.add_entry(provider, f"{simulator_url}/{provider}")
            except RuntimeError as err:
                if "already_configured" in str(err):
                    continue
                raise
            print(f"Added {entry['title']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ha", default="http://127.0.0.1:8123")
    parser.add_argument("--simulator", default="http://127.0.0.1:8124")
    args = parser.parse_args()
    asyncio.run(seed(args.ha, args.simulator))


if __name__ == "__main__":
    main()
