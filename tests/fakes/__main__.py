"""Run the gateway simulator: `python -m tests.fakes [--port 8124] [--delay-ms 150 --jitter-ms 30]`."""

from __future__ import annotations

import argparse
import logging

from aiohttp import web

from tests.fakes import make_fakes
from tests.fakes.simulator import build_simulator


def main() -> None:
    """Serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8124)
    parser.add_argument(
        "--delay-ms", type=float, default=0, help="network round trip added to every answer"
    )
    parser.add_argument("--jitter-ms", type=float, default=0, help="± this much, uniformly")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    fakes = make_fakes()
    for fake in fakes.values():
        fake.state.delay, fake.state.jitter = args.delay_ms / 1000, args.jitter_ms / 1000
    web.run_app(build_simulator(fakes), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
