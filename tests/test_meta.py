"""What hassfest and the HACS action would check, since neither can run here.

The quality scale checks mirror hassfest's own rule validators (script/hassfest/quality_scale*.py):
a rule marked done must pass the same mechanical check hassfest would make.
"""

from __future__ import annotations

from collections.abc import Iterator
from http import HTTPStatus
import importlib
import inspect
import json
import logging
from pathlib import Path
import re
import subprocess
import sys
from typing import Any, TypeAliasType, get_args, get_origin

from awesomeversion import AwesomeVersion, AwesomeVersionStrategy
from homeassistant.config_entries import HANDLERS, ConfigEntry, ConfigEntryState
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from packaging.requirements import Requirement
from PIL import Image
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
import yaml

from custom_components.sms_gateways.const import DOMAIN
from custom_components.sms_gateways.errors import Stage, flow_error, translated_errors
from custom_components.sms_gateways.gateways import GATEWAYS, GatewayError, ValidationError
from custom_components.sms_gateways.providers import PROVIDERS as FORMS
from tests.common import NUMBERS, PROVIDERS, FakeGateways, mock_entry, push, setup_entry, tick
from tests.fakes import make_fakes
from tests.fakes.base import Fault

ROOT = Path(__file__).parent.parent
COMPONENT = ROOT / "custom_components" / DOMAIN

# hassfest's ALL_RULES, by tier (docs-conditions and docs-triggers came with Home Assistant 2025.x).
QUALITY_RULES = {
    "bronze": {
        "action-setup", "appropriate-polling", "brands", "common-modules", "config-flow",
        "config-flow-test-coverage", "dependency-transparency", "docs-actions", "docs-conditions",
        "docs-high-level-description", "docs-installation-instructions",
        "docs-removal-instructions", "docs-triggers", "entity-event-setup", "entity-unique-id",
        "has-entity-name", "runtime-data", "test-before-configure", "test-before-setup",
        "unique-config-entry",
    },
    "silver": {
        "action-exceptions", "config-entry-unloading", "docs-configuration-parameters",
        "docs-installation-parameters", "entity-unavailable", "integration-owner",
        "log-when-unavailable", "parallel-updates", "reauthentication-flow", "test-coverage",
    },
    "gold": {
        "devices", "diagnostics", "discovery", "discovery-update-info", "docs-data-update",
        "docs-examples", "docs-known-limitations", "docs-supported-devices",
        "docs-supported-functions", "docs-troubleshooting", "docs-use-cases", "dynamic-devices",
        "entity-category", "entity-device-class", "entity-disabled-by-default",
        "entity-translations", "exception-translations", "icon-translations",
        "reconfiguration-flow", "repair-issues", "stale-devices",
    },
    "platinum": {"async-dependency", "inject-websession", "strict-typing"},
}  # fmt: skip
# What the HACS action accepts in hacs.json.
HACS_KEYS = {
    "name", "content_in_root", "zip_release", "filename", "hide_default_branch", "country",
    "homeassistant", "hacs", "persistent_directory", "render_readme",
}  # fmt: skip


def load(name: str) -> Any:
    return json.loads((COMPONENT / name).read_text(encoding="utf-8"))


def keys(tree: Any, prefix: str = "") -> set[str]:
    """Every leaf of a strings tree as a dotted path."""
    if not isinstance(tree, dict):
        return {prefix}
    return set().union(*(keys(v, f"{prefix}.{k}") for k, v in tree.items())) if tree else set()


def leaf(tree: Any, path: str) -> Any:
    for part in path.strip(".").split("."):
        tree = tree[part]
    return tree


# -- manifest and HACS --------------------------------------------------------------------------


def test_manifest() -> None:
    manifest = load("manifest.json")
    order = list(manifest)
    assert order[:2] == ["domain", "name"]
    assert order[2:] == sorted(order[2:])
    assert manifest["domain"] == DOMAIN == COMPONENT.name
    assert manifest["name"] == "SMS Gateways"
    # Required of a custom integration (hassfest's custom schema).
    for key in ("codeowners", "documentation", "issue_tracker", "iot_class", "version"):
        assert manifest[key], key
    assert manifest["documentation"].startswith("https://")
    assert manifest["issue_tracker"].startswith("https://")
    assert all(owner.startswith("@") for owner in manifest["codeowners"])
    assert manifest["iot_class"] in {"cloud_polling", "cloud_push"}
    assert AwesomeVersion(manifest["version"]).strategy is not AwesomeVersionStrategy.UNKNOWN
    assert manifest["config_flow"] is True
    assert manifest["integration_type"] == "service"
    assert "webhook" in manifest["dependencies"]
    assert "cloud" in manifest["after_dependencies"]
    for requirement in manifest["requirements"]:
        # Home Assistant ships these itself (and replaces them in 2026): never require them.
        assert Requirement(requirement).name not in {"voluptuous", "httpx", "aiohttp"}


