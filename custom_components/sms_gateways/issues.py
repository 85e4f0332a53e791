"""Raise and clear repair issues: low balance, unreachable webhook, inbox not saved, limit near.

Callers pass ids, titles and figures, not the entry: nothing here reaches into an entry's runtime
data, so every module may report an issue without importing the entry's type.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN
from .gateways import Balance


def low_balance_issue_id(entry_id: str) -> str:
    """Return the id of an entry's low-balance issue."""
    return f"low_balance_{entry_id}"


def webhook_issue_id(entry_id: str) -> str:
    """Return the id of an entry's unreachable-webhook issue."""
    return f"webhook_unreachable_{entry_id}"


def spending_issue_id(entry_id: str) -> str:
    """Return the id of an entry's near-the-daily-limit issue."""
    return f"daily_limit_near_{entry_id}"


def inbox_issue_id(entry_id: str) -> str:
    """Return the id of an entry's inbox-not-saved issue."""
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
    hass: HomeAssistant,
    entry_id: str,
    title: str,
    *,
    provider: str,
    balance: Balance,
    threshold: float,
) -> None:
    """Raise the issue below the user's threshold (0 is off), clear it above."""
    issue_id = low_balance_issue_id(entry_id)
    if threshold <= 0 or balance.value >= threshold:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    values = {"balance": f"{balance.value:g}", "threshold": f"{threshold:g}"}
    if balance.is_currency:
        values["unit"] = balance.unit
        key = "low_balance"
    else:
        # A count of messages: the unit is in the translated text, not a placeholder.
        key = "low_balance_messages"
    placeholders = {"provider": provider, "account": title, **values}
    _create(hass, issue_id, key, ir.IssueSeverity.WARNING, placeholders)


@callback
def async_set_webhook_reachable(
    hass: HomeAssistant, entry_id: str, title: str, *, provider: str, reachable: bool
) -> None:
    """Tell the user when the provider has no way to reach the webhook."""
    issue_id = webhook_issue_id(entry_id)
    if reachable:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    placeholders = {"provider": provider, "account": title}
    _create(hass, issue_id, "webhook_unreachable", ir.IssueSeverity.WARNING, placeholders)


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
    """Delete the issues of an entry that is gone."""
    ir.async_delete_issue(hass, DOMAIN, low_balance_issue_id(entry_id))
    ir.async_delete_issue(hass, DOMAIN, webhook_issue_id(entry_id))
    ir.async_delete_issue(hass, DOMAIN, inbox_issue_id(entry_id))
    ir.async_delete_issue(hass, DOMAIN, spending_issue_id(entry_id))
