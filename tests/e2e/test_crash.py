"""Crash test: a real `hass` killed with SIGKILL at awkward moments; every message fires once.

A witness counts what fired: an automation calls a `rest_command` that posts each
`sms_gateways_message_received` to a server in this test. After each kill Home Assistant starts
again and the witness must have every message exactly once:
- right after a push was answered 200, with polling off (the push is the only copy) and on (the
  provider also lists the message, so the poll after the restart brings it again);
- while Home Assistant starts, with pushes arriving before automations are listening;
- during a 112088 poll (112088 forgets what it handed out): right after its answer, and once our
  write of what it handed out is in the file.
`twice` must be 0 everywhere. A message can be lost only in the window the README documents: a
kill between the write that records a message as fired and the automation's run (the event bus
is in memory), at most the message being fired at that instant; or, for 112088, between its answer
and our write of what it handed out. Figures go to `artifacts/crash.md`.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
import json
import signal
import time
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
import pytest

from tests.e2e.conftest import ROOT, Processes
from tests.e2e.rest import HomeAssistantApi, simulator

PER_SCENARIO = 30


class Witness:
    """What the automation reported as fired, by message text."""

    def __init__(self) -> None:
        self.fired: Counter[str] = Counter()

    async def handle(self, request: web.Request) -> web.Response:
        data = await request.json()
        self.fired[str(data["text"])] += 1
        return web.Response()


@pytest.fixture
async def witness(socket_enabled: None) -> AsyncIterator[tuple[Witness, int]]:
    """The witness's server on a free loopback port."""
    seen = Witness()
    app = web.Application()
    app.router.add_post("/fired", seen.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield seen, int(server.port or 0)
    await server.close()


@pytest.fixture
def hass_extra_config(witness: tuple[Witness, int]) -> str:
    """A rest_command and an automation that report each inbound message to the witness."""
    return f"""
rest_command:
  witness:
    url: "http://127.0.0.1:{witness[1]}/fired"
    method: post
    content_type: "application/json"
    payload: '{{{{ {{"text": text}} | to_json }}}}'
automation witness:
  - alias: witness
    mode: parallel
    max: 10000
    triggers:
      - trigger: event
        event_type: sms_gateways_message_received
    actions:
      - action: rest_command.witness
        data:
          text: "{{{{ trigger.event.data.message }}}}"
"""


async def _kill(procs: Processes) -> None:
    """SIGKILL, as a power cut would; the log of that run is kept."""
    assert procs.hass is not None
    procs.hass.send_signal(signal.SIGKILL)
    await asyncio.get_running_loop().run_in_executor(None, procs.hass.wait)
    procs.stop_hass()


async def _start(procs: Processes, api: HomeAssistantApi) -> None:
    procs.start_hass()
    await api.wait_until_up(180)
    await api.login()
    await api.wait_entries_loaded(120)
    await api.wait_running()


async def _settle(witness: Witness, texts: list[str], seconds: float = 60) -> None:
    """Until each text was witnessed (or time is up), then a little more for late repeats."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(witness.fired[t] == 0 for t in texts):
        await asyncio.sleep(0.2)
    await asyncio.sleep(3)


def _write_report(report: str) -> None:
    path = ROOT / "artifacts" / "crash.md"
    path.parent.mkdir(exist_ok=True)
    path.write_text(f"# Crash test (tests/e2e/test_crash.py)\n\n{report}\n", encoding="utf-8")


def _count(witness: Witness, texts: list[str]) -> dict[str, Any]:
    return {
        "lost": [t for t in texts if witness.fired[t] == 0],
        "twice": [t for t in texts if witness.fired[t] > 1],
    }


@pytest.mark.timeout(900)
@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_kill_9_loses_nothing_and_repeats_nothing(
    processes: Processes,
    witness: tuple[Witness, int],
    expected_lingering_timers: bool,
    capsys: pytest.CaptureFixture[str],
) -> None:
    procs, (seen, _) = processes, witness
    results: dict[str, dict[str, Any]] = {}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:

        async def sim(path: str, body: dict[str, Any] | None = None) -> Any:
            return await simulator(session, procs.sim_url, path, body)

        api = HomeAssistantApi(session, procs.ha_url)
        await api.wait_until_up(180)
        await api.login()
        itniotech = await api.add_entry("itniotech", f"{procs.sim_url}/itniotech")
        duanxintong = await api.add_entry("duanxintong", f"{procs.sim_url}/duanxintong")
        await api.set_options(itniotech["entry_id"], {"scan_interval": 15, "poll_inbound": False})
        await api.set_options(duanxintong["entry_id"], {"scan_interval": 15})

        async def set_polling(on: bool) -> None:
            await api.wait_running()
            await api.set_options(itniotech["entry_id"], {"scan_interval": 15, "poll_inbound": on})
            # Home Assistant writes its config entries a moment later: a clean stop writes them
            # now, so a kill tests our storage, not Home Assistant's.
            procs.stop_hass()
            await _start(procs, api)

        await set_polling(False)

        async def push(texts: list[str], *, listed: bool) -> None:
            for text in texts:
                body = {
                    "sender": "+918563214199",
                    "text": text,
                    "webhook_url": api.webhook_urls["itniotech"],
                    "also_queue": "1" if listed else "",
                }
                assert await sim("/_sim/itniotech/inbound", body) == {"pushed": 200}, text

        async def kill_and_count(name: str, texts: list[str], settle: float = 60) -> None:
            await _kill(procs)
            await _start(procs, api)
            await _settle(seen, texts, settle)
            results[name] = _count(seen, texts)

        # 1. Right after a 200, polling off: the push is the only copy.
        texts = [f"push-only {n}" for n in range(PER_SCENARIO)]
        await push(texts, listed=False)
        await kill_and_count("after a 200, polling off", texts)

        # 2. Right after a 200, polling on: the provider lists them too, and the first poll
        # after the restart brings them all again.
        await set_polling(True)
        texts = [f"push-and-poll {n}" for n in range(PER_SCENARIO)]
        await push(texts, listed=True)
        await kill_and_count("after a 200, polling on", texts)

        # 3. During start-up: pushed as soon as the webhook answers, killed right after.
        await _kill(procs)
        procs.start_hass()
        await api.wait_until_up(180)
        await api.login()
        await api.wait_entries_loaded(120)
        texts = [f"while starting {n}" for n in range(PER_SCENARIO)]
        await push(texts, listed=False)
        await kill_and_count("during start-up", texts)

        # 4. During a 112088 poll: queued, fetched by the first poll of a start, and killed as
        # soon as the provider has handed them out (and forgotten them): inside the window
        # between its answer and our write, the batch is lost (measured, documented); killed
        # once our write is on disk (seen in the file, however long a busy machine takes),
        # nothing is lost.
        inbox_file = procs.config_dir / ".storage" / f"sms_gateways.{duanxintong['entry_id']}.inbox"

        async def written(texts: list[str]) -> None:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                stored = inbox_file.read_text(encoding="utf-8") if inbox_file.exists() else ""
                if all(json.dumps(t, ensure_ascii=False) in stored or seen.fired[t] for t in texts):
                    return
                await asyncio.sleep(0.05)

        for name, after_write in (("in 112088's window", False), ("after a 112088 poll", True)):
            await _kill(procs)
            texts = [f"112088 {name} {n}" for n in range(PER_SCENARIO)]
            for text in texts:
                await sim("/_sim/duanxintong/inbound", {"sender": "13798361236", "text": text})
            procs.start_hass()
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                state = await sim("/_sim/state")
                if not state["duanxintong"]["inbound_queue"]:
                    break
                await asyncio.sleep(0.01)
            if after_write:
                await written(texts)
            await kill_and_count(name, texts, settle=60 if after_write else 30)

    report = "\n".join(
        [
            "| kill -9 | messages | fired once | lost | fired twice |",
            "|---|---|---|---|---|",
            *(
                f"| {name} | {PER_SCENARIO} | {PER_SCENARIO - len(r['lost']) - len(r['twice'])} "
                f"| {len(r['lost'])} | {len(r['twice'])} |"
                for name, r in results.items()
            ),
        ]
    )
    _write_report(report)
    with capsys.disabled():
        print(f"\n{report}\n{json.dumps(results, ensure_ascii=False)}")  # noqa: T201
    for name, r in results.items():
        assert r["twice"] == [], name
        if name == "in 112088's window":
            # The provider forgot them when it answered: all or nothing, never a part.
            assert len(r["lost"]) in (0, PER_SCENARIO), r["lost"]
        else:
            # At most the message being fired at the instant of the kill (see the module's doc).
            assert len(r["lost"]) <= 1, (name, r["lost"])
