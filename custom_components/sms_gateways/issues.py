"""Repair issues: low balance, unreachable webhook, inbox not saved, daily limit near."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import CONF_BALANCE_THRESHOLD, DOMAIN
from .data import SmsGatewaysConfigEntry
from .gateways.base import Balance


def low_balance_issue_id(entry_id: str) -> str:
    """The low-balance issue of an entry."""
    return f"low_balance_{entry_id}"


def webhook_issue_id(entry_id: str) -> str:
    """The unreachable-webhook issue of an entry."""
    return f"webhook_unreachable_{entry_id}"


def spending_issue_id(entry_id: str) -> str:
    """The near-the-daily-limit issue of an entry."""
    return f"daily_limit_near_{entry_id}"


def inbox_issue_id(entry_id: str) -> str:
    """The inbox-not-saved issue of an entry."""
    return f"inbox_not_saved_{entry_id}"


@callback
def async_set_inbox_saved(hass: HomeAssistant, entry_id: str, title: str, *, saved: bool) -> None:
    """Tell the user while the inbox cannot be written (new messages are refused meanwhile)."""
    issue_id = inbox_issue_id(entry_id)
    if saved:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    _create(hass, issue_id, "inbox_not_saved", ir.IssueSeverity.ERROR, {"account": title})


@callback
def async_set_spending(
    hass: HomeAssistant, entry_id: str, title: str, *, near: bool, count: int, limit: int
) -> None:
    """Warn at 80 % of the daily limit, so the refusals to come are no surprise."""
    issue_id = spending_issue_id(entry_id)
    if not near:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    placeholders = {"account": title, "count": str(count), "limit": str(limit)}
    _create(hass, issue_id, "daily_limit_near", ir.IssueSeverity.WARNING, placeholders)


@callback
def async_check_balance(
    hass: HomeAssistant, entry: SmsGatewaysConfigEntry, balance: Balance
) -> None:
    """Raise the issue below the user's threshold (0 is off), clear it above."""
    threshold = float(entry.options.get(CONF_BALANCE_THRESHOLD, 0) or 0)
    issue_id = low_balance_issue_id(entry.entry_id)
    if threshold <= 0 or balance.value >= threshold:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    values = {"balance": f"{balance.value:g}", "threshold": f"{threshold:g}"}
    if balance.is_currency:
        _warn(hass, entry, issue_id, "low_balance", {**values, "unit": balance.unit})
    else:
        # A count of messages: the unit is in the translated text, not a placeholder.
        _warn(hass, entry, issue_id, "low_balance_messages", values)


@callback
def async_set_webhook_reachable(
    hass: HomeAssistant, entry: SmsGatewaysConfigEntry, reachable: bool
) -> None:
    """Tell the user when the provider has no way to reach the webhook."""
    issue_id = webhook_issue_id(entry.entry_id)
    if reachable:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    _warn(hass, entry, issue_id, "webhook_unreachable", {})


def _warn(
    hass: HomeAssistant,
    entry: SmsGatewaysConfigEntry,
    issue_id: str,
    key: str,
    placeholders: dict[str, str],
) -> None:
    placeholders = {
        "provider": entry.runtime_data.gateway.name,
        "account": entry.title,
        **placeholders,
    }
    _create(hass, issue_id, key, ir.IssueSeverity.WARNING, placeholders)


def _create(
    hass: HomeAssistant,
    issue_id: str,
    key: str,
    severity: ir.IssueSeverity,
    placeholders: dict[str, str],
) -> None:
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        is_persistent=False,
        severity=severity,
        translation_key=key,
        translation_placeholders=placeholders,
    )


@callback
def async_clear_issues(hass: HomeAssistant, entry_id: str) -> None:
    """The entry is gone: so are its issues."""
    ir.async_delete_issue(hass, DOMAIN, low_balance_issue_id(entry_id))
    ir.async_delete_issue(hass, DOMAIN, webhook_issue_id(entry_id))
    ir.async_delete_issue(hass, DOMAIN, inbox_issue_id(entry_id))
    ir.async_delete_issue(hass, DOMAIN, spending_issue_id(entry_id))
