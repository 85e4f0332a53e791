"""Define the constants of the SMS Gateways integration."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "sms_gateways"
LOGGER = logging.getLogger(__package__)

CONF_PROVIDER: Final = "provider"
CONF_API_SECRET: Final = "api_secret"
CONF_APP_ID: Final = "app_id"
CONF_SENDER_ID: Final = "sender_id"
CONF_WEBHOOK_SECRET: Final = "webhook_secret"
CONF_POLL_INBOUND: Final = "poll_inbound"
CONF_DEFAULT_COUNTRY: Final = "default_country"
CONF_BALANCE_THRESHOLD: Final = "balance_threshold"
CONF_PHONE_NUMBER: Final = "phone_number"
CONF_DAILY_LIMIT: Final = "daily_limit"
CONF_PRIVATE_TEXT: Final = "private_text"
CONF_PLAIN_CHARACTERS: Final = "plain_characters"

SUBENTRY_RECIPIENT: Final = "recipient"
# The model shown on a saved contact's device.
CONTACT_MODEL: Final = "SMS contact"

DEFAULT_SCAN_INTERVAL: Final = 60
MIN_SCAN_INTERVAL: Final = 15
MAX_SCAN_INTERVAL: Final = 86400

EVENT_MESSAGE_RECEIVED: Final = "sms_gateways_message_received"
EVENT_DELIVERY_REPORT: Final = "sms_gateways_delivery_report"

# Service action and its fields (SPEC.md "Sending").
SERVICE_SEND_SMS: Final = "send_sms"
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_RECIPIENTS: Final = "recipients"
ATTR_MESSAGE: Final = "message"
ATTR_SEND_AT: Final = "send_at"
ATTR_FLASH: Final = "flash"
ATTR_UNICODE: Final = "unicode"
ATTR_CHANNEL: Final = "channel"
ATTR_SENDER_ID: Final = "sender_id"

# Event data keys (SPEC.md "Inbound SMS and delivery reports").
ATTR_DEVICE_ID: Final = "device_id"
ATTR_PROVIDER: Final = "provider"
ATTR_SENDER: Final = "sender"
ATTR_MESSAGE_ID: Final = "message_id"
ATTR_RECEIVED_AT: Final = "received_at"
ATTR_SOURCE: Final = "source"
ATTR_RECIPIENT: Final = "recipient"
ATTR_STATUS: Final = "status"
ATTR_CONTACT: Final = "contact"

SOURCE_POLL: Final = "poll"
SOURCE_WEBHOOK: Final = "webhook"
