"""The event loop of a real Home Assistant under our heaviest work, and what a message costs it.

Run: `.venv-newest-e2e/bin/python -m bench.bench_loop_real` (about 2 minutes). A real `hass` and
the gateway simulator in processes of their own; a 1,000-recipient send on each provider, a poll
bringing 2,000 messages and 1,000 webhook pushes, twice:

- with `PYTHONASYNCIODEBUG=1`: asyncio then logs every callback or task step that held the loop
  longer than 100 ms ("Executing … took …"); ours are those naming `sms_gateways`. Goal: none.
  Debug mode itself slows everything down, so these are upper bounds;
- without it: the CPU time Home Assistant's process spent per message (ours and Home Assistant's
  own work for it: HTTP, the bus, the websocket answer), and its resident memory.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
import re
import shutil
import sys
import tempfile
import time

import aiohttp

from bench.report import write
from tests.e2e.conftest import spawn
from tests.e2e.rest import HomeAssistantApi, simulator

SLOW = re.compile(r"Executing (.*) took (\d+\.\d+) seconds")
SENDS = {
    "enviosms": [f"+5255{i:08d}" for i in range(1000)],
    "duanxintong": [f"+86135{i:08d}" for i in range(1000)],
    "smsmobileapi": [f"+1555{i:07d}" for i in range(1000)],
    "itniotech": [f"+9185{i:08d}" for i in range(1000)],
}
# name, offset in the log where it started, seconds, CPU seconds of hass, messages
Phase = tuple[str, int, float, float, int]


def _slow_reports(log: str) -> tuple[list[float], list[float]]:
    """Durations of the slow-callback reports: ours, and all."""
    ours: list[float] = []
    every: list[float] = []
    for line in log.splitlines():
        if match := SLOW.search(line):
            every.append(float(match[2]))
            if "sms_gateways" in match[1]:
                ours.append(float(match[2]))
    return ours, every


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` so far (Linux `/proc`)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def run(debug: bool) -> tuple[list[Phase], bytes, list[float]]:
    """Every phase once; the phases, Home Assistant's log, its memory before and after."""
    config_dir = Path(tempfile.mkdtemp(prefix="sms-loop-"))
    procs = spawn(config_dir)
    if debug:
        os.environ["PYTHONASYNCIODEBUG"] = "1"
    else:
        os.environ.pop("PYTHONASYNCIODEBUG", None)
    phases: list[Phase] = []
    memory: list[float] = []
    log_path = config_dir / "home-assistant.log"
    try:
        async with aiohttp.ClientSession() as session:
            api = HomeAssistantApi(session, procs.ha_url)
            procs.start_hass()
            await api.wait_until_up(300)
            await api.login()
            entries = {}
            for provider in SENDS:
                await simulator(session, procs.sim_url, f"/_sim/{provider}/balance",
                                {"balance": "1000000000"})  # fmt: skip
                entries[provider] = await api.add_entry(provider, f"{procs.sim_url}/{provider}")
            await api.wait_entries_loaded(300)
            assert procs.hass is not None
            pid = procs.hass.pid
            memory.append(_rss_mib(pid))

            def begin() -> tuple[int, float, float]:
                size = log_path.stat().st_size if log_path.exists() else 0
                return size, time.monotonic(), _cpu_seconds(pid)

            def end(name: str, mark: tuple[int, float, float], count: int) -> None:
                size, started, cpu = mark
                phases.append(
                    (name, size, time.monotonic() - started, _cpu_seconds(pid) - cpu, count)
                )

            for provider, numbers in SENDS.items():
                mark = begin()
                result = await api.call_service(
                    "sms_gateways",
                    "send_sms",
                    {"config_entry_id": entries[provider]["entry_id"], "recipients": numbers,
                     "message": "Loop budget"},
                    return_response=True,
                )  # fmt: skip
                assert result["success"], result
                end(f"send to 1,000 recipients, {provider}", mark, 1000)

            # 2,000 messages listed by the phone, fetched by one poll (interval 15 s).
            smsmobileapi = entries["smsmobileapi"]["entry_id"]
            for n in range(2000):
                await simulator(session, procs.sim_url, "/_sim/smsmobileapi/inbound",
                                {"sender": "+15559876543", "text": f"poll {n}"})  # fmt: skip
            mark = begin()
            await api.set_options(smsmobileapi, {"scan_interval": 15})
            while (await api.fired_messages(smsmobileapi) or 0) < 2000:
                await asyncio.sleep(0.5)
            end("a poll bringing 2,000 messages", mark, 2000)

            # 1,000 pushes to the Itniotech webhook, 8 at a time.
            webhook = api.webhook_urls["itniotech"]
            gate = asyncio.Semaphore(8)

            async def push(n: int) -> None:
                async with gate:
                    await simulator(session, procs.sim_url, "/_sim/itniotech/inbound",
                                    {"sender": "+918563214199", "text": f"push {n}",
                                     "webhook_url": webhook})  # fmt: skip

            mark = begin()
            await asyncio.gather(*(push(n) for n in range(1000)))
            end("1,000 webhook pushes", mark, 1000)
            await asyncio.sleep(2)
            memory.append(_rss_mib(pid))
    finally:
        procs.stop()
        os.environ.pop("PYTHONASYNCIODEBUG", None)
    raw = (config_dir / "earlier-starts.log").read_bytes()
    shutil.rmtree(config_dir, ignore_errors=True)
    return phases, raw, memory


async def main() -> None:
    phases, raw, _ = await run(debug=True)
    rows = [
        "| while (asyncio debug mode) | took | reports of ours > 100 ms | longest of ours | all reports > 100 ms | longest of all |",
        "|---|---|---|---|---|---|",
    ]  # fmt: skip
    bounds = [phase[1] for phase in phases] + [len(raw)]
    for phase, start, stop in zip(phases, bounds, bounds[1:], strict=False):
        ours, every = _slow_reports(raw[start:stop].decode(errors="replace"))
        rows.append(
            f"| {phase[0]} | {phase[2]:.1f} s | {len(ours)} | "
            f"{f'{max(ours) * 1000:.0f} ms' if ours else '—'} | {len(every)} | "
            f"{f'{max(every) * 1000:.0f} ms' if every else '—'} |"
        )
    # The whole log, Home Assistant's own start included: proof that debug mode reported at all.
    ours, every = _slow_reports(raw.decode(errors="replace"))
    rows.append(
        f"| the whole run, Home Assistant's start included | | {len(ours)} | "
        f"{f'{max(ours) * 1000:.0f} ms' if ours else '—'} | {len(every)} | "
        f"{f'{max(every) * 1000:.0f} ms' if every else '—'} |"
    )
    table = "\n".join(rows) + f"\n\nPython {sys.version.split()[0]}; goal: no report of ours."
    phases, _, memory = await run(debug=False)
    rows = [
        "| Home Assistant's process, no debug mode | took | CPU per message |",
        "|---|---|---|",
    ]
    rows += [
        f"| {n} | {took:.1f} s | {cpu / count * 1e6:.0f} µs |" for n, _, took, cpu, count in phases
    ]
    table += "\n\n" + "\n".join(rows)
    table += (
        f"\n\nResident memory of Home Assistant's process: {memory[0]:.0f} MiB with the four "
        f"entries loaded, {memory[1]:.0f} MiB after 4,000 sends and 3,000 inbound messages."
    )
    write("loop_real", table)


if __name__ == "__main__":
    asyncio.run(main())
