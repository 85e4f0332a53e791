"""Run the gateway simulator: `python -m tests.fakes [--host 127.0.0.1] [--port 8124]`."""

from __future__ import annotations

import argparse
import logging

from aiohttp import web

from tests.fakes.simulator import build_simulator


def main() -> None:
    """Serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8124)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    web.run_app(build_simulator(), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