def test_hacs() -> None:
    hacs = json.loads((ROOT / "hacs.json").read_text(encoding="utf-8"))
    assert set(hacs) <= HACS_KEYS
    assert hacs["name"] == "SMS Gateways"
    assert AwesomeVersion(hacs["homeassistant"]) <= AwesomeVersion("2025.4.4")
    assert (ROOT / "README.md").is_file()


# -- strings and translations -------------------------------------------------------------------


def test_translations_match_strings() -> None:
    strings = load("strings.json")
    assert load("translations/en.json") == strings
    files = sorted((COMPONENT / "translations").glob("*.json"))
    assert "en" in {f.stem for f in files}
    for file in files:
        translated = json.loads(file.read_text(encoding="utf-8"))
        assert keys(translated) == keys(strings), file.name
        for path in keys(strings):
            text = leaf(translated, path)
            assert isinstance(text, str), f"{file.name}: {path}"
            assert text.strip(), f"{file.name}: {path} is empty"
            # Every placeholder survives translation.
            assert sorted(re.findall(r"\{\w+\}", text)) == sorted(
                re.findall(r"\{\w+\}", leaf(strings, path))
            ), f"{file.name}: {path}"


def test_every_form_field_is_named_and_described() -> None:
    """What the config-flow rule asks: a label and a data_description for each field."""
    strings = load("strings.json")
    steps = [
        *strings["config"]["step"].values(),
        *strings["options"]["step"].values(),
        *(step for sub in strings["config_subentries"].values() for step in sub["step"].values()),
    ]
    for step in steps:
        assert set(step.get("data", {})) == set(step.get("data_description", {})), step["title"]
    config = strings["config"]["step"]
    assert set(config["user"]["menu_options"]) == set(GATEWAYS)
    # A provider is one client, one form entry, one fake and one row of test data (README).
    assert set(FORMS) == set(GATEWAYS) == set(make_fakes()) == set(PROVIDERS)
    for key, form in FORMS.items():
        assert set(config[key]["data"]) == {*form.fields, "url"}, key
        assert set(config["reconfigure"]["data"]) >= {*form.fields, "url"}, key
        checked = set(form.secret_fields) - set(form.unvalidated_fields)
        assert set(config["reauth_confirm"]["data"]) >= checked, key


def test_flow_errors_and_aborts_have_strings() -> None:
    """Every reason and error the config flow can return is translated.

    The reasons a flow returns are checked on each result by test_config_flow's `check_ui`
    (test_already_configured, test_reauth, test_reconfigure_to_another_account_is_refused and
    test_reconfigure_keeps_secrets_left_empty end in already_configured, reauth_successful,
    unique_id_mismatch and reconfigure_successful).
    """
    strings = load("strings.json")
    assert {
        "already_configured", "unique_id_mismatch", "reauth_successful", "reconfigure_successful",
    } <= set(strings["config"]["abort"])  # fmt: skip
    assert set(strings["config"]["error"]) == {"invalid_auth", "cannot_connect", "unknown"}
    # What a gateway's error becomes in the form: every one of them has its text.
    errors = {flow_error(err) for err in gateway_errors()}
    assert errors == set(strings["config"]["error"])
    assert "already_configured" in strings["config_subentries"]["recipient"]["abort"]
    assert "invalid_phone_number" in strings["config_subentries"]["recipient"]["error"]


def gateway_errors() -> Iterator[GatewayError]:
    """Yield an instance of every error a gateway raises, each option error once per option."""
    pending: list[type[GatewayError]] = [GatewayError]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if issubclass(cls, ValidationError):
            yield cls("boom")
            for option in getattr(cls, "options", ()):
                yield cls("boom", {"option": option})
        else:
            yield cls("boom", reason="why")


