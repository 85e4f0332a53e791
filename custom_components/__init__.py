"""Custom integrations (lets the tests import `custom_components.sms_gateways`)."""
