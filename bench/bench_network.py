"""Sending over a network's round trip (run: .venv/bin/python -m bench.bench_network).

The loopback benchmarks (`bench_send`) answer in well under a millisecond, so they measure our
Python, not what a user waits for. Here every fake answers only after 150 ms ± 30 ms (uniform), a
plausible round trip to a provider abroad, and 1,000 recipients go through each provider's gateway
client (what notify and `send_sms` call). Per provider:

- requests made and the concurrency the provider's `Capabilities` allow;
- the measured time against the ideal for that concurrency, `ceil(requests / concurrency) x 0.150 s`
  (goal: measured ≤ 1.25 x ideal, i.e. batching and concurrency are not lost to our own overhead);
- the time one request a number, one after another, would take: 20 such sequential single-number
  requests of the same wire format through the same gateway, their mean times 1,000 (sending 1,000
  for real would take 2.5 minutes a provider), and the speed-up of our send over that
  (goal: Itniotech and 112088 ≥ 50 x; EnvioSMS and SMSMobileAPI, one number a request by design,
  as much as their concurrency allows: ≥ concurrency / 1.25).
"""

from __future__ import annotations

import asyncio
import math
import statistics
import time
from typing import Any

import aiohttp

from bench.bench_send import NUMBERS, RECIPIENTS
from bench.harness import write
from custom_components.sms_gateways.gateways import GATEWAYS, Gateway, SendOptions
from tests.common import PROVIDERS, FakeGateways, start_fakes

DELAY = 0.150
JITTER = 0.030
TEXT = "Alarm tripped"
# Enough single-number requests for a stable mean (±30 ms uniform jitter averages to ±~4 ms over
# 20), few enough to keep the whole script under two minutes.
SEQUENTIAL_SAMPLES = 20
# A send whose ideal is a few round trips is at the mercy of one request's jitter (one Itniotech
# request alone may take 180 ms, already 1.2 x the ideal), so short sends are repeated and the
# median kept; the long ones average hundreds of round trips by themselves.
SHORT_SEND = 5.0
SHORT_SEND_RUNS = 5
CPU_RUNS = 3
RATIO_GOAL = 1.25
SPEED_UP_GOAL = {"itniotech": 50.0, "duanxintong": 50.0}
NAMES = {
    "enviosms": "EnvioSMS",
    "duanxintong": "112088",
    "smsmobileapi": "SMSMobileAPI",
    "itniotech": "Itniotech",
}
# Why each provider's batch size and concurrency are what they are, as the gateway modules (their
# `Capabilities(...)` and the comments around them) and the README give it. The modules state no
# reason for the concurrency figures themselves (5, 3, 2); these lines say so rather than invent one.
WHY = {
    "enviosms": (
        "one number a request (`POST /sms/{apikey}/{apisecret}` per number, as the API has it); "
        "5 at once, a figure the module does not justify; concurrent sends share one sign-in "
        "(`_sign_in_lock`)"
    ),
    "duanxintong": (
        "up to 100 numbers (billed parts) a request; concurrency is not set, so the default 1: "
        "its document says nothing of parallel requests (README), so its batches go one after "
        "another"
    ),
    "smsmobileapi": (
        "one number a request (comma-separated `recipients` are not documented, says the "
        "`Capabilities` comment); 3 at once, a figure the module does not justify; the user's own "
        "Android phone does the sending"
    ),
    "itniotech": (
        "up to 1000 numbers a POST, so 1,000 recipients are one request; its 2 at once would only "
        "matter beyond 1,000"
    ),
}


