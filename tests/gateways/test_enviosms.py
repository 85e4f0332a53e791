"""EnvioSMS through its fake: auth, user, send, every documented code, faults."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
from typing import Any

import aiohttp
from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.sms_gateways.gateways.base import HttpAnswer, SendOptions
from custom_components.sms_gateways.gateways.enviosms import EnvioSmsGateway, parse_answer
from custom_components.sms_gateways.gateways.errors import (
    AuthError,
    GatewayError,
    InvalidNumberError,
    MessageTooLongError,
    ProtocolError,
    RefusedError,
    TemporaryError,
)
from tests.fakes.base import Fault
from tests.fakes.enviosms import EnvioSmsFake
from tests.gateways.faults import TRANSPORT_FAULTS

NUMBER = "+52 55 1234 5678"


@pytest.fixture
async def env(serve: Any, session: aiohttp.ClientSession) -> tuple[EnvioSmsFake, EnvioSmsGateway]:
    fake = EnvioSmsFake()
    url = await serve(fake)
    return fake, EnvioSmsGateway(session, fake.credentials, url=url, timeout=0.3)


def _sms_requests(fake: EnvioSmsFake) -> list[Any]:
    return [r for r in fake.state.requests if r.path.startswith("/sms/")]


async def test_validate_and_balance(env: tuple[EnvioSmsFake, EnvioSmsGateway]) -> None:
    fake, gateway = env
    account = await gateway.async_validate()
    assert (account.account_id, account.name) == ("prueba", "prueba")
    assert account.balance is not None
    assert (account.balance.value, account.balance.unit) == (100.0, "MXN")
    fake.balance = 42.5
    assert (await gateway.async_balance()).value == 42.5


async def test_credentials_are_quoted_in_the_path(
    serve: Any, session: aiohttp.ClientSession
) -> None:
    fake = EnvioSmsFake(username="ana/lópez", password="p?a#s s/1")
    gateway = EnvioSmsGateway(session, fake.credentials, url=await serve(fake))
    assert (await gateway.async_validate()).account_id == "ana/lópez"


async def test_rejected_credentials(serve: Any, session: aiohttp.ClientSession) -> None:
    fake = EnvioSmsFake()
    gateway = EnvioSmsGateway(
        session, {"username": "prueba", "password": "wrong-secret"}, url=await serve(fake)
    )
    with pytest.raises(AuthError) as err:
        await gateway.async_validate()
    assert "wrong-secret" not in str(err.value)
    assert err.value.code == "4002"


async def test_send_maps_options_to_wire_fields(
    env: tuple[EnvioSmsFake, EnvioSmsGateway],
) -> None:
    fake, gateway = env
    when = datetime(2030, 1, 2, 18, 30, tzinfo=UTC)
    result = await gateway.async_send(
        [NUMBER], "Hola", SendOptions(send_at=when, unicode=True, flash=True)
    )
    assert result.accepted[0].message_id is not None
    assert result.accepted[0].message_id.startswith("enviosms:")
    (sent,) = fake.sent
    assert sent.number == "5512345678"
    # 18:30 UTC is 12:30 in Mexico City (UTC-6, no daylight saving since 2022).
    assert sent.options == {
        "fechaHoraEnvio": "2030-01-02 12:30:00",
        "conAcento": True,
        "flash": True,
    }
    plain = await gateway.async_send([NUMBER], "Hola")
    assert plain.accepted
    assert json.loads(_sms_requests(fake)[-1].body) == {"to": "5512345678", "text": "Hola"}


async def test_one_request_per_number(env: tuple[EnvioSmsFake, EnvioSmsGateway]) -> None:
    fake, gateway = env
    numbers = [f"+52551234{i:04d}" for i in range(12)]
    result = await gateway.async_send(numbers, "Hola")
    assert len(result.accepted) == 12
    assert result.requests == 12
    assert len(_sms_requests(fake)) == 12
    # The token and keys are fetched once, not per message.
    assert sum(r.path.startswith("/auth/") for r in fake.state.requests) == 1


@pytest.mark.parametrize(
    ("text", "options", "code"),
    [
        ("Vota por el voto libre", SendOptions(), "4021"),
        ("Mira https://example.com", SendOptions(), "4022"),
        ("Hola {flash}", SendOptions(flash=True), "4023"),
    ],
)
async def test_content_refusals(
    env: tuple[EnvioSmsFake, EnvioSmsGateway], text: str, options: SendOptions, code: str
) -> None:
    fake, gateway = env
    result = await gateway.async_send([NUMBER], text, options)
    (rejected,) = result.rejected
    assert rejected.code == code
    assert rejected.reason
    assert fake.sent == []


async def test_no_credit(env: tuple[EnvioSmsFake, EnvioSmsGateway]) -> None:
    fake, gateway = env
    fake.balance = 0
    (rejected,) = (await gateway.async_send([NUMBER], "Hola")).rejected
    assert (rejected.code, rejected.reason) == ("402", "Saldo insuficiente")


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("4000", RefusedError),
        ("4001", RefusedError),
        ("4002", AuthError),
        ("4004", RefusedError),
        ("4005", RefusedError),
        ("4007", RefusedError),
        ("4010", RefusedError),
        ("4011", ProtocolError),
        ("4012", TemporaryError),
        ("4021", RefusedError),
        ("4022", RefusedError),
        ("4023", RefusedError),
        ("400", RefusedError),
        ("401", AuthError),
        ("402", RefusedError),
        ("404", ProtocolError),
    ],
)
async def test_every_documented_code(
    env: tuple[EnvioSmsFake, EnvioSmsGateway], code: str, error: type[GatewayError]
) -> None:
    fake, gateway = env
    fake.set_fault(Fault.CODE, code=code)
    with pytest.raises(error) as err:
        await gateway.async_validate()
    assert err.value.code == code


async def test_keys_refreshed_once_on_401(env: tuple[EnvioSmsFake, EnvioSmsGateway]) -> None:
    fake, gateway = env
    await gateway.async_validate()
    fake.apik, fake.apis = "NEWKEY", "NEWSECRET"  # regenerated in the dashboard
    result = await gateway.async_send([NUMBER], "Hola")
    assert result.accepted
    assert len(fake.sent) == 1


async def test_send_with_rejected_credentials_raises(
    env: tuple[EnvioSmsFake, EnvioSmsGateway],
) -> None:
    fake, gateway = env
    fake.password = "changed"
    with pytest.raises(AuthError):
        await gateway.async_send([NUMBER, "+52 55 8765 4321"], "Hola")
    assert fake.sent == []


@pytest.mark.parametrize(
    ("fault", "error"),
    TRANSPORT_FAULTS,
)
async def test_faults(
    env: tuple[EnvioSmsFake, EnvioSmsGateway], fault: Fault, error: type[GatewayError]
) -> None:
    fake, gateway = env
    fake.set_fault(fault)
    with pytest.raises(error) as err:
        await gateway.async_validate()
    assert "prueba-password" not in str(err.value)


@pytest.mark.parametrize(
    ("numbers", "text", "error"),
    [
        (["+15551234567"], "Hola", InvalidNumberError),  # not Mexican
        (["12345"], "Hola", InvalidNumberError),
        ([NUMBER], "x" * 510, MessageTooLongError),
    ],
)
async def test_validation_before_any_request(
    env: tuple[EnvioSmsFake, EnvioSmsGateway],
    numbers: list[str],
    text: str,
    error: type[Exception],
) -> None:
    fake, gateway = env
    with pytest.raises(error):
        await gateway.async_send(numbers, text)
    assert fake.state.requests == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"{ status: true, tipo: 0, codigo: 1001, mensaje: 'Env\xc3\xado en proceso' }", 1001),
        (b'{"status": true, "code": 1003}', 1003),
        (b'{"status": true, "code": "1000"}', "1000"),
    ],
)
def test_code_or_codigo(body: bytes, expected: object) -> None:
    parsed = parse_answer(HttpAnswer(200, body))
    assert parsed.get("codigo", parsed.get("code")) == expected


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(status=st.sampled_from([200, 400, 401, 402, 404, 418]), body=st.binary(max_size=200))
def test_parser_raises_only_our_errors_on_bytes(status: int, body: bytes) -> None:
    try:
        parse_answer(HttpAnswer(status, body))
    except GatewayError:
        pass


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(
    value=st.one_of(
        json_values,
        st.fixed_dictionaries(
            {"status": st.booleans(), "codigo": json_values, "mensaje": json_values}
        ),
    )
)
def test_parser_raises_only_our_errors_on_json(value: object) -> None:
    try:
        parse_answer(HttpAnswer(200, json.dumps(value).encode()))
    except GatewayError:
        pass


async def test_past_send_at_is_refused(env: tuple[EnvioSmsFake, EnvioSmsGateway]) -> None:
    fake, gateway = env
    with pytest.raises(GatewayError):
        await gateway.async_send(
            [NUMBER], "Hola", SendOptions(send_at=datetime.now(UTC) - timedelta(hours=1))
        )
    assert fake.state.requests == []
