"""One send path for the action, the legacy notify service and the notify entities.

Validate everything first (nothing is sent on bad input), send through the gateway once (never
retried: a second try could send the SMS twice), record the outcome for the
`last_delivery_status` sensor, start reauthentication when the credentials are rejected.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .const import DOMAIN
from .data import SmsGatewaysConfigEntry
from .errors import action_error
from .gateways.base import SendOptions, SendResult
from .gateways.errors import AuthError, GatewayError
from .gateways.numbers import to_e164


def loaded_entry(hass: HomeAssistant, entry_id: str) -> SmsGatewaysConfigEntry:
    """The loaded entry `entry_id` of this integration, or a translated error."""
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_found",
            translation_placeholders={"config_entry_id": entry_id},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"config_entry_id": entry_id},
        )
    typed: SmsGatewaysConfigEntry = entry
    return typed


async def async_send(
    hass: HomeAssistant,
    entry: SmsGatewaysConfigEntry,
    recipients: Sequence[str],
    message: str,
    options: SendOptions,
) -> SendResult:
    """Send once; raise a translated error if nothing could be sent."""
    gateway = entry.runtime_data.gateway
    try:
        result = await gateway.async_send(list(recipients), message, options)
    except AuthError as err:
        entry.async_start_reauth(hass)
        raise action_error(err, gateway.name) from err
    except GatewayError as err:
        raise action_error(err, gateway.name) from err
    entry.runtime_data.tracker.record_send(result)
    return result


def _user_numbers(entry: SmsGatewaysConfigEntry, recipients: Sequence[str]) -> dict[str, str]:
    """Provider form -> international form of the numbers the user gave."""
    gateway = entry.runtime_data.gateway
    mapping: dict[str, str] = {}
    for number in recipients:
        try:
            mapping[gateway.format_number(number)] = to_e164(number, gateway.default_region)
        except GatewayError:
            continue
    return mapping


def response(
    entry: SmsGatewaysConfigEntry, recipients: Sequence[str], result: SendResult
) -> dict[str, Any]:
    """The action's response (SPEC.md), numbers in international form."""
    numbers = _user_numbers(entry, recipients)

    def e164(number: str) -> str:
        return numbers.get(number, number)

    return {
        "accepted": [e164(r.number) for r in result.accepted],
        "rejected": [
            {"number": e164(r.number), "reason": r.reason or "rejected"} for r in result.rejected
        ],
        "message_ids": {e164(r.number): r.message_id for r in result.accepted if r.message_id},
        "segments": result.text.segments,
        "encoding": result.text.encoding.value,
    }


def refusal(
    entry: SmsGatewaysConfigEntry, recipients: Sequence[str], result: SendResult
) -> HomeAssistantError | None:
    """The error telling which recipients failed and why, or None if all were accepted."""
    rejected = result.rejected
    if not rejected:
        return None
    numbers = _user_numbers(entry, recipients)
    reasons = "; ".join(
        f"{numbers.get(r.number, r.number)}: {r.reason or 'rejected'}" for r in rejected[:10]
    )
    if len(rejected) > 10:
        reasons += f"; … (+{len(rejected) - 10})"
    name = entry.runtime_data.gateway.name
    return HomeAssistantError(
        f"{name} did not accept the message for {len(rejected)} of {len(result.results)}: {reasons}",
        translation_domain=DOMAIN,
        translation_key="send_failed",
        translation_placeholders={
            "provider": name,
            "count": str(len(rejected)),
            "total": str(len(result.results)),
            "reasons": reasons,
        },
    )
