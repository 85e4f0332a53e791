"""What each transport fault of a fake must become in every gateway client."""

from __future__ import annotations

from custom_components.sms_gateways.gateways.exceptions import (
    AuthError,
    GatewayError,
    ProtocolError,
    TemporaryError,
)
from tests.fakes.base import Fault

TRANSPORT_FAULTS: list[tuple[Fault, type[GatewayError]]] = [
    (Fault.HTTP_500, TemporaryError),
    (Fault.HANG, TemporaryError),
    (Fault.DROP, TemporaryError),
    (Fault.MALFORMED, ProtocolError),
    (Fault.AUTH, AuthError),
]
