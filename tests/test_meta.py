"""What hassfest and the HACS action would check, since neither can run here.

The quality scale checks mirror hassfest's own rule validators (script/hassfest/quality_scale*.py):
a rule marked done must pass the same mechanical check hassfest would make.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
import json
from pathlib import Path
import re
from typing import Any

from awesomeversion import AwesomeVersion, AwesomeVersionStrategy
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from packaging.requirements import Requirement
from PIL import Image
import pytest
import yaml

from custom_components.sms_gateways.const import DOMAIN
from custom_components.sms_gateways.gateways.errors import ValidationError
from custom_components.sms_gateways.gateways.registry import GATEWAYS

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


def module(name: str) -> ast.Module:
    return ast.parse((COMPONENT / f"{name}.py").read_text(encoding="utf-8"))


def functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def top_level(tree: ast.Module, name: str) -> ast.AsyncFunctionDef | None:
    return next(
        (n for n in tree.body if isinstance(n, ast.AsyncFunctionDef) and n.name == name), None
    )


def calls(tree: ast.AST, attribute: str) -> bool:
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == attribute
        for n in ast.walk(tree)
    )


def platform_modules() -> list[str]:
    return [p.value for p in Platform if (COMPONENT / f"{p.value}.py").exists()]


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
    for key, cls in GATEWAYS.items():
        assert set(config[key]["data"]) == {*cls.fields, "url"}, key
        assert set(config["reconfigure"]["data"]) >= {*cls.fields, "url"}, key
        checked = set(cls.secret_fields) - set(cls.unvalidated_fields)
        assert set(config["reauth_confirm"]["data"]) >= checked, key


def test_flow_errors_and_aborts_have_strings() -> None:
    """Every reason and error the config flow can return is translated."""
    strings = load("strings.json")
    source = (COMPONENT / "config_flow.py").read_text(encoding="utf-8")
    source += (COMPONENT / "errors.py").read_text(encoding="utf-8")
    reasons = set(re.findall(r'reason="(\w+)"', source))
    reasons |= set(re.findall(r'"(\w+_successful)"', source))
    assert reasons >= {"already_configured", "unique_id_mismatch", "reauth_successful"}
    assert reasons <= set(strings["config"]["abort"]) | {"reconfigure_successful"}
    assert "reconfigure_successful" in strings["config"]["abort"]
    assert set(strings["config"]["error"]) == {"invalid_auth", "cannot_connect", "unknown"}
    assert "already_configured" in strings["config_subentries"]["recipient"]["abort"]
    assert "invalid_phone_number" in strings["config_subentries"]["recipient"]["error"]


def test_exceptions_raised_with_a_key_are_translated() -> None:
    strings = load("strings.json")["exceptions"]
    used: set[str] = set()
    for path in COMPONENT.glob("*.py"):
        used |= set(re.findall(r'translation_key="(\w+)"', path.read_text(encoding="utf-8")))
    # The gateways' validation errors become ServiceValidationError with their own key.
    pending: list[type[ValidationError]] = [ValidationError]
    while pending:
        cls = pending.pop()
        used.add(cls.key)
        # Option errors have a key per option.
        used.update(getattr(cls, "keys", list)())
        pending.extend(cls.__subclasses__())
    # Entity and issue translation keys live elsewhere in strings.json.
    everything = load("strings.json")
    used -= {key for platform in everything["entity"].values() for key in platform}
    used -= set(everything.get("issues", {}))
    assert used <= set(strings), used - set(strings)


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


def test_quality_scale_done_rules_pass_hassfest_checks() -> None:
    done = {rule for rule, status in quality_rules().items() if status == "done"}
    manifest = load("manifest.json")
    init, flow = module("__init__"), module("config_flow")
    setup_entry = top_level(init, "async_setup_entry")
    assert setup_entry is not None
    entry_arg = setup_entry.args.args[1].arg
    if "config-flow" in done:
        assert manifest["config_flow"] is True
    if "unique-config-entry" in done:
        assert calls(flow, "async_set_unique_id")
        assert calls(flow, "_abort_if_unique_id_configured")
    if "runtime-data" in done:
        assert any(
            isinstance(n, ast.Attribute)
            and n.attr == "runtime_data"
            and isinstance(n.ctx, ast.Store)
            and isinstance(n.value, ast.Name)
            and n.value.id == entry_arg
            for n in ast.walk(setup_entry)
        )
    if {"runtime-data", "strict-typing"} <= done:
        typed = re.compile(r"^[A-Za-z]+ConfigEntry$")
        signatures = {"__init__": ("async_setup_entry", "async_unload_entry", "async_remove_entry")}
        signatures["diagnostics"] = ("async_get_config_entry_diagnostics",)
        for platform in platform_modules():
            signatures[platform] = ("async_setup_entry",)
        for name, wanted in signatures.items():
            for function in wanted:
                if (node := top_level(module(name), function)) is None:
                    continue
                annotation = node.args.args[1].annotation
                assert isinstance(annotation, ast.Name), f"{name}.{function}"
                assert typed.match(annotation.id), f"{name}.{function}"
        options = next(f for f in functions(flow) if f.name == "async_get_options_flow")
        annotation = options.args.args[0].annotation
        assert isinstance(annotation, ast.Name)
        assert typed.match(annotation.id)
    if "test-before-setup" in done:
        raised = {
            (n.exc.func if isinstance(n.exc, ast.Call) else n.exc)
            for path in COMPONENT.rglob("*.py")
            for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(n, ast.Raise) and n.exc is not None
        }
        names = {getattr(r, "id", getattr(r, "attr", "")) for r in raised}
        assert calls(setup_entry, "async_config_entry_first_refresh") or names & {
            "ConfigEntryNotReady", "ConfigEntryAuthFailed", "ConfigEntryError",
        } or "setup_error" in ast.unparse(setup_entry)  # fmt: skip
    if "action-setup" in done:
        for name in ("__init__", *platform_modules()):
            node = top_level(module(name), "async_setup_entry")
            if node is not None:
                assert not calls(node, "async_register_entity_service"), name
                assert "hass.services.async_register" not in ast.unparse(node), name
    if "parallel-updates" in done:
        for name in platform_modules():
            assert any(
                isinstance(n, ast.Assign)
                and isinstance(n.targets[0], ast.Name)
                and n.targets[0].id == "PARALLEL_UPDATES"
                for n in module(name).body
            ), name
    if "diagnostics" in done:
        assert top_level(module("diagnostics"), "async_get_config_entry_diagnostics")
    if "config-entry-unloading" in done:
        assert top_level(init, "async_unload_entry")
    if "reauthentication-flow" in done:
        assert any(f.name == "async_step_reauth" for f in functions(flow))
    if "reconfiguration-flow" in done:
        assert any(f.name == "async_step_reconfigure" for f in functions(flow))
    if "integration-owner" in done:
        assert manifest["codeowners"]
    if "has-entity-name" in done:
        entity = (COMPONENT / "entity.py").read_text(encoding="utf-8")
        assert "_attr_has_entity_name = True" in entity
    if "brands" in done:
        assert (COMPONENT / "brand" / "icon.png").is_file()
    if "icon-translations" in done:
        assert (COMPONENT / "icons.json").is_file()


# -- the library stays a library ----------------------------------------------------------------


def test_gateways_import_nothing_from_home_assistant() -> None:
    for path in (COMPONENT / "gateways").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            elif isinstance(node, ast.ImportFrom) and node.level > 1:
                names = ["..relative outside the package"]
            assert not any(n.startswith(("homeassistant", "..")) for n in names), (
                f"{path.name} imports {names}"
            )


def test_no_secret_in_a_log_call() -> None:
    pattern = re.compile(
        r"LOGGER\.\w+\([^)]*\b(password|api_secret|api_key|token|webhook_secret|webhook_id)\b"
    )
    for path in COMPONENT.rglob("*.py"):
        assert not pattern.search(path.read_text(encoding="utf-8")), path.name
