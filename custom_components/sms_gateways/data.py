"""The typed config entry and what it holds while loaded."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry

from .delivery import DeliveryTracker
from .gateways.base import AccountInfo, Gateway

if TYPE_CHECKING:
    from homeassistant.components.notify.legacy import BaseNotificationService

    from .coordinator import BalanceCoordinator, InboxCoordinator
    from .guard import SpendingGuard
    from .inbox import Inbox


@dataclass(slots=True)
class SmsGatewaysData:
    """Everything one loaded entry needs: the client, its coordinators and its inbox."""

    gateway: Gateway
    account: AccountInfo
    guard: SpendingGuard
    tracker: DeliveryTracker = field(default_factory=DeliveryTracker)
    balance_coordinator: BalanceCoordinator | None = None
    inbox_coordinator: InboxCoordinator | None = None
    inbox: Inbox | None = None
    # The URL a provider pushes to (webhook or cloudhook), None where it does not push.
    webhook_url: str | None = None
    # The legacy notify service, so unloading can remove it.
    notify_service: BaseNotificationService | None = None


type SmsGatewaysConfigEntry = ConfigEntry[SmsGatewaysData]