async def _provider(session: aiohttp.ClientSession, fakes: FakeGateways, provider: str) -> str:
    """One provider's table row."""
    fake = fakes[provider]
    # Enough credit for every run below (bench_send does the same).
    fake.balance = 1e9
    gateway = GATEWAYS[provider](session, fake.credentials, url=fakes.url(provider))
    # Signs in (EnvioSMS) and proves the credentials before anything is timed.
    await gateway.async_validate()
    capabilities = gateway.capabilities
    numbers = NUMBERS[provider]
    assert len(numbers) == RECIPIENTS

    requests = math.ceil(RECIPIENTS / capabilities.max_recipients_per_request)
    concurrency = capabilities.max_concurrent_requests
    ideal = math.ceil(requests / concurrency) * DELAY
    runs = SHORT_SEND_RUNS if ideal < SHORT_SEND else 1

    # The same send with no delay first: what is left is Python (ours and the fake's, which share
    # this process), the part of "measured" that no round trip explains.
    cpu = statistics.median(
        [await _send(gateway, fake, numbers, requests) for _ in range(CPU_RUNS)]
    )
    fake.state.delay, fake.state.jitter = DELAY, JITTER
    ours = statistics.median([await _send(gateway, fake, numbers, requests) for _ in range(runs)])

    # One number a request, one after another, same wire format and same gateway.
    options = SendOptions()
    single: list[float] = []
    for number in numbers[:SEQUENTIAL_SAMPLES]:
        start = time.perf_counter()
        await gateway._async_send_batch([gateway.format_number(number)], TEXT, options)
        single.append(time.perf_counter() - start)
    one_at_a_time = RECIPIENTS * statistics.mean(single)

    ratio = ours / ideal
    speed_up = one_at_a_time / ours
    speed_goal = SPEED_UP_GOAL.get(provider, concurrency / RATIO_GOAL)
    speed_goal_text = (
        f"≥ {speed_goal:.0f}×"
        if provider in SPEED_UP_GOAL
        else f"≥ {speed_goal:.1f}× ({concurrency} at once / {RATIO_GOAL})"
    )
    runs_text = f"median of {runs}" if runs > 1 else "1 run"
    return (
        f"| {NAMES[provider]} | {requests} | {concurrency} | {ours:.2f} s ({runs_text}) | "
        f"{cpu * 1000:.0f} ms | {ideal:.2f} s | {ratio:.2f}× {_mark(ratio <= RATIO_GOAL)} | "
        f"{one_at_a_time:.0f} s (extrapolated from {SEQUENTIAL_SAMPLES}, "
        f"mean {statistics.mean(single) * 1000:.0f} ms) | "
        f"{speed_up:.0f}× {_mark(speed_up >= speed_goal)} | {speed_goal_text} |"
    )


async def _send(gateway: Gateway, fake: Any, numbers: list[str], requests: int) -> float:
    """Seconds of one send to all `numbers`, checked to be whole."""
    served = len(fake.state.requests)
    start = time.perf_counter()
    result = await gateway.async_send(numbers, TEXT)
    elapsed = time.perf_counter() - start
    assert len(result.accepted) == RECIPIENTS, result.rejected[:3]
    # The client's count is what we report; the fake's confirms no hidden round trip (a sign-in, a
    # retry) was made on the way.
    assert result.requests == requests, (result.requests, requests)
    assert len(fake.state.requests) - served == requests
    return elapsed


def _mark(met: bool) -> str:
    return "✓" if met else "✗ not met"


async def main() -> None:
    started = time.perf_counter()
    rows = [
        (
            f"{RECIPIENTS:,} recipients a provider, every request answered after "
            f"{DELAY * 1000:.0f} ms ± {JITTER * 1000:.0f} ms:"
        ),
        "",
        (
            "| provider | requests | concurrency (capabilities) | measured | same send, no delay "
            f"(Python: ours + the fake's, median of {CPU_RUNS}) | ideal "
            f"`ceil(requests / concurrency) × {DELAY:.3f} s` | measured / ideal "
            f"(goal ≤ {RATIO_GOAL}×) | one request a number, one at a time | speed-up | "
            "speed-up goal |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    fakes = await start_fakes()
    try:
        async with aiohttp.ClientSession() as session:
            # One provider after another: a provider's run shares the loop with no other.
            rows.extend([await _provider(session, fakes, provider) for provider in PROVIDERS])
    finally:
        await fakes.server.close()
    rows += ["", "Why each provider's batching and concurrency:", ""]
    rows += [f"- {NAMES[provider]}: {WHY[provider]}." for provider in PROVIDERS]
    rows += ["", f"Run time: {time.perf_counter() - started:.0f} s."]
    write("network", "\n".join(rows))


if __name__ == "__main__":
    asyncio.run(main())
