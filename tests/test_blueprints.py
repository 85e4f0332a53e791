"""The automation blueprints load, and the keyword one fires only for a trusted number."""

from __future__ import annotations

from pathlib import Path
import shutil

from homeassistant.components.blueprint import models
from homeassistant.components.blueprint.schemas import BLUEPRINT_SCHEMA
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

BLUEPRINTS = Path(__file__).parent.parent / "blueprints" / "automation" / "sms_gateways"


def _install(folder: Path) -> None:
    shutil.copytree(BLUEPRINTS, folder / "sms_gateways", dirs_exist_ok=True)


@pytest.mark.parametrize("name", ["forward_sms_to_mobile_app.yaml", "keyword_action.yaml"])
def test_blueprint_is_valid(name: str) -> None:
    blueprint = models.Blueprint(
        load_yaml_dict(BLUEPRINTS / name), expected_domain="automation", schema=BLUEPRINT_SCHEMA
    )
    assert blueprint.inputs


async def test_keyword_blueprint(hass: HomeAssistant) -> None:
    await hass.async_add_executor_job(_install, Path(hass.config.path("blueprints/automation")))
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "use_blueprint": {
                    "path": "sms_gateways/keyword_action.yaml",
                    "input": {
                        "trusted_numbers": ["+5215512345678"],
                        "keyword": "heat on",
                        "actions": [{"event": "heater_on"}],
                    },
                }
            }
        },
    )
    fired = async_capture_events(hass, "heater_on")
    for sender, message in (
        ("+5215512345678", "  HEAT ON "),
        ("+5215599999999", "HEAT ON"),  # not trusted
        ("+5215512345678", "HEAT OFF"),
    ):
        hass.bus.async_fire("sms_gateways_message_received", {"sender": sender, "message": message})
    await hass.async_block_till_done()
    assert len(fired) == 1
