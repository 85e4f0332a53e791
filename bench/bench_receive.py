"""Receiving benchmarks (run: .venv/bin/python -m bench.bench_receive).

1. Webhook POST → event on the bus: latency p50/p99 over 1000 posts to a real Home Assistant HTTP
   server, against a no-op webhook handler registered in the same run (posts interleaved, three
   rounds, medians of the rounds).
2. Memory after 10,000 and 20,000 inbound messages versus after 100: the dedupe record is bounded
   (`MAX_SEEN` ids per entry), so memory levels off instead of growing with every message.
"""

from __future__ import annotations

import asyncio
import gc
import socket
import statistics
import time
import tracemalloc
from typing import Any

import aiohttp
from aiohttp import web
from homeassistant.components import webhook
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.setup import async_setup_component

from bench.harness import add_entry, home_assistant, percentile_ms, write
from custom_components.sms_gateways.const import EVENT_MESSAGE_RECEIVED
from custom_components.sms_gateways.ledger import MAX_SEEN
from tests.fakes.itniotech import inbound_push_body

POSTS = 1000
ROUNDS = 3
MEMORY_STEPS = (100, 5_000, 10_000, 20_000)


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

        @callback
        def on_event(event: Event[Any]) -> None:
            arrived[event.data["message"]] = time.perf_counter()

        hass.bus.async_listen(EVENT_MESSAGE_RECEIVED, on_event)
        base = f"http://127.0.0.1:{port}/api/webhook/"
        rounds: list[dict[str, list[float]]] = []
        async with aiohttp.ClientSession() as session:
            for round_ in range(ROUNDS):
                noop: list[float] = []
                answer: list[float] = []
                event: list[float] = []
                for i in range(POSTS):
                    text = f"msg {round_}-{i}"
                    body = inbound_push_body("918563214199", text)
                    start = time.perf_counter()
                    async with session.post(base + "noop-id", data=body) as response:
                        await response.read()
                    noop.append(time.perf_counter() - start)
                    start = time.perf_counter()
                    async with session.post(base + entry.data["webhook_id"], data=body) as response:
                        await response.read()
                        assert response.status == 200
                    answer.append(time.perf_counter() - start)
                    await hass.async_block_till_done()
                    event.append(arrived[text] - start)
                rounds.append({"noop": noop, "answer": answer, "event": event})

        def pct(name: str, p: float) -> float:
            return statistics.median(percentile_ms(r[name], p) for r in rounds)

        n50, n99 = pct("noop", 50), pct("noop", 99)
        a50, a99 = pct("answer", 50), pct("answer", 99)
        e50, e99 = pct("event", 50), pct("event", 99)
        return [
            f"| webhook, {POSTS} posts × {ROUNDS} rounds (medians) | p50 | p99 | p99 ÷ no-op |",
            "|---|---|---|---|",
            f"| no-op webhook handler (HTTP round trip) | {n50:.2f} ms | {n99:.2f} ms | 1.00× |",
            f"| our webhook: POST → 200 answer | {a50:.2f} ms | {a99:.2f} ms | {a99 / n99:.2f}× |",
            (
                f"| our webhook: POST → `sms_gateways_message_received` on the bus "
                f"| {e50:.2f} ms | {e99:.2f} ms | {e99 / n99:.2f}× |"
            ),
            "| goal | | ≤ 10 ms | ≤ 1.5× |",
        ]


async def memory() -> list[str]:
    rows = [
        "| inbound messages accepted | seen-id record | Python memory held (tracemalloc) |",
        "|---|---|---|",
    ]
    async with home_assistant() as (hass, fakes):
        entry = await add_entry(hass, fakes, "itniotech", options={"poll_inbound": False})
        inbox = entry.runtime_data.inbox
        gateway = entry.runtime_data.gateway
        assert inbox is not None
        tracemalloc.start()
        done = 0
        for target in MEMORY_STEPS:
            while done < target:
                body = inbound_push_body("918563214199", f"message number {done}")
                await inbox.async_accept_push(gateway.parse_webhook(body, {}))
                done += 1
                if done % 500 == 0:
                    await hass.async_block_till_done()
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
    started = time.perf_counter()
    table = [*await latency(), "", *await memory()]
    table += ["", f"Run time: {time.perf_counter() - started:.0f} s."]
    write("receive", "\n".join(table))


if __name__ == "__main__":
    asyncio.run(main())
