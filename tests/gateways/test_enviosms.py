"""EnvioSMS through its fake: auth, user, send, every documented code, faults, parsers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
import json
import math
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp.test_utils import TestServer
from hypothesis import given, settings, strategies as st
import pytest

from custom_components.sms_gateways.gateways.enviosms import (
    EnvioSmsGateway,
    parse_answer,
    parse_balance,
)
from custom_components.sms_gateways.gateways.exceptions import (
    AuthError,
    EmptyMessageError,
    GatewayError,
    InvalidNumberError,
    InvalidOptionError,
    MessageTooLongError,
    ProtocolError,
    RefusedError,
    TemporaryError,
)
from custom_components.sms_gateways.gateways.models import SendOptions
from custom_components.sms_gateways.gateways.text import Encoding
from custom_components.sms_gateways.gateways.transport import HttpAnswer
from tests.fakes.base import Fault, build_app
from tests.fakes.enviosms import (
    CODES as FAKE_CODES,
    HTTP_REASONS,
    EnvioSmsFake,
    literal_body,
    scheduled_at,
    strict_body,
)
from tests.gateways.faults import TRANSPORT_FAULTS

NUMBER = "+52 55 1234 5678"
WIRE = "5512345678"
DOCUMENTED_SEND_ANSWER = "{ status: true, tipo: 0, codigo: 1001, mensaje: 'Envío en proceso' }"

Env = tuple[EnvioSmsFake, EnvioSmsGateway]


@pytest.fixture
async def env(serve: Any, session: aiohttp.ClientSession) -> Env:
    fake = EnvioSmsFake()
    url = await serve(fake)
    return fake, EnvioSmsGateway(session, fake.credentials, url=url, timeout=0.3)


def _count(fake: EnvioSmsFake, endpoint: str) -> int:
    return sum(r.path.startswith(f"/{endpoint}/") for r in fake.state.requests)


def _assert_no_secret(fake: EnvioSmsFake, err: BaseException) -> None:
    shown = f"{err} {err!r}"
    for secret in (fake.password, fake.apik, fake.apis, *fake.tokens):
        assert secret not in shown


# -- auth and user --------------------------------------------------------------------------------


async def test_validate_signs_in_and_reports_the_account(env: Env) -> None:
    fake, gateway = env
    account = await gateway.async_validate()
    assert (account.account_id, account.name) == ("prueba", "prueba")
    assert account.balance is not None
    assert (account.balance.value, account.balance.unit) == (100.0, "MXN")
    auth, user = fake.state.requests
    assert (auth.method, auth.path) == ("GET", "/auth/prueba/prueba-password")
    (token,) = fake.tokens
    assert (user.method, user.path) == ("GET", f"/user/{token}")


async def test_balance_reuses_the_token(env: Env) -> None:
    fake, gateway = env
    await gateway.async_validate()
    fake.balance = 42.5
    assert (await gateway.async_balance()).value == 42.5
    assert (await gateway.async_balance()).unit == "MXN"
    assert (_count(fake, "auth"), _count(fake, "user")) == (1, 3)


async def test_balance_signs_in_again_once_the_token_expired(env: Env) -> None:
    fake, gateway = env
    await gateway.async_validate()
    fake.expire_tokens()
    fake.balance = 7.25
    assert (await gateway.async_balance()).value == 7.25
    assert _count(fake, "auth") == 2


async def test_balance_without_a_previous_sign_in(env: Env) -> None:
    fake, gateway = env
    assert (await gateway.async_balance()).value == 100.0
    assert (_count(fake, "auth"), _count(fake, "user")) == (1, 1)


async def test_path_segments_are_quoted(serve: Any, session: aiohttp.ClientSession) -> None:
    # Unquoted, `/` would add a path segment, `?` start a query and `#` a fragment.
    fake = EnvioSmsFake(username="ana/lópez", password="p?a#s s/1%", apik="K/1?", apis="S#2/")
    gateway = EnvioSmsGateway(session, fake.credentials, url=await serve(fake))
    assert (await gateway.async_validate()).account_id == "ana/lópez"
    assert (await gateway.async_send([NUMBER], "Hola")).accepted
    assert [m.number for m in fake.sent] == [WIRE]


async def test_a_path_prefix_in_the_url_is_kept(session: aiohttp.ClientSession) -> None:
    # The simulator serves every provider under /<key>, like a proxy in front of the API.
    fake = EnvioSmsFake()
    server = TestServer(build_app([fake]), host="127.0.0.1")
    await server.start_server()
    try:
        url = str(server.make_url("/enviosms/"))
        gateway = EnvioSmsGateway(session, fake.credentials, url=url)
        await gateway.async_validate()
        assert (await gateway.async_send([NUMBER], "Hola")).accepted
    finally:
        await server.close()


def test_default_url_is_the_current_host(session: aiohttp.ClientSession) -> None:
    gateway = EnvioSmsGateway(session, {"username": "u", "password": "p"})
    assert gateway.url == "https://sms.api4it.com/v1"


async def test_rejected_credentials(serve: Any, session: aiohttp.ClientSession) -> None:
    fake = EnvioSmsFake()
    gateway = EnvioSmsGateway(
        session, {"username": "prueba", "password": "wrong-secret"}, url=await serve(fake)
    )
    with pytest.raises(AuthError) as err:
        await gateway.async_validate()
    assert (err.value.code, err.value.reason) == ("4002", "Credenciales inválidas")
    assert "wrong-secret" not in f"{err.value} {err.value!r}"
    assert fake.tokens == set()


# -- sending --------------------------------------------------------------------------------------


async def test_options_map_to_the_documented_wire_fields(env: Env) -> None:
    fake, gateway = env
    when = datetime(2030, 7, 2, 18, 30, tzinfo=UTC)
    result = await gateway.async_send(
        [NUMBER], "Hola", SendOptions(send_at=when, unicode=True, flash=True)
    )
    assert result.accepted
    (request,) = [r for r in fake.state.requests if r.method == "POST"]
    assert request.headers["Content-Type"].startswith("application/json")
    # The provider reads `fechaHoraEnvio` in UTC (its current README).
    assert json.loads(request.body) == {
        "to": WIRE,
        "text": "Hola",
        "fechaHoraEnvio": "2030-07-02 18:30:00",
        "conAcento": True,
        "flash": True,
    }
    assert scheduled_at(fake.sent[0]) == when


@pytest.mark.parametrize(
    "zone", [ZoneInfo("America/Mexico_City"), timezone(timedelta(hours=5, minutes=30)), UTC]
)
async def test_a_scheduled_sms_goes_out_at_the_instant_asked(env: Env, zone: Any) -> None:
    # Mexico City time sent as if it were UTC would go out six hours early.
    fake, gateway = env
    when = datetime(2030, 12, 24, 20, 0, tzinfo=zone)
    assert (await gateway.async_send([NUMBER], "Hola", SendOptions(send_at=when))).accepted
    assert scheduled_at(fake.sent[0]) == when


@pytest.mark.parametrize(
    ("options", "fields"),
    [
        (SendOptions(), {}),
        (SendOptions(unicode=False), {"conAcento": False}),
        (SendOptions(flash=False, unicode=None), {}),
    ],
)
async def test_options_are_sent_only_when_set(
    env: Env, options: SendOptions, fields: dict[str, Any]
) -> None:
    fake, gateway = env
    await gateway.async_send([NUMBER], "Hola", options)
    (request,) = [r for r in fake.state.requests if r.method == "POST"]
    assert json.loads(request.body) == {"to": WIRE, "text": "Hola", **fields}


async def test_each_accepted_number_gets_its_own_local_id(env: Env) -> None:
    _, gateway = env
    result = await gateway.async_send([NUMBER, "+52 33 1234 5678"], "Hola")
    ids = [r.message_id for r in result.accepted]
    assert len(ids) == 2
    assert len(set(ids)) == 2
    assert all(i is not None and i.startswith("enviosms:") for i in ids)


async def test_one_request_per_number_and_one_sign_in(env: Env) -> None:
    fake, gateway = env
    numbers = [f"+52551234{i:04d}" for i in range(12)]
    result = await gateway.async_send(numbers, "Hola")
    assert [r.number for r in result.accepted] == [f"551234{i:04d}" for i in range(12)]
    assert result.requests == 12
    assert _count(fake, "sms") == 12
    # Five sends start at once; they share one sign-in instead of one each.
    assert (_count(fake, "auth"), _count(fake, "user")) == (1, 1)


async def test_regenerated_keys_are_fetched_once_and_the_send_repeated(env: Env) -> None:
    fake, gateway = env
    await gateway.async_validate()
    fake.regenerate_keys()
    result = await gateway.async_send([NUMBER, "+52 33 1234 5678", "+52 81 1234 5678"], "Hola")
    assert len(result.accepted) == 3
    assert sorted(m.number for m in fake.sent) == ["3312345678", "5512345678", "8112345678"]
    # Three refused sends, one new sign-in between them, three repeated sends.
    assert (_count(fake, "auth"), _count(fake, "sms")) == (2, 6)


@pytest.mark.parametrize("code", ["401", "4002"])
async def test_refused_keys_are_retried_once_then_refused(env: Env, code: str) -> None:
    # Kept keys refused: one fresh sign-in, one more send; refused again with the keys just
    # handed out, it is a lack of permissions, not credentials to re-enter.
    fake, gateway = env
    await gateway.async_validate()
    fake.set_fault(Fault.CODE, code=code, path=fake.apis)
    (rejected,) = (await gateway.async_send([NUMBER], "Hola")).rejected
    assert rejected.code == code
    assert rejected.reason is not None
    assert rejected.reason.startswith("Insufficient permissions")
    assert (_count(fake, "auth"), _count(fake, "sms")) == (2, 2)
    assert fake.sent == []


async def test_a_401_right_after_signing_in_is_a_refusal_not_credentials(env: Env) -> None:
    # The document's 401: "APIK o APIS incorrectos, Permisos insuficientes". Keys this very
    # send just fetched are right: no second sign-in, no reauthentication.
    fake, gateway = env
    fake.forbidden = {"sms"}
    (rejected,) = (await gateway.async_send([NUMBER], "Hola")).rejected
    assert rejected.code == "401"
    assert rejected.reason == (
        "Insufficient permissions (refused right after a fresh sign-in): No Autorizado"
    )
    assert (_count(fake, "auth"), _count(fake, "sms")) == (1, 1)
    assert fake.sent == []


async def test_kept_keys_refused_for_permissions(env: Env) -> None:
    fake, gateway = env
    await gateway.async_validate()
    fake.forbidden = {"sms"}
    result = await gateway.async_send([NUMBER, "+52 33 1234 5678"], "Hola")
    assert [r.code for r in result.rejected] == ["401", "401"]
    # One sign-in shared by both sends, each sent twice.
    assert (_count(fake, "auth"), _count(fake, "sms")) == (2, 4)


async def test_user_record_refused_right_after_signing_in_is_a_refusal(env: Env) -> None:
    fake, gateway = env
    fake.forbidden = {"user"}
    with pytest.raises(RefusedError) as err:
        await gateway.async_validate()
    assert err.value.code == "401"
    with pytest.raises(RefusedError):
        await gateway.async_balance()
    _assert_no_secret(fake, err.value)


async def test_balance_with_a_token_no_longer_accepted_signs_in_once(env: Env) -> None:
    # Any endpoint: the kept token refused by /user gets one fresh sign-in, then /user again.
    fake, gateway = env
    await gateway.async_validate()
    fake.expire_tokens()
    fake.forbidden = {"user"}
    with pytest.raises(RefusedError):
        await gateway.async_balance()
    assert (_count(fake, "auth"), _count(fake, "user")) == (2, 3)
    fake.forbidden = set()
    fake.expire_tokens()
    assert (await gateway.async_balance()).value == 100.0
    assert (_count(fake, "auth"), _count(fake, "user")) == (3, 5)


async def test_changed_password_stops_before_sending(env: Env) -> None:
    fake, gateway = env
    fake.password = "changed"
    with pytest.raises(AuthError):
        await gateway.async_send([NUMBER, "+52 33 1234 5678"], "Hola")
    assert _count(fake, "sms") == 0


@pytest.mark.parametrize(
    ("fault", "code", "error"),
    [
        (Fault.CODE, "4012", TemporaryError),
        (Fault.CODE, "4011", ProtocolError),
        (Fault.HANG, None, TemporaryError),
        (Fault.HTTP_500, None, TemporaryError),
        (Fault.DROP, None, TemporaryError),
        (Fault.MALFORMED, None, ProtocolError),
    ],
)
async def test_a_send_that_may_have_gone_out_is_not_repeated(
    env: Env, fault: Fault, code: str | None, error: type[GatewayError]
) -> None:
    fake, gateway = env
    fake.set_fault(fault, code=code, path=fake.apis)
    with pytest.raises(error) as err:
        await gateway.async_send([NUMBER], "Hola")
    assert _count(fake, "sms") == 1
    _assert_no_secret(fake, err.value)


async def test_one_failed_number_does_not_stop_the_others(env: Env) -> None:
    fake, gateway = env
    fake.set_fault(Fault.HTTP_500, count=1, path=fake.apis)
    result = await gateway.async_send([NUMBER, "+52 33 1234 5678"], "Hola")
    assert len(result.accepted) == 1
    (rejected,) = result.rejected
    assert rejected.code == "500"


# -- the fake's content rules, seen through the gateway -------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Vota hoy",
        "el VOTO es libre",
        "Escribe a p@n",
        "ve a u.to/abc",
        "llama al 221-275-1296.",
        "soporte iSupport",
        "visita www.serbiafashion.com",
    ],
)
async def test_blocked_words_are_refused(env: Env, text: str) -> None:
    fake, gateway = env
    (rejected,) = (await gateway.async_send([NUMBER], text)).rejected
    assert (rejected.code, rejected.reason) == (
        "4021",
        "No se pueden enviar mensajes que contengan palabras bloqueadas",
    )
    assert fake.sent == []


@pytest.mark.parametrize("text", ["Primero llega María", "las casillas", "votante", "menu.tokio"])
async def test_blocked_words_match_whole_words_only(env: Env, text: str) -> None:
    fake, gateway = env
    assert (await gateway.async_send([NUMBER], text)).accepted
    assert [m.text for m in fake.sent] == [text]


async def test_urls_need_authorisation(env: Env) -> None:
    fake, gateway = env
    text = "Promo en https://example.com/promo."
    (rejected,) = (await gateway.async_send([NUMBER], text)).rejected
    assert rejected.code == "4022"
    fake.authorised_urls.add("https://example.com/promo")
    assert (await gateway.async_send([NUMBER], text)).accepted


@pytest.mark.parametrize("text", ["Ver https://example.com/promo", "Mañana", "50% {off}"])
async def test_flash_refuses_links_and_special_characters(env: Env, text: str) -> None:
    fake, gateway = env
    fake.authorised_urls.add("https://example.com/promo")
    (rejected,) = (await gateway.async_send([NUMBER], text, SendOptions(flash=True))).rejected
    assert rejected.code == "4023"
    assert (await gateway.async_send([NUMBER], "Alarma en casa!", SendOptions(flash=True))).accepted


@pytest.mark.parametrize(
    ("text", "unicode", "encoding", "segments"),
    [
        # No choice made: a text with accents goes with them (arrives as written).
        ("canción", None, Encoding.UCS2, 1),
        ("canción", False, Encoding.GSM7, 1),
        ("canción", True, Encoding.UCS2, 1),
        ("canción " * 20, False, Encoding.GSM7, 1),  # 160 characters, accents stripped
        ("canción " * 20, None, Encoding.UCS2, 3),
        ("canción " * 20, True, Encoding.UCS2, 3),  # 160 UTF-16 units, 67 a part
        ("Llegó el técnico a las 5, ¿está todo bien? " * 4, False, Encoding.GSM7, 2),
        ("Alarma en casa", None, Encoding.GSM7, 1),  # nothing to keep: the cheaper way
        ("x" * 70, True, Encoding.UCS2, 1),  # plain text with accents on: still 70 a message
        ("x" * 71, True, Encoding.UCS2, 2),
        ("{}" * 41, None, Encoding.GSM7, 2),  # 82 characters, two septets each: 164
    ],
)
async def test_segments_reported_are_the_segments_billed(
    env: Env, text: str, unicode: bool | None, encoding: Encoding, segments: int
) -> None:
    fake, gateway = env
    fake.balance, fake.price = 10.0, 0.1
    result = await gateway.async_send([NUMBER], text, SendOptions(unicode=unicode))
    assert result.accepted
    assert (result.text.encoding, result.text.segments) == (encoding, segments)
    assert fake.balance == pytest.approx(10.0 - 0.1 * segments)
    assert gateway.check_text(text, SendOptions(unicode=unicode)) == result.text


async def test_each_segment_is_charged_and_no_credit_is_refused(env: Env) -> None:
    fake, gateway = env
    fake.balance, fake.price = 1.0, 0.1
    await gateway.async_send([NUMBER], "a" * 161)  # two GSM-7 segments
    assert fake.balance == pytest.approx(0.8)
    await gateway.async_send([NUMBER], "á" * 71, SendOptions(unicode=True))  # 70 a segment
    assert fake.balance == pytest.approx(0.6)
    assert (await gateway.async_balance()).value == pytest.approx(0.6)
    fake.balance = 0.05
    (rejected,) = (await gateway.async_send([NUMBER], "Hola")).rejected
    assert (rejected.code, rejected.reason) == ("402", "Saldo insuficiente")
    assert len(fake.sent) == 2


# -- every documented code, on every endpoint -----------------------------------------------------

CODES: list[tuple[str, type[GatewayError]]] = [
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
]


@pytest.mark.parametrize(("code", "error"), CODES)
async def test_every_documented_code_when_signing_in(
    env: Env, code: str, error: type[GatewayError]
) -> None:
    fake, gateway = env
    fake.set_fault(Fault.CODE, code=code)
    with pytest.raises(error) as err:
        await gateway.async_validate()
    assert err.value.code == code
    assert err.value.reason
    _assert_no_secret(fake, err.value)


@pytest.mark.parametrize(("code", "error"), [c for c in CODES if c[1] is not AuthError])
async def test_every_documented_code_when_reading_the_user(
    env: Env, code: str, error: type[GatewayError]
) -> None:
    fake, gateway = env
    await gateway.async_validate()
    (token,) = fake.tokens
    fake.set_fault(Fault.CODE, code=code, path=token)
    with pytest.raises(error) as err:
        await gateway.async_balance()
    assert err.value.code == code
    _assert_no_secret(fake, err.value)


@pytest.mark.parametrize(("code", "error"), CODES)
async def test_every_documented_code_when_sending(
    env: Env, code: str, error: type[GatewayError]
) -> None:
    fake, gateway = env
    fake.set_fault(Fault.CODE, code=code, path=fake.apis)
    if error is AuthError:
        # Refused with the keys this send just fetched: permissions (see the 401 tests).
        (rejected,) = (await gateway.async_send([NUMBER], "Hola")).rejected
        assert rejected.code == code
        assert rejected.reason is not None
        assert rejected.reason.startswith("Insufficient permissions")
    elif error is RefusedError:
        # A refusal belongs to the recipient; the user sees the provider's own words.
        (rejected,) = (await gateway.async_send([NUMBER], "Hola")).rejected
        assert rejected.code == code
        assert rejected.reason == (HTTP_REASONS.get(int(code)) or FAKE_CODES[int(code)])
    else:
        with pytest.raises(error) as err:
            await gateway.async_send([NUMBER], "Hola")
        assert err.value.code == code
        _assert_no_secret(fake, err.value)


# -- transport faults -----------------------------------------------------------------------------


@pytest.mark.parametrize(("fault", "error"), TRANSPORT_FAULTS)
async def test_faults_when_signing_in(env: Env, fault: Fault, error: type[GatewayError]) -> None:
    fake, gateway = env
    fake.set_fault(fault)
    with pytest.raises(error) as err:
        await gateway.async_validate()
    _assert_no_secret(fake, err.value)
    assert "http" not in str(err.value)


@pytest.mark.parametrize(
    ("fault", "error"), [(f, e) for f, e in TRANSPORT_FAULTS if f is not Fault.AUTH]
)
async def test_faults_when_reading_the_balance(
    env: Env, fault: Fault, error: type[GatewayError]
) -> None:
    fake, gateway = env
    await gateway.async_validate()
    (token,) = fake.tokens
    fake.set_fault(fault, path=token)
    with pytest.raises(error) as err:
        await gateway.async_balance()
    _assert_no_secret(fake, err.value)


# -- numbers and validation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "+52 55 1234 5678",
        "5512345678",
        "(55) 1234-5678",
        "0052 55 1234 5678",
        "+52 1 55 1234 5678",  # the mobile "1" Mexico dropped in 2019
        "+5215512345678",
    ],
)
async def test_numbers_are_sent_as_ten_digits(env: Env, number: str) -> None:
    fake, gateway = env
    result = await gateway.async_send([number], "Hola")
    assert [r.number for r in result.accepted] == [WIRE]
    assert [m.number for m in fake.sent] == [WIRE]


@pytest.mark.parametrize(
    ("numbers", "text", "options", "error"),
    [
        (["+15551234567"], "Hola", SendOptions(), InvalidNumberError),  # not Mexican
        (["12345"], "Hola", SendOptions(), InvalidNumberError),
        (["1234 5678"], "Hola", SendOptions(), InvalidNumberError),  # a local 8-digit number
        (["+52 55 1234 567"], "Hola", SendOptions(), InvalidNumberError),
        ([NUMBER, "nonsense"], "Hola", SendOptions(), InvalidNumberError),
        ([NUMBER], "x" * 510, SendOptions(), MessageTooLongError),
        ([NUMBER], "   ", SendOptions(), EmptyMessageError),
        (
            [NUMBER],
            "Hola",
            SendOptions(send_at=datetime.now(UTC) - timedelta(hours=1)),
            InvalidOptionError,
        ),
        (
            [NUMBER],
            "Hola",
            SendOptions(send_at=datetime(2030, 1, 1)),  # noqa: DTZ001 - naive on purpose
            InvalidOptionError,
        ),
    ],
)
async def test_validation_before_any_request(
    env: Env,
    numbers: list[str],
    text: str,
    options: SendOptions,
    error: type[Exception],
) -> None:
    fake, gateway = env
    with pytest.raises(error):
        await gateway.async_send(numbers, text, options)
    assert fake.state.requests == []


async def test_the_longest_text_is_sent(env: Env) -> None:
    fake, gateway = env
    assert (await gateway.async_send([NUMBER], "x" * 509)).accepted
    assert len(fake.sent[0].text) == 509


# -- the fake speaks the document's wire format ---------------------------------------------------


async def test_fake_answers_as_documented(serve: Any, session: aiohttp.ClientSession) -> None:
    fake = EnvioSmsFake()
    url = await serve(fake)
    async with session.get(f"{url}/auth/prueba/prueba-password/") as resp:
        first = json.loads(await resp.read())  # strict JSON
    async with session.get(f"{url}/auth/prueba/prueba-password") as resp:
        second = json.loads(await resp.read())
    assert (first["status"], first["code"]) == (True, 1002)
    assert first["token"] != second["token"]  # random, not a counter
    async with session.get(f"{url}/user/{first['token']}") as resp:
        record = json.loads(await resp.read())
    assert record["apik"] == "O347AAA1"
    assert set(record) == {"status", "code", "usuario", "apik", "apis", "balance", "price", "nivel"}
    async with session.get(f"{url}/user/not-a-token") as resp:
        assert resp.status == 401
    sms = f"{url}/sms/O347AAA1/CZYAADC3QXFVZ/"
    for body in (strict_body(WIRE, "Hola"), literal_body(WIRE, "CoNTENIDO MENSAJE TEXTO")):
        async with session.post(sms, data=body) as resp:
            assert (resp.status, await resp.text()) == (200, DOCUMENTED_SEND_ANSWER)
    assert [m.text for m in fake.sent] == ["Hola", "CoNTENIDO MENSAJE TEXTO"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"to=5512345678&text=Hola", 400, 4011),
        (strict_body("551234567", "Hola"), 200, 4010),
        (strict_body(WIRE, "x" * 510), 200, 4001),
        (b'{"to": "5512345678", "text": "Hola", "fechaHoraEnvio": "tomorrow"}', 200, 4000),
    ],
)
async def test_fake_refuses_what_the_provider_refuses(
    serve: Any, session: aiohttp.ClientSession, body: bytes, status: int, code: int
) -> None:
    fake = EnvioSmsFake()
    url = await serve(fake)
    async with session.post(f"{url}/sms/{fake.apik}/{fake.apis}", data=body) as resp:
        with pytest.raises(GatewayError) as err:
            parse_answer(HttpAnswer(resp.status, await resp.read()))
    assert resp.status == status
    assert err.value.code == str(code)
    assert fake.sent == []


# -- answer parsing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "error", "code", "reason"),
    [
        (200, b'{"status": false, "code": 4021}', RefusedError, "4021", "blocked word"),
        (200, b"{ status: false, codigo: 4012 }", TemporaryError, "4012", "saturated"),
        (402, b"", RefusedError, "402", "Insufficient balance"),
        (401, b"", AuthError, "401", "Unauthorised"),
        (404, b"Cannot GET /v1/sms", ProtocolError, "404", "check the API URL"),
        (400, b"<html>Bad Request</html>", ProtocolError, "400", "Malformed request"),
        (400, b"{ status: false, mensaje: 'Formato incorrecto' }", RefusedError, "400", "Formato"),
        (400, b'{"status": false, "codigo": 4011}', ProtocolError, "4011", "No message JSON"),
        (200, b'{"status": false, "code": 4999}', RefusedError, "4999", "Operation refused"),
        (200, b'{"status": false, "code": 4999, "mensaje": "Otro"}', RefusedError, "4999", "Otro"),
        (200, b'{"code": 4999}', ProtocolError, None, None),
        (200, '{"status": false, "code": "²"}'.encode(), RefusedError, None, "Operation refused"),
        (200, b"[1, 2]", ProtocolError, None, None),
        (301, b"", ProtocolError, "301", None),
    ],
)
def test_answers_map_to_errors(
    status: int,
    body: bytes,
    error: type[GatewayError],
    code: str | None,
    reason: str | None,
) -> None:
    with pytest.raises(error) as err:
        parse_answer(HttpAnswer(status, body))
    assert type(err.value) is error
    assert err.value.code == code
    if reason is not None:
        assert err.value.reason is not None
        assert reason in err.value.reason


@pytest.mark.parametrize(
    "body",
    [
        DOCUMENTED_SEND_ANSWER.encode(),
        b'{"status": true, "code": 1003}',
        b'{"code": "1000", "apik": "A"}',  # a success code without `status`
        b'{"status": "true", "tipo": 0}',
        b"{ status: 1, codigo: 1002, token: 'abc', }",
    ],
)
def test_successful_answers(body: bytes) -> None:
    assert isinstance(parse_answer(HttpAnswer(200, body)), dict)


@settings(max_examples=200, deadline=None)
@given(status=st.sampled_from([200, 201, 301, 400, 401, 402, 404, 418]), body=st.binary())
def test_parser_raises_only_our_errors_on_bytes(status: int, body: bytes) -> None:
    try:
        parse_answer(HttpAnswer(status, body))
    except GatewayError:
        pass


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(
    status=st.sampled_from([200, 400, 402]),
    value=st.one_of(
        json_values,
        st.fixed_dictionaries(
            {"status": json_values, "codigo": json_values, "mensaje": json_values},
            optional={
                "code": json_values | st.text(alphabet="0123456789²٣ ", max_size=6),
                "balance": json_values | st.integers(min_value=10**300, max_value=10**400),
                "apik": json_values,
            },
        ),
    ),
)
def test_parser_raises_only_our_errors_on_json(status: int, value: object) -> None:
    try:
        record = parse_answer(HttpAnswer(status, json.dumps(value).encode()))
        balance = parse_balance(record)
    except GatewayError:
        return
    assert math.isfinite(balance.value)


@pytest.mark.parametrize(
    ("value", "expected"), [(10, 10.0), ("12.50", 12.5), (-3.5, -3.5), (0, 0.0)]
)
def test_balance_values(value: object, expected: float) -> None:
    assert parse_balance({"balance": value}).value == expected


@pytest.mark.parametrize("value", [None, True, "diez", float("nan"), "inf", 10**400, [1]])
def test_unusable_balance_values(value: object) -> None:
    with pytest.raises(ProtocolError):
        parse_balance({"balance": value})


@settings(max_examples=200, deadline=None)
@given(number=st.text(alphabet="+0123456789 ()-.x", max_size=20) | st.text(max_size=20))
def test_number_formatting_gives_ten_digits_or_invalid_number(number: str) -> None:
    gateway = EnvioSmsGateway(None, {"username": "u", "password": "p"})
    try:
        formatted = gateway.format_number(number)
    except InvalidNumberError:
        return
    assert len(formatted) == 10
    assert formatted.isdigit()


async def test_accents_arrive_as_written_unless_the_user_says_otherwise(env: Env) -> None:
    fake, gateway = env
    await gateway.async_send([NUMBER], "Feliz año")
    await gateway.async_send([NUMBER], "Feliz año", SendOptions(unicode=False))
    await gateway.async_send([NUMBER], "Feliz cumple")
    # Without `conAcento` the provider drops the accents ("año" becomes "ano"): asked for
    # whenever the text has them, unless the user turned it off.
    assert [m.options.get("conAcento") for m in fake.sent] == [True, False, None]
