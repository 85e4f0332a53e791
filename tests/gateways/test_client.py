"""The shared send logic: validation first, batching, one request per batch, error aggregation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from custom_components.sms_gateways.gateways.exceptions import (
    AuthError,
    EmptyMessageError,
    InvalidNumberError,
    InvalidOptionError,
    MessageTooLongError,
    NoRecipientsError,
    UnsupportedOptionError,
)
from custom_components.sms_gateways.gateways.models import Capabilities, SendOptions
from tests.fakes.base import Fault
from tests.gateways.echo import NUMBERS, EchoFake, EchoGateway


async def test_batches_and_per_recipient_results(echo: tuple[EchoFake, EchoGateway]) -> None:
    fake, gateway = echo
    result = await gateway.async_send([*NUMBERS, NUMBERS[1]], "hola")
    # 8 distinct numbers (the repeat is sent once) in batches of at most 3.
    assert sorted(len(b) for b in fake.batches) == [2, 3, 3]
    assert result.requests == 3
    assert [r.number for r in result.results] == NUMBERS
    assert [r.number for r in result.rejected] == [NUMBERS[0]]
    assert result.accepted[0].message_id == f"id-{NUMBERS[1]}"
    assert result.text.segments == 1


@pytest.mark.parametrize(
    ("numbers", "text", "options", "error"),
    [
        ([], "hola", SendOptions(), NoRecipientsError),
        (NUMBERS, "   ", SendOptions(), EmptyMessageError),
        (NUMBERS, "x" * 21, SendOptions(), MessageTooLongError),
        ([*NUMBERS, "12"], "hola", SendOptions(), InvalidNumberError),
        (NUMBERS, "hola", SendOptions(sender_id="HOME"), UnsupportedOptionError),
        (
            NUMBERS,
            "hola",
            SendOptions(send_at=datetime.now(UTC) - timedelta(minutes=1)),
            UnsupportedOptionError,
        ),
    ],
)
async def test_nothing_sent_on_bad_input(
    echo: tuple[EchoFake, EchoGateway],
    numbers: list[str],
    text: str,
    options: SendOptions,
    error: type[Exception],
) -> None:
    fake, gateway = echo
    with pytest.raises(error):
        await gateway.async_send(numbers, text, options)
    assert fake.state.requests == []


async def test_send_at_must_be_future_and_aware(session: aiohttp.ClientSession) -> None:
    class Scheduling(EchoGateway):
        capabilities = Capabilities(max_length=20, max_recipients_per_request=3, schedule=True)

    gateway = Scheduling(session, {"api_key": "good"})
    with pytest.raises(InvalidOptionError):
        gateway.check_options(SendOptions(send_at=datetime.now(UTC) - timedelta(seconds=1)))
    with pytest.raises(InvalidOptionError):
        gateway.check_options(SendOptions(send_at=datetime(2999, 1, 1)))  # noqa: DTZ001
    gateway.check_options(SendOptions(send_at=datetime.now(UTC) + timedelta(minutes=5)))


async def test_all_batches_rejected_credentials_raise(
    serve: Any, session: aiohttp.ClientSession
) -> None:
    fake = EchoFake()
    gateway = EchoGateway(session, {"api_key": "bad"}, url=await serve(fake))
    with pytest.raises(AuthError):
        await gateway.async_send(NUMBERS, "hola")


async def test_a_failed_batch_is_reported_not_retried(echo: tuple[EchoFake, EchoGateway]) -> None:
    fake, gateway = echo
    fake.set_fault(Fault.HTTP_500, count=1)
    result = await gateway.async_send(NUMBERS, "hola")
    # One batch of three failed; it was not sent again, the others went through.
    assert len(fake.state.requests) == 3
    failed = [r for r in result.rejected if r.code == "500"]
    assert len(failed) == 3
    assert all("HTTP 500" in (r.reason or "") for r in failed)
