"""HTTP-level fakes of the providers, each speaking its provider's documented wire format."""

from __future__ import annotations

from tests.fakes.base import FakeProvider
from tests.fakes.duanxintong import DuanxintongFake
from tests.fakes.enviosms import EnvioSmsFake
from tests.fakes.itniotech import ItniotechFake
from tests.fakes.smsmobileapi import SmsMobileApiFake


def make_fakes() -> dict[str, FakeProvider]:
    """Return one fake per provider, with its default account, by provider key."""
    return {
        fake.key: fake
        for fake in (EnvioSmsFake(), DuanxintongFake(), SmsMobileApiFake(), ItniotechFake())
    }