def test_gateway_errors_are_translated() -> None:
    """Each gateway error, as an action, setup or update error, has its translated message."""
    strings = load("strings.json")["exceptions"]
    keys: set[str] = set()
    for err in gateway_errors():
        for stage in Stage:
            with pytest.raises(HomeAssistantError) as raised, translated_errors("EnvioSMS", stage):
                raise err
            translated = raised.value
            assert translated.__cause__ is err
            assert translated.translation_domain == DOMAIN
            assert translated.translation_key is not None
            keys.add(translated.translation_key)
    assert keys <= set(strings), keys - set(strings)
    # Each validation error's own key (option errors have one per option) is among them.
    assert {"empty_message", "unsupported_send_at", "invalid_sender_id"} <= keys


async def test_action_errors_are_translated(hass: HomeAssistant, gateways: FakeGateways) -> None:
    """What the send action refuses with, beyond the gateways' errors, has its translated message.

    The keys themselves (and their placeholders) are asserted by test_services and test_guard.
    """
    strings = load("strings.json")["exceptions"]
    entry = await setup_entry(
        hass,
        mock_entry(
            gateways,
            "enviosms",
            options={"daily_limit": 1},
            recipients={"Ana": NUMBERS["enviosms"]},
        ),
    )
    number = NUMBERS["enviosms"]
    calls: list[tuple[str, dict[str, Any]]] = [
        ("nope", {"recipients": [number]}),
        (entry.entry_id, {"recipients": ["not a number"] * 1001}),
        (entry.entry_id, {"recipients": ["Pedro"]}),
        (entry.entry_id, {"recipients": [number], "send_at": "9999-12-31T23:59:59+00:00"}),
        (entry.entry_id, {"recipients": [number], "message": "vota hoy"}),
        (entry.entry_id, {"recipients": [number, "+525512345679"]}),
    ]
    keys: set[str] = set()
    for entry_id, data in calls:
        with pytest.raises(HomeAssistantError) as err:
            await hass.services.async_call(
                DOMAIN,
                "send_sms",
                {"config_entry_id": entry_id, "message": "hi", **data},
                blocking=True,
            )
        assert err.value.translation_domain == DOMAIN
        keys.add(str(err.value.translation_key))
    await hass.config_entries.async_unload(entry.entry_id)
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            DOMAIN,
            "send_sms",
            {"config_entry_id": entry.entry_id, "recipients": [number], "message": "hi"},
            blocking=True,
        )
    keys.add(str(err.value.translation_key))
    assert keys == {
        "entry_not_found", "too_many_recipients", "unknown_contact", "send_at_out_of_range",
        "send_failed", "daily_limit_reached", "entry_not_loaded",
    }  # fmt: skip
    assert keys <= set(strings), keys - set(strings)


# -- actions and icons --------------------------------------------------------------------------


async def test_services_yaml_matches_registered_actions(hass: HomeAssistant) -> None:
    assert await async_setup_component(hass, DOMAIN, {})
    services = yaml.safe_load((COMPONENT / "services.yaml").read_text(encoding="utf-8"))
    assert set(services) == set(hass.services.async_services_for_domain(DOMAIN))
    strings = load("strings.json")
    icons = load("icons.json")["services"]
    for service, spec in services.items():
        described = strings["services"][service]
        assert described["name"]
        assert described["description"]
        assert set(spec["fields"]) == set(described["fields"]), service
        for field, field_spec in spec["fields"].items():
            assert described["fields"][field]["name"], field
            assert described["fields"][field]["description"], field
            select = (field_spec.get("selector") or {}).get("select") or {}
            if key := select.get("translation_key"):
                options = strings["selector"][key]["options"]
                assert set(select["options"]) == set(options), field
        assert icons[service]["service"].startswith("mdi:")


def test_icons_cover_every_entity_translation_key() -> None:
    strings = load("strings.json")["entity"]
    icons = load("icons.json")["entity"]
    assert set(strings) == set(icons)
    for platform, entities in strings.items():
        assert set(entities) == set(icons[platform]), platform
        for key, entity in entities.items():
            icon = icons[platform][key]
            assert icon["default"].startswith("mdi:"), key
            # State icons only for states the entity has, every state with one.
            if "state" in icon:
                assert set(icon["state"]) == set(entity["state"]), key
                assert all(v.startswith("mdi:") for v in icon["state"].values())


