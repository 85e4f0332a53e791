"""Home Assistant's start with four entries of ours: how much our integration delays it.

Run: `.venv/bin/python -m bench.bench_startup` (about 2 minutes). A real `hass` process and the
gateway simulator (`python -m tests.fakes`) in processes of their own, one entry per provider added
through the config flow, then Home Assistant started again in three situations, side by side in one
run (each twice, the median kept):

- *baseline*: our four entries disabled (what Home Assistant takes without us);
- *healthy*: providers answering after 150 ms ± 30 ms (a real round trip);
- *hanging*: every provider accepts connections and never answers.

Measured from the process start: the HTTP API answering, and Home Assistant `RUNNING` (every
integration set up, its start finished); plus Home Assistant's own setup timing of our domain
(`integration/setup_info`) and the state each entry reached. Goals (issue "Performance where users
feel it"): hanging providers delay Home Assistant's start by at most 5 s; healthy providers at
150 ms set up all four entries in at most 1 s.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
import shutil
import statistics
import sys
import tempfile
import time
from typing import Any

import aiohttp

from bench.report import write
from tests.e2e.conftest import Processes, spawn
from tests.e2e.rest import HomeAssistantApi, simulator
from tests.fakes import make_fakes

REPEATS = 2
PROVIDERS = list(make_fakes())


async def _start(procs: Processes, session: aiohttp.ClientSession) -> dict[str, Any]:
    """Start `hass`; seconds to the API answering and to RUNNING, our setup timing, states."""
    api = HomeAssistantApi(session, procs.ha_url)
    started = time.monotonic()
    procs.start_hass()
    await api.wait_until_up(180)
    up = time.monotonic() - started
    await api.login()
    while (await api.request("GET", "/api/config"))["state"] != "RUNNING":
        await asyncio.sleep(0.1)
    running = time.monotonic() - started
    timings = {
        t["domain"]: t["seconds"] for t in await api.ws_command({"type": "integration/setup_info"})
    }
    states = sorted({e["state"] for e in await api.entries() if not e["disabled_by"]})
    procs.stop_hass()
    return {"up": up, "running": running, "ours": timings.get("sms_gateways"), "states": states}


async def _set_disabled(procs: Processes, api: HomeAssistantApi, disabled: bool) -> None:
    """Disable (or enable) our entries in a start of its own, then stop Home Assistant."""
    procs.start_hass()
    await api.wait_until_up(180)
    await api.login()
    # Once Home Assistant runs: an entry enabled while it starts may be set up twice.
    while (await api.request("GET", "/api/config"))["state"] != "RUNNING":
        await asyncio.sleep(0.2)
    for entry in await api.entries():
        await api.ws_command(
            {
                "type": "config_entries/disable",
                "entry_id": entry["entry_id"],
                "disabled_by": "user" if disabled else None,
            }
        )
    want = "user" if disabled else None
    if any(e["disabled_by"] != want for e in await api.entries()):
        raise RuntimeError(f"entries not {'disabled' if disabled else 'enabled'}")
    procs.stop_hass()


async def main() -> None:
    config_dir = Path(tempfile.mkdtemp(prefix="sms-startup-"))
    procs = spawn(config_dir, simulator_args=("--delay-ms", "150", "--jitter-ms", "30"))
    results: dict[str, list[dict[str, Any]]] = {"baseline": [], "healthy": [], "hanging": []}
    try:
        async with aiohttp.ClientSession() as session:
            api = HomeAssistantApi(session, procs.ha_url)
            procs.start_hass()
            await api.wait_until_up(180)
            await api.login()
            for provider in PROVIDERS:
                await api.add_entry(provider, f"{procs.sim_url}/{provider}")
            await api.wait_entries_loaded(120)
            if len(await api.entries()) != len(PROVIDERS):
                raise RuntimeError(f"entries: {await api.entries()}")
            # The new entries reach the disk with Home Assistant's delayed save.
            await asyncio.sleep(15)
            procs.stop_hass()
            for _ in range(REPEATS):
                for name, runs in results.items():
                    for provider in PROVIDERS:
                        fault = "hang" if name == "hanging" else "none"
                        await simulator(session, procs.sim_url, f"/_sim/{provider}/fault",
                                        {"fault": fault})  # fmt: skip
                    if name == "baseline":
                        await _set_disabled(procs, api, True)
                    runs.append(await _start(procs, session))
                    if name == "baseline":
                        await _set_disabled(procs, api, False)
    finally:
        procs.stop()
        if "--keep" in sys.argv:
            print(f"config kept in {config_dir}")
        else:
            shutil.rmtree(config_dir, ignore_errors=True)

    def median(name: str, key: str) -> float:
        return statistics.median(r[key] for r in results[name])

    base = median("baseline", "running")
    rows = [
        "| start of Home Assistant (median of 2) | API answering | RUNNING | added by our four entries (goal) | our setup timing | entries |",
        "|---|---|---|---|---|---|",
    ]  # fmt: skip
    for name, goal in (("baseline", ""), ("healthy", "—"), ("hanging", "≤ 5 s")):
        ours = [r["ours"] for r in results[name] if r["ours"] is not None]
        added = "—" if name == "baseline" else f"{median(name, 'running') - base:+.1f} s"
        rows.append(
            f"| {name} | {median(name, 'up'):.1f} s | {median(name, 'running'):.1f} s "
            f"| {added}{f' ({goal})' if goal and goal != '—' else ''} "
            f"| {statistics.median(ours):.2f} s | {', '.join(results[name][-1]['states'])} |"
            if ours
            else f"| {name} | {median(name, 'up'):.1f} s | {median(name, 'running'):.1f} s "
            f"| {added} | — | {', '.join(results[name][-1]['states']) or 'disabled'} |"
        )
    table = "\n".join(rows)
    table += (
        f"\n\nPython {sys.version.split()[0]}; healthy providers answer after 150 ± 30 ms. "
        '"our setup timing" is Home Assistant\'s own figure for the domain (integration/setup_info); '
        "goal for healthy providers: all four entries set up in ≤ 1 s."
    )
    write("startup", table)


if __name__ == "__main__":
    asyncio.run(main())
