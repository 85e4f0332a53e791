"""Send SMS: one path for the action, the legacy notify service and the notify entities.

Validate everything first (nothing is sent on bad input), send through the gateway once (never
retried: a second try could send the SMS twice), record the outcome for the
`last_delivery_status` sensor, start reauthentication when the credentials are rejected.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util import dt as dt_util

from .const import CONF_PLAIN_CHARACTERS, DOMAIN
from .contacts import resolve_recipients
from .data import SmsGatewaysConfigEntry
from .errors import Stage, translated_errors
from .gateways import AuthError, GatewayError, SendOptions, SendResult, ValidationError
from .gateways.text import plain_lookalikes

# At most this many numbers a call (the action's field description says so). It is the largest
# request any of the providers takes (Itniotech: 1,000 numbers); more is a bulk campaign, which
# would hold a provider's connections for minutes (one request a number on EnvioSMS and
# SMSMobileAPI) and cannot be taken back once it has started.
MAX_RECIPIENTS = 1000
# Numbers parsed between two yields to the event loop: phonenumbers takes 25-100 ms for 1,000.
PARSE_CHUNK = 100
# How far ahead `send_at` may be. No provider documents scheduling further than this, a message
# planned more than a year ahead is almost certainly a typo (a wrong year), and the bound keeps
# every time well inside what the providers' formats express: a year-9999 time moved to the
# provider's zone (UTC+8 for 112088) left Python's datetime range and raised OverflowError.
SEND_AT_HORIZON = timedelta(days=365)


@dataclass(frozen=True, slots=True)
class Sent:
    """Hold what one send did, and the numbers the user gave by their provider form."""

    result: SendResult
    # Provider form -> international form, for the response and errors.
    numbers: Mapping[str, str]
    # Look-alike characters replaced before sending (option `plain_characters`).
    replaced: Mapping[str, str] = field(default_factory=dict)

    def e164(self, number: str) -> str:
        """Return `number` (provider form) as the user's number in international form, if known."""
        return self.numbers.get(number, number)


def loaded_entry(hass: HomeAssistant, entry_id: str) -> SmsGatewaysConfigEntry:
    """Return the loaded entry `entry_id` of this integration, or raise a translated error."""
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


def check_recipient_count(recipients: Sequence[str]) -> None:
    """Refuse more than `MAX_RECIPIENTS` numbers, before a single one is parsed."""
    if len(recipients) > MAX_RECIPIENTS:
        raise ServiceValidationError(
            f"{len(recipients)} recipients; at most {MAX_RECIPIENTS} a call",
            translation_domain=DOMAIN,
            translation_key="too_many_recipients",
            translation_placeholders={
                "count": str(len(recipients)),
                "limit": str(MAX_RECIPIENTS),
            },
        )


def check_send_at(entry: SmsGatewaysConfigEntry, send_at: datetime | None) -> None:
    """Refuse a `send_at` beyond `SEND_AT_HORIZON`.

    Only where the provider schedules: elsewhere the gateway says the option is not supported,
    which is the more useful answer. A time in the past is the gateway's to refuse.
    """
    if send_at is None or not entry.runtime_data.gateway.capabilities.schedule:
        return
    latest = dt_util.now() + SEND_AT_HORIZON
    # Aware datetimes compare without being converted, so year 9999 in any zone is safe here.
    if send_at.tzinfo is not None and send_at > latest:
        shown = latest.replace(second=0, microsecond=0).isoformat(timespec="minutes")
        raise ServiceValidationError(
            f"send_at is more than {SEND_AT_HORIZON.days} days ahead (latest {shown})",
            translation_domain=DOMAIN,
            translation_key="send_at_out_of_range",
            translation_placeholders={"latest": shown},
        )


async def _async_user_numbers(
    entry: SmsGatewaysConfigEntry, recipients: Sequence[str]
) -> dict[str, str]:
    """Map the numbers the user gave from provider form to international form.

    Parsed `PARSE_CHUNK` at a time, yielding to the event loop in between, so a long list does
    not stall it. A number that does not parse is left out: the gateway refuses it by name.
    """
    gateway = entry.runtime_data.gateway
    mapping: dict[str, str] = {}
    for start in range(0, len(recipients), PARSE_CHUNK):
        if start:
            await asyncio.sleep(0)
        for number in recipients[start : start + PARSE_CHUNK]:
            try:
                mapped = gateway.numbers((number,))
            except GatewayError:
                continue
            mapping.update((form, e164) for form, e164 in mapped.items() if e164 is not None)
    return mapping


async def async_send(
    hass: HomeAssistant,
    entry: SmsGatewaysConfigEntry,
    recipients: Sequence[str],
    message: str,
    options: SendOptions,
) -> Sent:
    """Validate, then send once; raise a translated error if nothing could be sent."""
    check_recipient_count(recipients)
    recipients = resolve_recipients(hass, entry, recipients)
    check_send_at(entry, options.send_at)
    numbers = await _async_user_numbers(entry, recipients)
    runtime = entry.runtime_data
    gateway, guard = runtime.gateway, runtime.guard
    replaced: dict[str, str] = {}
    if entry.options.get(CONF_PLAIN_CHARACTERS, False):
        message, replaced = plain_lookalikes(message)
    with translated_errors(gateway.name, Stage.ACTION):
        # What the provider will bill, as far as it can be known before sending.
        planned = gateway.check_text(message, options).segments * len(numbers)
    await guard.async_reserve(planned)
    # Refused: the reservation is given back. Any other failure (a time-out) may have been sent,
    # so it stays counted: the guard errs on the safe side.
    with translated_errors(gateway.name, Stage.ACTION):
        try:
            result = await gateway.async_send(list(recipients), message, options)
        except AuthError:
            await guard.async_settle(planned, 0)
            entry.async_start_reauth(hass)
            raise
        except ValidationError:
            await guard.async_settle(planned, 0)
            raise
    await guard.async_settle(planned, result.text.segments * len(result.accepted))
    runtime.tracker.record_send(result)
    if result.accepted and (balance := runtime.balance_coordinator) is not None:
        # The credit changed: read it once the burst of sends is over.
        balance.async_schedule_refresh_after_send()
    return Sent(result, numbers, replaced)


def response(sent: Sent) -> dict[str, Any]:
    """Return the action's response (SPEC.md), numbers in international form."""
    result, e164 = sent.result, sent.e164
    return {
        "accepted": [e164(r.number) for r in result.accepted],
        "rejected": [
            {"number": e164(r.number), "reason": r.reason or "rejected"} for r in result.rejected
        ],
        "message_ids": {e164(r.number): r.message_id for r in result.accepted if r.message_id},
        "segments": result.text.segments,
        "encoding": result.text.encoding.value,
        **({"replaced": dict(sent.replaced)} if sent.replaced else {}),
    }


def refusal(entry: SmsGatewaysConfigEntry, sent: Sent) -> HomeAssistantError | None:
    """Return the error naming the recipients that failed and why; None if all were accepted."""
    result = sent.result
    rejected = result.rejected
    if not rejected:
        return None
    reasons = "; ".join(f"{sent.e164(r.number)}: {r.reason or 'rejected'}" for r in rejected[:10])
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
