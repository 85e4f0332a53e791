"""Fixtures of the gateway tests."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from tests.gateways.echo import EchoFake, EchoGateway


@pytest.fixture
async def echo(serve: Any, session: aiohttp.ClientSession) -> tuple[EchoFake, EchoGateway]:
    fake = EchoFake()
    url = await serve(fake)
    return fake, EchoGateway(session, {"api_key": "good"}, url=url, timeout=0.3)
