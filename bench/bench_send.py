"""Sending benchmarks against the fakes on loopback (run: .venv/bin/python -m bench.bench_send).

1. One SMS through the legacy notify service of a real Home Assistant, versus one raw aiohttp
   request of the same wire format (Itniotech's signed POST): the CPU our path adds per SMS
   (Home Assistant's service call included), in microseconds: our median minus the raw median.
   No ratio and no goal: a loopback request takes a fraction of a millisecond, so a ratio to it
   says nothing of what a user waits for; `bench_network` measures that, over a round trip.
2. 1000 recipients on each provider through the gateway client (what notify and send_sms call),
   versus a sequential one-request-per-number loop of the same wire format, and versus blocking
   `requests` calls in an executor, one per number (how core's SMS notifiers send); with the fakes
   in this process, then in a process of their own (`python -m tests.fakes`).
3. Peak Python memory (tracemalloc) of a 1000-recipient send.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
import hashlib
import socket
import statistics
import sys
import time
import tracemalloc
from typing import Any

import aiohttp
import requests

from bench.harness import ROOT, add_entry, home_assistant, median_ms, write
from custom_components.sms_gateways.gateways import GATEWAYS
from tests.common import PROVIDERS

REPEATS = 200
RECIPIENTS = 1000
NUMBERS = {
    "enviosms": [f"+5255{i:08d}" for i in range(RECIPIENTS)],
    "duanxintong": [f"+86135{i:08d}" for i in range(RECIPIENTS)],
    "smsmobileapi": [f"+1555{i:07d}" for i in range(RECIPIENTS)],
    "itniotech": [f"+9185{i:08d}" for i in range(RECIPIENTS)],
}


def _itniotech_headers(credentials: dict[str, str]) -> dict[str, str]:
    timestamp = str(int(time.time()))
    sign = hashlib.md5(  # noqa: S324
        f"{credentials['api_key']}{credentials['api_secret']}{timestamp}".encode()
    ).hexdigest()
    return {"Api-Key": credentials["api_key"], "Timestamp": timestamp, "Sign": sign}


async def one_sms() -> list[str]:
    async with home_assistant() as (hass, fakes):
        fakes["itniotech"].balance = 1e9
        await add_entry(hass, fakes, "itniotech")
        url = fakes.url("itniotech") + "/sendSms"
        credentials = fakes["itniotech"].credentials
        raw: list[float] = []
        ours: list[float] = []
        async with aiohttp.ClientSession() as session:
            for _ in range(REPEATS):
                start = time.perf_counter()
                body = {"appId": credentials["app_id"], "numbers": "918563214123", "content": "hi",
                        "orderId": "x"}  # fmt: skip
                async with session.post(
                    url, json=body, headers=_itniotech_headers(credentials)
                ) as r:
                    await r.read()
                raw.append(time.perf_counter() - start)
                start = time.perf_counter()
                await hass.services.async_call(
                    "notify",
                    "itniotech_demo_app",
                    {"message": "hi", "target": "+918563214123"},
                    blocking=True,
                )
                ours.append(time.perf_counter() - start)
        overhead = (statistics.median(ours) - statistics.median(raw)) * 1e6
        return [
            "| one SMS on loopback | median | µs of our code per SMS |",
            "|---|---|---|",
            f"| raw aiohttp request, same wire format | {median_ms(raw):.2f} ms | — |",
            f"| notify service in Home Assistant | {median_ms(ours):.2f} ms | {overhead:.0f} µs |",
        ]


def _blocking_loop(url_for: Any, numbers: list[str]) -> None:
    with requests.Session() as session:
        for number in numbers:
            method, url, kwargs = url_for(number)
            session.request(method, url, timeout=10, **kwargs).content  # noqa: B018


async def many() -> list[str]:
    rows = [
        (
            f"| {RECIPIENTS} recipients | fakes | requests | gateway client | sequential loop | "
            "speed-up | blocking `requests` in executor | speed-up |"
        ),
        "|---|---|---|---|---|---|---|---|",
    ]
    async with home_assistant() as (hass, fakes), aiohttp.ClientSession() as session:
        for provider in PROVIDERS:
            fake = fakes[provider]
            fake.balance = 1e9

            async def served(fake: Any = fake) -> int:
                return len(fake.state.requests)

            row = await _many(
                hass,
                session,
                provider,
                url=fakes.url(provider),
                credentials=fake.credentials,
                served=served,
            )
            rows.append(f"| {provider} | same process | {row}")
        # The same fakes in a process of their own: their work no longer shares our event loop,
        # as a real provider's does not.
        async with _simulator_process() as simulator:
            for provider in PROVIDERS:
                await _sim(session, f"{simulator}/_sim/{provider}/balance", {"balance": 1e9})
                state = await _sim(session, f"{simulator}/_sim/state")

                async def counted(provider: str = provider) -> int:
                    state = await _sim(session, f"{simulator}/_sim/state")
                    return int(state[provider]["requests"])

                url = f"{simulator}/{provider}"
                credentials = state[provider]["credentials"]
                row = await _many(
                    hass, session, provider, url=url, credentials=credentials, served=counted
                )
                rows.append(f"| {provider} | own process | {row}")
    return rows


async def _many(
    hass: Any,
    session: aiohttp.ClientSession,
    provider: str,
    *,
    url: str,
    credentials: dict[str, str],
    served: Callable[[], Awaitable[int]],
) -> str:
    """One provider's row: the client, a sequential loop and a blocking loop, same wire format."""
    gateway = GATEWAYS[provider](session, credentials, url=url)
    await gateway.async_validate()
    numbers = NUMBERS[provider]
    before = await served()
    start = time.perf_counter()
    result = await gateway.async_send(numbers, "Alarm tripped")
    ours = time.perf_counter() - start
    assert len(result.accepted) == RECIPIENTS, result.rejected[:3]
    requests_made = await served() - before
    # The same wire format, one number a request, one after another.
    start = time.perf_counter()
    for number in numbers:
        await gateway._async_send_batch(
            [gateway.format_number(number)], "Alarm tripped", _options()
        )
    sequential = time.perf_counter() - start
    # What a blocking notifier does: one `requests` call a number, in an executor.
    call = _blocking_call(provider, url, credentials)
    start = time.perf_counter()
    await hass.async_add_executor_job(
        _blocking_loop, call, [gateway.format_number(n) for n in numbers]
    )
    blocking = time.perf_counter() - start
    return (
        f"{requests_made} | {ours * 1000:.0f} ms | {sequential * 1000:.0f} ms | "
        f"{sequential / ours:.1f}× | {blocking * 1000:.0f} ms | {blocking / ours:.1f}× |"
    )


