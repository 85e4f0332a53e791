"""Create and delete an entry's cloudhook (Home Assistant Cloud's relay to its webhook).

The config flow makes it (so the user copies the URL that will be used), setup makes it if the
flow could not, and removing the entry deletes it: all of them through here.
"""

from __future__ import annotations

from contextlib import suppress

from homeassistant.components import cloud
from homeassistant.core import HomeAssistant

from .const import LOGGER

# Where the entry keeps the cloudhook's URL once made.
CONF_CLOUDHOOK_URL = "cloudhook_url"


def cloud_subscribed(hass: HomeAssistant) -> bool:
    """Return whether Home Assistant Cloud is loaded with an active subscription."""
    return "cloud" in hass.config.components and cloud.async_active_subscription(hass)


async def async_create_cloudhook(hass: HomeAssistant, webhook_id: str) -> str | None:
    """Create the cloudhook of `webhook_id`; None without a subscription or a connection.

    Not connected yet (`CloudNotConnected` is a `CloudNotAvailable`): the caller tries again
    later, or shows the local URL.
    """
    if not cloud_subscribed(hass):
        return None
    try:
        return await cloud.async_create_cloudhook(hass, webhook_id)
    except cloud.CloudNotAvailable:
        LOGGER.debug("Home Assistant Cloud is not connected: no cloudhook yet")
        return None


async def async_delete_cloudhook(hass: HomeAssistant, webhook_id: str) -> None:
    """Delete the cloudhook of `webhook_id`; the cloud being gone meanwhile is not an error."""
    if "cloud" not in hass.config.components:
        return
    with suppress(cloud.CloudNotAvailable, ValueError):
        await cloud.async_delete_cloudhook(hass, webhook_id)
