"""Real processes for the end-to-end tests: the simulator and a `hass` in a temporary config."""

from __future__ import annotations

from collections.abc import AsyncIterator
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
        return f"http://127.0.0.1:{self.ha_port}"

    @property
    def sim_url(self) -> str:
        return f"http://127.0.0.1:{self.sim_port}"

    def start_hass(self) -> None:
        log = (self.config_dir / "hass.out").open("ab")
        self.hass = subprocess.Popen(
            [sys.executable, "-m", "homeassistant", "--config", str(self.config_dir), "--skip-pip"],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )

    def stop_hass(self) -> None:
        if self.hass is not None and self.hass.poll() is None:
            self.hass.send_signal(signal.SIGTERM)
            try:
                self.hass.wait(60)
            except subprocess.TimeoutExpired:
                self.hass.kill()
                self.hass.wait(10)
        self.hass = None

    def log(self) -> str:
        path = self.config_dir / "home-assistant.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


@pytest.fixture
async def processes(tmp_path: Path, socket_enabled: None) -> AsyncIterator[Processes]:
    ha_port, sim_port = _free_port(), _free_port()
    (tmp_path / "configuration.yaml").write_text(CONFIG.format(port=ha_port))
    (tmp_path / "custom_components").symlink_to(ROOT / "custom_components")
    sim = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes", "--port", str(sim_port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    procs = Processes(tmp_path, ha_port, sim_port, sim)
    procs.start_hass()
    try:
        yield procs
    finally:
        procs.stop_hass()
        sim.terminate()
        sim.wait(10)
