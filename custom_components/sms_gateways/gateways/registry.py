"""Map each provider key to its gateway class."""

from __future__ import annotations

from .client import Gateway
from .duanxintong import DuanxintongGateway
from .enviosms import EnvioSmsGateway
from .itniotech import ItniotechGateway
from .smsmobileapi import SmsMobileApiGateway

GATEWAYS: dict[str, type[Gateway]] = {
    gateway.key: gateway
    for gateway in (EnvioSmsGateway, DuanxintongGateway, SmsMobileApiGateway, ItniotechGateway)
}
