"""What differs between the two test lanes (Home Assistant 2025.4.4 and the newest release).

One place for it, so test modules stay the same on both lanes.
"""

from __future__ import annotations

from typing import Any

from homeassistant.helpers import config_validation as cv

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
