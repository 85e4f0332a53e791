"""Receiving benchmarks (run: .venv/bin/python -m bench.bench_receive).

1. Webhook POST → event on the bus: latency p50/p99 over 1000 posts to a real Home Assistant HTTP
   server, against a no-op webhook handler registered in the same run.
2. Memory after 10,000 inbound messages versus after 100: the dedupe record must stay bounded.
"""

from __future__ import annotations

import asyncio
import gc
import socket
import time
import tracemalloc
from typing import Any

import aiohttp
from aiohttp import web
from homeassistant.components import webhook
from homeassistant.core import Event, HomeAssistant
from homeassistant.setup import async_setup_component

from bench.harness import add_entry, home_assistant, percentile_ms, write
from custom_components.sms_gateways.const import EVENT_MESSAGE_RECEIVED
from custom_components.sms_gateways.inbox import MAX_SEEN
from tests.fakes.itniotech import inbound_push_body

POSTS = 1000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _noop(hass: HomeAssistant, webhook_id: str, request: web.Request) -> web.Response:
    await request.read()
    return web.Response(status=200)


async def latency() -> list[str]:
    async with home_assistant() as (hass, fakes):
        port = _free_port()
        assert await async_setup_component(
            hass, "http", {"http": {"server_host": "127.0.0.1", "server_port": port}}
        )
        await hass.async_start()
        entry = await add_entry(hass, fakes, "itniotech", options={"poll_inbound": False})
        webhook.async_register(hass, "bench", "noop", "noop-id", _noop, local_only=False)
        arrived: dict[str, float] = {}

        def on_event(event: Event[Any]) -> None:
            arrived[event.data["message_id"]] = time.perf_counter()

        hass.bus.async_listen(EVENT_MESSAGE_RECEIVED, on_event)
        base = f"http://127.0.0.1:{port}/api/webhook/"
        ours: list[float] = []
        noop: list[float] = []
        async with aiohttp.ClientSession() as session:
            for i in range(POSTS):
                body = inbound_push_body("918563214199", f"msg {i}", f"id{i}")
                start = time.perf_counter()
                async with session.post(base + "noop-id", data=body) as response:
                    await response.read()
                noop.append(time.perf_counter() - start)
                start = time.perf_counter()
                async with session.post(base + entry.data["webhook_id"], data=body) as response:
                    await response.read()
                    assert response.status == 200
                await hass.async_block_till_done()
                ours.append(arrived[f"id{i}"] - start)
        p50, p99 = percentile_ms(ours, 50), percentile_ms(ours, 99)
        n50, n99 = percentile_ms(noop, 50), percentile_ms(noop, 99)
        return [
            f"| webhook, {POSTS} posts | p50 | p99 |",
            "|---|---|---|",
            f"| no-op webhook handler (HTTP round trip) | {n50:.2f} ms | {n99:.2f} ms |",
            f"| POST → `sms_gateways_message_received` on the bus | {p50:.2f} ms | {p99:.2f} ms |",
            f"| ratio (goal p99 ≤ 10 ms and ≤ 1.5×) | {p50 / n50:.2f}× | {p99 / n99:.2f}× |",
        ]


async def memory() -> list[str]:
    rows = ["| inbound messages accepted | seen-id record | Python memory held |", "|---|---|---|"]
    async with home_assistant() as (hass, fakes):
        entry = await add_entry(hass, fakes, "itniotech", options={"poll_inbound": False})
        inbox = entry.runtime_data.inbox
        gateway = entry.runtime_data.gateway
        tracemalloc.start()
        done = 0
        for target in (100, 10_000):
            while done < target:
                payload = gateway.parse_webhook(
                    inbound_push_body("918563214199", f"message number {done}", f"id{done}"), {}
                )
                await inbox.async_accept(payload.messages, "webhook")
                done += 1
            await hass.async_block_till_done()
            gc.collect()
            current, _ = tracemalloc.get_traced_memory()
            seen = inbox.diagnostics()["seen_ids"]
            rows.append(
                f"| {target:,} | {seen:,} ids (bound {MAX_SEEN:,}) | {current / 1024:.0f} KiB |"
            )
        tracemalloc.stop()
    return rows


async def main() -> None:
    write("receive", "\n".join([*await latency(), "", *await memory()]))


if __name__ == "__main__":
    asyncio.run(main())
