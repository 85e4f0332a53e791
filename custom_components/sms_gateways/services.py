"""Register the `sms_gateways.send_sms` action."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .const import (
    ATTR_CHANNEL,
    ATTR_CONFIG_ENTRY_ID,
    ATTR_FLASH,
    ATTR_MESSAGE,
    ATTR_RECIPIENTS,
    ATTR_SEND_AT,
    ATTR_SENDER_ID,
    ATTR_UNICODE,
    DOMAIN,
    SERVICE_SEND_SMS,
)
from .gateways import Channel, SendOptions
from .sending import async_send, loaded_entry, refusal, response

OPTIONS_SCHEMA: dict[vol.Marker, Any] = {
    vol.Optional(ATTR_SEND_AT): cv.datetime,
    vol.Optional(ATTR_FLASH): cv.boolean,
    vol.Optional(ATTR_UNICODE): cv.boolean,
    vol.Optional(ATTR_CHANNEL): vol.All(cv.string, vol.In([c.value for c in Channel])),
    vol.Optional(ATTR_SENDER_ID): cv.string,
}
SEND_SMS_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(ATTR_RECIPIENTS): vol.All(cv.ensure_list, [cv.string]),
        vol.Required(ATTR_MESSAGE): cv.string,
        **OPTIONS_SCHEMA,
    }
)


def send_options(data: dict[str, object]) -> SendOptions:
    """Return the SendOptions of action or notify `data` (already validated by OPTIONS_SCHEMA)."""
    send_at = data.get(ATTR_SEND_AT)
    if isinstance(send_at, datetime) and send_at.tzinfo is None:
        # A time picked in the UI is in Home Assistant's time zone.
        send_at = send_at.replace(tzinfo=dt_util.get_default_time_zone())
    channel = data.get(ATTR_CHANNEL)
    sender_id = data.get(ATTR_SENDER_ID)
    unicode = data.get(ATTR_UNICODE)
    return SendOptions(
        send_at=send_at if isinstance(send_at, datetime) else None,
        flash=bool(data.get(ATTR_FLASH, False)),
        unicode=unicode if isinstance(unicode, bool) else None,
        channel=Channel(channel) if isinstance(channel, str) else None,
        sender_id=sender_id if isinstance(sender_id, str) and sender_id else None,
    )


async def _async_send_sms(call: ServiceCall) -> ServiceResponse:
    entry = loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY_ID])
    sent = await async_send(
        call.hass,
        entry,
        call.data[ATTR_RECIPIENTS],
        call.data[ATTR_MESSAGE],
        send_options(dict(call.data)),
    )
    error = refusal(entry, sent)
    # With a response the caller reads which numbers failed; without one, say it loudly. If no
    # number at all went out, that is an error either way.
    if error is not None and (not call.return_response or not sent.result.accepted):
        raise error
    return response(sent) if call.return_response else None


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_SEND_SMS,
        _async_send_sms,
        schema=SEND_SMS_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