@asynccontextmanager
async def _simulator_process() -> AsyncIterator[str]:
    """`python -m tests.fakes` on a free port; its address. Stopped afterwards, always."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakes",
        "--port",
        str(port),
        cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            deadline = time.monotonic() + 30
            while True:
                try:
                    await _sim(session, f"{base}/_sim/state")
                    break
                except aiohttp.ClientError:
                    if time.monotonic() > deadline:
                        raise
                    await asyncio.sleep(0.2)
        yield base
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)


async def _sim(session: aiohttp.ClientSession, url: str, body: Any = None) -> Any:
    method = "GET" if body is None else "POST"
    timeout = aiohttp.ClientTimeout(total=10)
    async with session.request(method, url, json=body, timeout=timeout) as response:
        response.raise_for_status()
        return await response.json()


def _options() -> Any:
    from custom_components.sms_gateways.gateways import SendOptions

    return SendOptions()


def _blocking_call(provider: str, root: str, credentials: dict[str, str]) -> Any:
    if provider == "enviosms":
        # The keys the fake hands out after sign-in (fixed in the fake).
        return lambda n: (
            "POST",
            f"{root}/sms/O347AAA1/CZYAADC3QXFVZ",
            {"json": {"to": n, "text": "Alarm tripped"}},
        )
    if provider == "duanxintong":
        return lambda n: ("GET", f"{root}/sendsms_txt.asp", {"params": {
            "us_name": credentials["username"], "us_pwd": credentials["password"],
            "send_phone": n, "send_content": "Alarm tripped"}})  # fmt: skip
    if provider == "smsmobileapi":
        return lambda n: ("POST", f"{root}/sendsms/", {"data": {
            "apikey": credentials["api_key"], "recipients": n, "message": "Alarm tripped"}})  # fmt: skip
    return lambda n: ("POST", f"{root}/sendSms", {
        "json": {"appId": credentials["app_id"], "numbers": n, "content": "Alarm tripped"},
        "headers": _itniotech_headers(credentials)})  # fmt: skip


async def memory() -> list[str]:
    rows = ["| 1000-recipient send | peak Python memory |", "|---|---|"]
    async with home_assistant() as (_, fakes), aiohttp.ClientSession() as session:
        for provider in PROVIDERS:
            fake = fakes[provider]
            fake.balance = 1e9
            gateway = GATEWAYS[provider](session, fake.credentials, url=fakes.url(provider))
            await gateway.async_validate()
            tracemalloc.start()
            await gateway.async_send(NUMBERS[provider], "Alarm tripped")
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            rows.append(f"| {provider} | {peak / 1024 / 1024:.1f} MiB |")
    return rows


async def main() -> None:
    table = "\n".join([*await one_sms(), "", *await many(), "", *await memory()])
    write("send", table)


if __name__ == "__main__":
    asyncio.run(main())
