"""Real processes for the end-to-end tests: the simulator and a `hass` in a temporary config."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
import os
from pathlib import Path
import signal
import socket
import subprocess
import sys

import pytest

ROOT = Path(__file__).parent.parent.parent

CONFIG = """
homeassistant:
  name: e2e
  time_zone: UTC
  country: MX
http:
  server_host: 127.0.0.1
  server_port: {port}
api:
websocket_api:
config:
diagnostics:
onboarding:
automation:
logger:
  default: warning
  logs:
    custom_components.sms_gateways: debug
"""


def _free_port() -> int:
    # Bound and released at once: a tiny race with other programs, acceptable for a test.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Processes:
    """The simulator and Home Assistant, with their addresses."""

    config_dir: Path
    ha_port: int
    sim_port: int
    sim: subprocess.Popen[bytes]
    hass: subprocess.Popen[bytes] | None = None

    @property
    def ha_url(self) -> str:
        """Home Assistant's address."""
        return f"http://127.0.0.1:{self.ha_port}"

    @property
    def sim_url(self) -> str:
        """The simulator's address."""
        return f"http://127.0.0.1:{self.sim_port}"

    def start_hass(self) -> None:
        """Start `hass` on this config dir (its output goes to hass.out there)."""
        with (self.config_dir / "hass.out").open("ab") as log:
            self.hass = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "homeassistant",
                    "--config",
                    str(self.config_dir),
                    "--skip-pip",
                ],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Deprecation warnings shown (Home Assistant logs them): none may name our code.
                env={
                    **os.environ,
                    "PYTHONPATH": str(ROOT),
                    "PYTHONWARNINGS": "default::DeprecationWarning",
                },
            )

    def stop_hass(self) -> None:
        """Stop `hass` as a user's Ctrl-C would (SIGTERM: it saves its stores), bounded."""
        if self.hass is not None:
            _stop(self.hass, 60)
            # Home Assistant moves its log aside at every start: keep each start's.
            current = self.config_dir / "home-assistant.log"
            if current.exists():
                with (self.config_dir / "earlier-starts.log").open("a", encoding="utf-8") as log:
                    log.write(current.read_text(encoding="utf-8", errors="replace"))
        self.hass = None

    def stop(self) -> None:
        """Stop Home Assistant, then the simulator."""
        self.stop_hass()
        _stop(self.sim, 10)

    def log(self) -> str:
        """Home Assistant's log of every start so far (debug for our integration)."""
        text = ""
        for name in ("earlier-starts.log", "home-assistant.log"):
            path = self.config_dir / name
            if path.exists():
                text += path.read_text(encoding="utf-8", errors="replace")
        return text


def deprecations_of_ours(log: str) -> list[str]:
    """Lines where Home Assistant reports a deprecated use by our code, or Python warns of one.

    Home Assistant's `frame` helper: "Detected that custom integration 'sms_gateways' ...";
    Python's warnings (captured into the log): a `DeprecationWarning` raised from our files.
    """
    return [
        line
        for line in log.splitlines()
        if "custom integration 'sms_gateways'" in line
        or ("DeprecationWarning" in line and "custom_components/sms_gateways" in line)
    ]


def _stop(process: subprocess.Popen[bytes], seconds: float) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def spawn(
    config_dir: Path, extra_config: str = "", simulator_args: Sequence[str] = ()
) -> Processes:
    """A Home Assistant config in `config_dir` and the simulator started (Home Assistant not yet).

    `simulator_args` go to `python -m tests.fakes` (e.g. `--delay-ms 150`). Used by the fixture
    below and by the real-process benchmarks.
    """
    ha_port, sim_port = _free_port(), _free_port()
    (config_dir / "configuration.yaml").write_text(CONFIG.format(port=ha_port) + extra_config)
    (config_dir / "custom_components").symlink_to(ROOT / "custom_components")
    with (config_dir / "simulator.out").open("ab") as log:
        sim = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes", "--port", str(sim_port), *simulator_args],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return Processes(config_dir, ha_port, sim_port, sim)


@pytest.fixture
def hass_extra_config() -> str:
    """YAML added to the end-to-end configuration.yaml (a test module may override it)."""
    return ""


@pytest.fixture
async def processes(
    tmp_path: Path, socket_enabled: None, hass_extra_config: str
) -> AsyncIterator[Processes]:
    """The simulator and a `hass` on free loopback ports; both stopped afterwards, always."""
    procs = spawn(tmp_path, hass_extra_config)
    try:
        procs.start_hass()
        yield procs
    finally:
        procs.stop()
    # Every end-to-end test, on every lane: zero deprecation reports naming our code.
    assert deprecations_of_ours(procs.log()) == []
