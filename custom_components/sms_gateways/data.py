"""Type the config entry by what a loaded entry holds.

Setup builds every part with its collaborators passed in, then assigns this once, whole; nothing
writes into it afterwards. Only setup and the consumers of a loaded entry (platforms, actions,
diagnostics) import this module: the parts themselves never do, so there is no import cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry

from .coordinator import BalanceCoordinator, InboxCoordinator
from .delivery import DeliveryTracker
from .gateways import AccountInfo, Gateway
from .guard import SpendingGuard
from .inbox import Inbox
from .webhook import WebhookEndpoint


@dataclass(kw_only=True, slots=True)
class SmsGatewaysData:
    """Hold what one loaded entry runs on: the client, its guard, inbox and pollers.

    None only where the provider lacks the feature: no balance, nothing to poll, no pushes.
    """

    gateway: Gateway
    account: AccountInfo
    guard: SpendingGuard
    tracker: DeliveryTracker
    inbox: Inbox
    balance_coordinator: BalanceCoordinator | None
    inbox_coordinator: InboxCoordinator | None
    webhook: WebhookEndpoint | None

    @property
    def webhook_url(self) -> str | None:
        """Return the URL the provider pushes to (webhook or cloudhook); None if it has none."""
        return self.webhook.url if self.webhook is not None else None


type SmsGatewaysConfigEntry = ConfigEntry[SmsGatewaysData]
