"""The simulator: its page, its JSON controls, and pushes to a Home Assistant webhook."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.sms_gateways.const import EVENT_MESSAGE_RECEIVED
from tests.common import mock_entry, setup_entry
from tests.fakes import make_fakes
from tests.fakes.simulator import build_simulator


async def test_page_and_controls(socket_enabled: None) -> None:
    fakes = make_fakes()
    async with TestClient(TestServer(build_simulator(fakes), host="127.0.0.1")) as client:
        page = await client.get("/")
        text = await page.text()
        assert page.status == 200
        for provider in fakes:
            assert f'id="{provider}"' in text
        response = await client.post(
            "/_sim/duanxintong/inbound", json={"sender": "13798361236", "text": "你好"}
        )
        assert (await response.json())["queued"]
        await client.post("/_sim/enviosms/fault", json={"fault": "http_500"})
        assert (await client.get("/enviosms/auth/prueba/prueba-password")).status == 500
        await client.post("/_sim/itniotech/balance", json={"balance": "3.5"})
        state: dict[str, Any] = await (await client.get("/_sim/state")).json()
        assert state["enviosms"]["fault"] == "http_500"
        assert state["itniotech"]["balance"] == 3.5
        assert state["duanxintong"]["inbound_queue"][0]["text"] == "你好"


async def test_push_to_home_assistant(
    hass: HomeAssistant, hass_client_no_auth: Any, socket_enabled: None
) -> None:
    fakes = make_fakes()
    assert await async_setup_component(hass, "http", {})
    async with TestClient(TestServer(build_simulator(fakes), host="127.0.0.1")) as sim:
        from tests.common import FakeGateways

        gateways = FakeGateways(sim.server, fakes)
        entry = await setup_entry(hass, mock_entry(gateways, "smsmobileapi"))
        client = await hass_client_no_auth()
        webhook_url = str(client.make_url(f"/api/webhook/{entry.data['webhook_id']}"))
        events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
        response = await sim.post(
            "/_sim/smsmobileapi/inbound",
            json={"sender": "+15559876543", "text": "HEAT ON", "webhook_url": webhook_url},
        )
        assert (await response.json())["pushed"] == 200
        await hass.async_block_till_done()
        assert [e.data["message"] for e in events] == ["HEAT ON"]
