"""What hassfest and the HACS action would check, since neither can run here."""

from __future__ import annotations

import ast
import json
from pathlib import Path
import re
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from PIL import Image
import pytest
import yaml

from custom_components.sms_gateways.const import DOMAIN

ROOT = Path(__file__).parent.parent
COMPONENT = ROOT / "custom_components" / DOMAIN
QUALITY_RULES = {
    "action-setup", "appropriate-polling", "brands", "common-modules", "config-flow-test-coverage",
    "config-flow", "dependency-transparency", "docs-actions", "docs-high-level-description",
    "docs-installation-instructions", "docs-removal-instructions", "entity-event-setup",
    "entity-unique-id", "has-entity-name", "runtime-data", "test-before-configure",
    "test-before-setup", "unique-config-entry", "action-exceptions", "config-entry-unloading",
    "docs-configuration-parameters", "docs-installation-parameters", "entity-unavailable",
    "integration-owner", "log-when-unavailable", "parallel-updates", "reauthentication-flow",
    "test-coverage", "devices", "diagnostics", "discovery-update-info", "discovery",
    "docs-data-update", "docs-examples", "docs-known-limitations", "docs-supported-devices",
    "docs-supported-functions", "docs-troubleshooting", "docs-use-cases", "dynamic-devices",
    "entity-category", "entity-device-class", "entity-disabled-by-default", "entity-translations",
    "exception-translations", "icon-translations", "reconfiguration-flow", "repair-issues",
    "stale-devices", "async-dependency", "inject-websession", "strict-typing",
}  # fmt: skip


def load(name: str) -> Any:
    return json.loads((COMPONENT / name).read_text(encoding="utf-8"))


def keys(tree: Any, prefix: str = "") -> set[str]:
    if not isinstance(tree, dict):
        return {prefix}
    return set().union(*(keys(v, f"{prefix}.{k}") for k, v in tree.items())) if tree else set()


def test_manifest() -> None:
    manifest = load("manifest.json")
    order = list(manifest)
    assert order[:2] == ["domain", "name"]
    assert order[2:] == sorted(order[2:])
    assert manifest["domain"] == DOMAIN
    for key in ("documentation", "issue_tracker", "codeowners", "iot_class", "version"):
        assert manifest[key]
    assert manifest["documentation"].startswith("https://")
    assert manifest["config_flow"] is True
    assert manifest["integration_type"] == "service"
    assert "webhook" in manifest["dependencies"]
    # Home Assistant ships these itself (and replaces them in 2026): never require them.
    assert not any(
        r.startswith(("voluptuous", "httpx", "aiohttp")) for r in manifest["requirements"]
    )


def test_hacs() -> None:
    hacs = json.loads((ROOT / "hacs.json").read_text())
    assert hacs["name"] == "SMS Gateways"
    assert hacs["homeassistant"] == "2025.4.0"
    assert hacs["render_readme"] is True


def test_translations_match_strings() -> None:
    strings = load("strings.json")
    assert load("translations/en.json") == strings
    files = sorted((COMPONENT / "translations").glob("*.json"))
    assert {f.stem for f in files} >= {"en", "es", "zh-Hans", "ru"}
    for file in files:
        translated = json.loads(file.read_text(encoding="utf-8"))
        assert keys(translated) == keys(strings), file.name
        # Every placeholder survives translation.
        for path in keys(strings):
            original, text = strings, translated
            for part in path.strip(".").split("."):
                original, text = original[part], text[part]
            assert sorted(re.findall(r"\{\w+\}", text)) == sorted(
                re.findall(r"\{\w+\}", original)
            ), f"{file.name}: {path}"


async def test_services_yaml_matches_registered_actions(hass: HomeAssistant) -> None:
    assert await async_setup_component(hass, DOMAIN, {})
    services = yaml.safe_load((COMPONENT / "services.yaml").read_text())
    assert set(services) == set(hass.services.async_services_for_domain(DOMAIN))
    strings = load("strings.json")["services"]
    icons = load("icons.json")["services"]
    for service, spec in services.items():
        assert set(spec["fields"]) == set(strings[service]["fields"])
        assert service in icons


def test_icons_cover_every_entity_translation_key() -> None:
    strings = load("strings.json")["entity"]
    icons = load("icons.json")["entity"]
    for platform, entities in strings.items():
        assert set(entities) == set(icons[platform]), platform


@pytest.mark.parametrize(
    ("name", "size"),
    [("icon.png", (256, 256)), ("icon@2x.png", (512, 512)), ("dark_icon.png", (256, 256)),
     ("logo.png", None), ("logo@2x.png", None), ("dark_logo.png", None)],
)  # fmt: skip
def test_brand(name: str, size: tuple[int, int] | None) -> None:
    with Image.open(COMPONENT / "brand" / name) as image:
        assert image.format == "PNG"
        if size is not None:
            assert image.size == size


def test_quality_scale_lists_every_rule() -> None:
    rules = yaml.safe_load((COMPONENT / "quality_scale.yaml").read_text())["rules"]
    assert set(rules) == QUALITY_RULES
    for rule, value in rules.items():
        status = value if isinstance(value, str) else value["status"]
        assert status in ("done", "todo", "exempt"), rule
        if status == "exempt":
            assert value["comment"], rule


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
