"""The automation blueprints load and do what they say: forward to a phone, react to a keyword."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
import shutil
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from homeassistant.components.blueprint import models
from homeassistant.components.blueprint.schemas import BLUEPRINT_SCHEMA
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    async_fire_time_changed,
)

from .common import FakeGateways, mock_entry, setup_entry

BLUEPRINTS = Path(__file__).parent.parent / "blueprints" / "automation" / "sms_gateways"


def _install(folder: Path) -> None:
    shutil.copytree(BLUEPRINTS, folder / "sms_gateways", dirs_exist_ok=True)


async def _automation_from(hass: HomeAssistant, blueprint: str, inputs: dict[str, Any]) -> None:
    """One automation made from our `blueprint`, as a user's "Create automation" makes it."""
    await hass.async_add_executor_job(_install, Path(hass.config.path("blueprints/automation")))
    assert await async_setup_component(
        hass,
        "automation",
        {"automation": {"use_blueprint": {"path": f"sms_gateways/{blueprint}", "input": inputs}}},
    )


@pytest.mark.parametrize("name", ["forward_sms_to_mobile_app.yaml", "keyword_action.yaml"])
def test_blueprint_is_valid(name: str) -> None:
    blueprint = models.Blueprint(
        load_yaml_dict(BLUEPRINTS / name), expected_domain="automation", schema=BLUEPRINT_SCHEMA
    )
    assert blueprint.inputs


async def test_keyword_blueprint(hass: HomeAssistant) -> None:
    await _automation_from(
        hass,
        "keyword_action.yaml",
        {
            "trusted_numbers": ["+525512345678"],
            "keyword": "heat on",
            "actions": [{"event": "heater_on"}],
        },
    )
    fired = async_capture_events(hass, "heater_on")
    for sender, message in (
        ("+525512345678", "  HEAT ON "),
        ("+525599999999", "HEAT ON"),  # not trusted
        ("+525512345678", "HEAT OFF"),
    ):
        hass.bus.async_fire("sms_gateways_message_received", {"sender": sender, "message": message})
    await hass.async_block_till_done()
    assert len(fired) == 1


@pytest.mark.parametrize(
    ("gateway", "forwarded"),
    [
        ("entry-1", [("SMS from +525512345678", "Gate opened")]),
        (
            "",  # every account
            [
                ("SMS from +525512345678", "Gate opened"),
                ("SMS from +525599999999", "Another account"),
            ],
        ),
    ],
)
async def test_forward_blueprint_notifies_the_phone(
    hass: HomeAssistant,
    hass_client: Any,
    socket_enabled: None,
    gateway: str,
    forwarded: list[tuple[str, str]],
) -> None:
    """A phone registered as the Home Assistant app does gets each inbound SMS as a push."""
    pushes: list[dict[str, Any]] = []

    async def push_service(request: web.Request) -> web.Response:
        pushes.append(await request.json())
        return web.json_response({}, status=201)

    app = web.Application()
    app.router.add_post("/push", push_service)
    async with TestServer(app, host="127.0.0.1") as server:
        # As default_config would: the app's notify service is a legacy notify platform.
        assert await async_setup_component(hass, "notify", {})
        assert await async_setup_component(hass, "mobile_app", {})
        await hass.async_block_till_done()
        client = await hass_client()
        response = await client.post(
            "/api/mobile_app/registrations",
            json={
                "app_data": {
                    "push_token": "phone-token",
                    "push_url": str(server.make_url("/push")),
                },
                "app_id": "io.homeassistant.companion.android",
                "app_name": "Home Assistant",
                "app_version": "2025.4.0",
                "device_id": "phone-1",
                "device_name": "Phone",
                "manufacturer": "Google",
                "model": "Pixel",
                "os_name": "Android",
                "os_version": "15",
                "supports_encryption": False,
            },
        )
        assert response.status == 201
        await hass.async_block_till_done()
        phone_entry = hass.config_entries.async_entries("mobile_app")[0]
        (phone,) = dr.async_entries_for_config_entry(dr.async_get(hass), phone_entry.entry_id)

        await _automation_from(
            hass,
            "forward_sms_to_mobile_app.yaml",
            {"gateway": gateway, "notify_device": phone.id},
        )
        for entry_id, sender, message in (
            ("entry-1", "+525512345678", "Gate opened"),
            ("entry-2", "+525599999999", "Another account"),
        ):
            hass.bus.async_fire(
                "sms_gateways_message_received",
                {"config_entry_id": entry_id, "sender": sender, "message": message},
            )
        await hass.async_block_till_done()
    assert [(p["title"], p["message"]) for p in pushes] == forwarded
    assert pushes[0]["push_token"] == "phone-token"


async def test_keyword_blueprint_trusts_a_112088_sender(
    hass: HomeAssistant, gateways: FakeGateways
) -> None:
    # 112088 writes mainland numbers without the country code; the user writes the number the way
    # it is printed. The sender arrives in E.164, so they meet.
    await setup_entry(hass, mock_entry(gateways, "duanxintong"))
    await _automation_from(
        hass,
        "keyword_action.yaml",
        {
            "trusted_numbers": ["+86 137-9836-1236"],
            "keyword": "HEAT ON",
            "actions": [{"event": "heater_on"}],
        },
    )
    fired = async_capture_events(hass, "heater_on")
    gateways["duanxintong"].queue_inbound("13798361236", "heat on")
    gateways["duanxintong"].queue_inbound("13798361237", "HEAT ON")  # not trusted
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=61))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(fired) == 1
