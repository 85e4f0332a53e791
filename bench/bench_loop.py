"""The event loop's longest stall while the integration works (run: python -m bench.bench_loop).

A watchdog task asks to wake every millisecond and records how late it wakes: the lateness is the
longest stretch the loop spent in one go on something else. Measured during the largest send the
action allows (1,000 recipients) per provider, 1,000 webhook pushes, and a poll bringing 2,000
messages. The fakes share the loop (their own work counts too, so the figures are upper bounds).
Home Assistant's guideline: nothing in the loop for more than ~100 ms.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
import time
from typing import Any

from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from bench.harness import add_entry, home_assistant, write
from tests.fakes.itniotech import inbound_push_body

NUMBERS = {
    "enviosms": [f"+5255{n:08d}" for n in range(1000)],
    "duanxintong": [f"+86138{n:08d}" for n in range(1000)],
    "smsmobileapi": [f"+1555{n:07d}" for n in range(1000)],
    "itniotech": [f"+9185{n:08d}" for n in range(1000)],
}


async def longest_stall(work: Callable[[], Awaitable[Any]]) -> float:
    """Milliseconds of the loop's longest stall while `work` runs."""
    worst = 0.0
    running = True

    async def watchdog() -> None:
        nonlocal worst
        while running:
            asked = time.perf_counter()
            await asyncio.sleep(0.001)
            worst = max(worst, time.perf_counter() - asked - 0.001)

    dog = asyncio.create_task(watchdog())
    try:
        await work()
    finally:
        running = False
        await dog
    return worst * 1000


async def main() -> None:
    rows = ["| while | longest event-loop stall | goal |", "|---|---|---|"]
    async with home_assistant() as (hass, fakes):
        entries = {}
        for provider, numbers in NUMBERS.items():
            entry = entries[provider] = await add_entry(
                hass, fakes, provider, webhook_id=f"bench-{provider}"
            )

            async def send(entry_id: str = entry.entry_id, to: list[str] = numbers) -> None:
                await hass.services.async_call(
                    "sms_gateways",
                    "send_sms",
                    {"config_entry_id": entry_id, "recipients": to, "message": "Alarm"},
                    blocking=True,
                    return_response=True,
                )

            stall = await longest_stall(send)
            rows.append(f"| send to 1,000 recipients, {provider} | {stall:.0f} ms | ≤ 100 ms |")

        inbox = entries["itniotech"].runtime_data.inbox
        gateway = entries["itniotech"].runtime_data.gateway

        async def pushes() -> None:
            for n in range(1000):
                body = inbound_push_body("918563214199", f"push {n}")
                await inbox.async_accept_push(gateway.parse_webhook(body, {}))
            await hass.async_block_till_done()

        stall = await longest_stall(pushes)
        rows.append(
            f"| 1,000 webhook pushes, each written before its answer | {stall:.0f} ms | ≤ 100 ms |"
        )

        phone = entries["smsmobileapi"]
        for n in range(2000):
            fakes["smsmobileapi"].queue_inbound("+15559876543", f"polled {n}")

        async def poll() -> None:
            async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=61))
            await hass.async_block_till_done(wait_background_tasks=True)

        stall = await longest_stall(poll)
        fired = phone.runtime_data.inbox.fired_messages
        rows.append(
            f"| a poll bringing 2,000 messages ({fired} fired) | {stall:.0f} ms | ≤ 100 ms |"
        )
    write("loop", "\n".join(rows))


if __name__ == "__main__":
    asyncio.run(main())