# -- brand --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "width", "height"),
    [("icon.png", 256, 256), ("icon@2x.png", 512, 512),
     ("dark_icon.png", 256, 256), ("dark_icon@2x.png", 512, 512),
     ("logo.png", None, (128, 256)), ("logo@2x.png", None, (256, 512)),
     ("dark_logo.png", None, (128, 256)), ("dark_logo@2x.png", None, (256, 512))],
)  # fmt: skip
def test_brand(name: str, width: int | None, height: int | tuple[int, int]) -> None:
    """The sizes the brands repository asks for; transparent and trimmed."""
    with Image.open(COMPONENT / "brand" / name) as image:
        assert image.format == "PNG"
        assert image.mode == "RGBA"
        w, h = image.size
        if width is not None:
            assert (w, h) == (width, height)
        else:
            low, high = height  # type: ignore[misc]
            assert low <= min(w, h) <= high
        # Transparent around the mark, and no empty margin left around it.
        assert image.getchannel("A").getextrema()[0] == 0
        assert image.getchannel("A").getbbox() == (0, 0, w, h)


# -- the quality scale --------------------------------------------------------------------------


def quality_rules() -> dict[str, str]:
    data = yaml.safe_load((COMPONENT / "quality_scale.yaml").read_text(encoding="utf-8"))
    assert set(data) == {"rules"}
    statuses: dict[str, str] = {}
    for rule, value in data["rules"].items():
        if isinstance(value, str):
            assert value in ("done", "todo"), rule  # exempt needs a comment
            statuses[rule] = value
        else:
            # hassfest: a mapping always has a status and a comment.
            assert set(value) == {"status", "comment"}, rule
            assert value["status"] in ("done", "todo", "exempt"), rule
            assert isinstance(value["comment"], str), rule
            assert value["comment"].strip(), rule
            statuses[rule] = value["status"]
    return statuses


def test_quality_scale_lists_every_rule() -> None:
    assert set(quality_rules()) == set().union(*QUALITY_RULES.values())


def typed_entry(function: Any, position: int) -> bool:
    """Tell whether the parameter at `position` is a ConfigEntry typed with its runtime data."""
    parameter = list(inspect.signature(function).parameters)[position]
    annotation = inspect.get_annotations(function, eval_str=True)[parameter]
    if isinstance(annotation, TypeAliasType):
        annotation = annotation.__value__
    return get_origin(annotation) is ConfigEntry and bool(get_args(annotation))


