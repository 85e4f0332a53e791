"""What differs between the two test lanes (Home Assistant 2025.4.4 and the newest release).

One place for it, so test modules stay the same on both lanes.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from homeassistant.core import State
from homeassistant.helpers import config_validation as cv, entity_registry as er
from pytest_homeassistant_custom_component.syrupy import (
    HomeAssistantSnapshotExtension,
    HomeAssistantSnapshotSerializer,
)
from syrupy.extensions.amber import AmberSnapshotExtension
from syrupy.location import PyTestLocation

try:  # Home Assistant 2026.9 and newer serialize flow forms with probatio.
    from probatio import to_field_list as _to_field_list  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # 2025.4: voluptuous-serialize
    from voluptuous_serialize import (  # type: ignore[import-untyped,no-redef,unused-ignore]
        convert as _to_field_list,
    )


def serialize_form(schema: Any) -> Any:
    """A flow form as Home Assistant sends it to the frontend; raises for what it cannot render."""
    return _to_field_list(schema, custom_serializer=cv.custom_serializer)


def device_config_entries(device: Any) -> set[str]:
    """The config entries a device belongs to.

    From 2026.11 a device belongs to one entry (`config_entry_id`); reading `config_entries` is a
    deprecated use there.
    """
    if hasattr(device, "config_entry_id"):
        return {device.config_entry_id}
    return set(device.config_entries)


class _SnapshotSerializer(HomeAssistantSnapshotSerializer):
    """Home Assistant's serializer, giving one snapshot on both lanes.

    Newer registries add `suggested_object_id` and `object_id_base` and list the entity's own
    name among its aliases as None; newer states and capabilities key their attributes by StrEnum
    members (whose repr differs from the plain string they equal).
    """

    @classmethod
    def _serialize(cls, data: Any, **kwargs: Any) -> Any:
        if isinstance(data, er.RegistryEntry):
            entry = cls._serializable_entity_registry_entry(data)
            for field in ("suggested_object_id", "object_id_base"):
                entry.pop(field, None)
            entry["aliases"] = sorted(alias for alias in entry["aliases"] if alias is not None)
            data = entry
        elif isinstance(data, State):
            data = cls._serializable_state(data)
        elif isinstance(data, dict) and any(isinstance(key, StrEnum) for key in data):
            data = type(data)({str(key): value for key, value in data.items()})
        return super()._serialize(data, **kwargs)


class SnapshotExtension(HomeAssistantSnapshotExtension):
    """Home Assistant's snapshots (registry ids and times as ANY), the same on both lanes.

    Kept in syrupy's own `__snapshots__` directory (Home Assistant's moves it to `snapshots`).
    """

    serializer_class = _SnapshotSerializer

    @classmethod
    def dirname(cls, *, test_location: PyTestLocation) -> str:
        """Return syrupy's own snapshot directory."""
        return AmberSnapshotExtension.dirname(test_location=test_location)