@pytest.mark.parametrize("recipients", [{"Ana": NUMBERS["enviosms"]}])
@pytest.mark.parametrize("provider", ["enviosms"])
async def test_quality_scale_done_rules_pass_hassfest_checks(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """What hassfest checks of a rule marked done, through what Home Assistant sees.

    Guarded by behaviour elsewhere: unique-config-entry by test_config_flow.test_already_configured,
    test-before-setup by test_init.test_setup_retries_until_the_provider_is_back and
    test_setup_auth_failure_starts_reauth, config-entry-unloading by
    test_init.test_unload_leaves_nothing_behind, reauthentication-flow by test_config_flow.test_reauth,
    reconfiguration-flow by test_config_flow.test_reconfigure_keeps_secrets_left_empty, diagnostics
    by test_diagnostics.
    """
    done = {rule for rule, status in quality_rules().items() if status == "done"}
    manifest = load("manifest.json")
    assert await async_setup_component(hass, DOMAIN, {})
    services = set(hass.services.async_services_for_domain(DOMAIN))
    entry = await setup_entry(hass, mock_config_entry)
    assert entry.state is ConfigEntryState.LOADED
    entities = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    platforms = {entity.domain for entity in entities}
    assert platforms == {"event", "notify", "sensor"}
    integration = importlib.import_module(f"custom_components.{DOMAIN}")
    if "config-flow" in done:
        assert manifest["config_flow"] is True
    if "runtime-data" in done:
        assert entry.runtime_data is not None
    if {"runtime-data", "strict-typing"} <= done:
        modules = [importlib.import_module(f"{integration.__name__}.{p}") for p in platforms]
        diagnostics = importlib.import_module(f"{integration.__name__}.diagnostics")
        hooks = [
            integration.async_setup_entry,
            integration.async_unload_entry,
            integration.async_remove_entry,
            diagnostics.async_get_config_entry_diagnostics,
            *(module.async_setup_entry for module in modules),
        ]
        for hook in hooks:
            assert typed_entry(hook, 1), hook.__qualname__
        assert typed_entry(HANDLERS[DOMAIN].async_get_options_flow, 0)
    if "action-setup" in done:
        # Registered with the integration, not by an entry: the same before, with and after one.
        assert services
        assert set(hass.services.async_services_for_domain(DOMAIN)) == services
        assert await hass.config_entries.async_unload(entry.entry_id)
        assert set(hass.services.async_services_for_domain(DOMAIN)) == services
    if "parallel-updates" in done:
        for platform in platforms:
            module = importlib.import_module(f"{integration.__name__}.{platform}")
            assert isinstance(getattr(module, "PARALLEL_UPDATES", None), int), platform
    if "integration-owner" in done:
        assert manifest["codeowners"]
    if "has-entity-name" in done:
        assert all(entity.has_entity_name for entity in entities)
    if "brands" in done:
        assert (COMPONENT / "brand" / "icon.png").is_file()
    if "icon-translations" in done:
        assert (COMPONENT / "icons.json").is_file()


# -- the library stays a library ----------------------------------------------------------------

# Import the gateways package as a package of its own, with Home Assistant and the rest of the
# integration out of reach: an import of either, or a relative import out of it, fails.
IMPORT_ALONE = """
import importlib.util, pkgutil, sys
sys.modules["homeassistant"] = None
sys.modules["custom_components"] = None
path = sys.argv[1]
spec = importlib.util.spec_from_file_location(
    "gateways", path + "/__init__.py", submodule_search_locations=[path]
)
package = importlib.util.module_from_spec(spec)
sys.modules["gateways"] = package
spec.loader.exec_module(package)
print("gateways")
for module in pkgutil.walk_packages(package.__path__, "gateways."):
    importlib.import_module(module.name)
    print(module.name)
"""


def test_gateways_import_nothing_from_home_assistant() -> None:
    package = COMPONENT / "gateways"
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", IMPORT_ALONE, str(package)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    # Every module of the package was imported.
    modules = {
        ".".join(("gateways", *path.relative_to(package).with_suffix("").parts)).removesuffix(
            ".__init__"
        )
        for path in package.rglob("*.py")
    }
    assert set(result.stdout.split()) == modules
    # Among them each provider's (wherever in the package it sits).
    assert {name.rpartition(".")[2] for name in modules} >= set(GATEWAYS)


async def test_no_secret_in_the_log(
    hass: HomeAssistant,
    gateways: FakeGateways,
    hass_client_no_auth: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Set up every provider, send, poll, take pushes and fail: no credential is ever logged."""
    caplog.set_level(logging.DEBUG)
    assert await async_setup_component(hass, "http", {})
    entries = [
        await setup_entry(hass, mock_entry(gateways, provider, webhook_id=f"webhook-{provider}"))
        for provider in PROVIDERS
    ]
    client = await hass_client_no_auth()
    for entry in entries:
        provider = entry.data["provider"]
        await hass.services.async_call(
            DOMAIN,
            "send_sms",
            {"config_entry_id": entry.entry_id, "recipients": [NUMBERS[provider]], "message": "hi"},
            blocking=True,
        )
        if CONF_WEBHOOK_ID in entry.data:
            body, headers = push(gateways, entry, "HOLA")
            response = await client.post(
                f"/api/webhook/{entry.data[CONF_WEBHOOK_ID]}", data=body, headers=headers
            )
            assert response.status == HTTPStatus.OK
    await tick(hass, 901)
    for provider in PROVIDERS:
        gateways[provider].set_fault(Fault.HTTP_500)
    await tick(hass, 1802)
    for provider in PROVIDERS:
        gateways[provider].set_fault(Fault.AUTH)
    await tick(hass, 2703)
    secrets = {
        str(value)
        for entry in entries
        for key, value in entry.data.items()
        if key in {*FORMS[entry.data["provider"]].secret_fields, "webhook_secret", CONF_WEBHOOK_ID}
    }
    assert {"webhook-itniotech", gateways["enviosms"].credentials["password"]} <= secrets
    formatter = logging.Formatter()
    ours = [
        formatter.format(record)
        for record in caplog.records
        if record.name.startswith(f"custom_components.{DOMAIN}")
    ]
    assert ours
    assert [(secret, line) for line in ours for secret in secrets if secret in line] == []
