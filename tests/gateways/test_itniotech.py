"""Itniotech through its fake: signing, batching, every status code, reports, MO paging, pushes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import hashlib
import json
from typing import Any

import aiohttp
from hypothesis import given, settings, strategies as st
import pytest

from custom_components.sms_gateways.gateways.base import DeliveryStatus, SendOptions
from custom_components.sms_gateways.gateways.errors import (
    AuthError,
    GatewayError,
    InvalidNumberError,
    InvalidOptionError,
    MessageTooLongError,
    PayloadError,
    ProtocolError,
    RefusedError,
    TemporaryError,
)
from custom_components.sms_gateways.gateways.itniotech import ItniotechGateway
from tests.fakes.base import Fault
from tests.fakes.itniotech import ItniotechFake, inbound_push_body, report_push_body
from tests.gateways.faults import TRANSPORT_FAULTS


@pytest.fixture
async def itn(serve: Any, session: aiohttp.ClientSession) -> tuple[ItniotechFake, ItniotechGateway]:
    fake = ItniotechFake()
    url = await serve(fake)
    return fake, ItniotechGateway(session, fake.credentials, url=url, timeout=0.3)


def numbers(count: int) -> list[str]:
    return [f"+9185632{i:05d}" for i in range(count)]


async def test_validate_signs_every_call(itn: tuple[ItniotechFake, ItniotechGateway]) -> None:
    fake, gateway = itn
    account = await gateway.async_validate()
    assert (account.account_id, account.balance) == ("demo-app", account.balance)
    assert account.balance is not None
    assert (account.balance.value, account.balance.unit) == (99.99, "USD")
    (request,) = fake.state.requests
    headers = request.headers
    expected = hashlib.md5(  # noqa: S324
        f"bDqJFiq9demo-api-secret{headers['Timestamp']}".encode()
    ).hexdigest()
    assert headers["Sign"] == expected
    assert headers["Api-Key"] == "bDqJFiq9"


async def test_wrong_secret(serve: Any, session: aiohttp.ClientSession) -> None:
    fake = ItniotechFake()
    gateway = ItniotechGateway(
        session, {**fake.credentials, "api_secret": "not-the-secret"}, url=await serve(fake)
    )
    with pytest.raises(AuthError) as err:
        await gateway.async_validate()
    assert "not-the-secret" not in str(err.value)


@pytest.mark.parametrize(("count", "requests"), [(1, 1), (1000, 1), (1001, 2), (2500, 3)])
async def test_batches(
    itn: tuple[ItniotechFake, ItniotechGateway], count: int, requests: int
) -> None:
    fake, gateway = itn
    fake.balance = 1000
    result = await gateway.async_send(numbers(count), "hello world")
    assert result.requests == requests
    assert len([r for r in fake.state.requests if r.path == "/sendSms"]) == requests
    assert len(result.accepted) == count
    assert all(r.message_id for r in result.accepted)


async def test_wire_fields_and_sender(itn: tuple[ItniotechFake, ItniotechGateway]) -> None:
    fake, gateway = itn
    await gateway.async_send(["+91 85632 14123"], "hello", SendOptions(sender_id="HOME"))
    body = json.loads(fake.state.requests[-1].body)
    assert body["appId"] == "demo-app"
    assert body["numbers"] == "918563214123"
    assert body["content"] == "hello"
    assert body["senderId"] == "HOME"
    assert len(body["orderId"].split(",")) == 1
    assert fake.sent[-1].options == {"senderId": "HOME"}


async def test_entry_sender_id_is_the_default(serve: Any, session: aiohttp.ClientSession) -> None:
    fake = ItniotechFake()
    gateway = ItniotechGateway(
        session, {**fake.credentials, "sender_id": "ALARM"}, url=await serve(fake)
    )
    await gateway.async_send(["+918563214123"], "hello")
    assert json.loads(fake.state.requests[-1].body)["senderId"] == "ALARM"


async def test_partial_acceptance(itn: tuple[ItniotechFake, ItniotechGateway]) -> None:
    fake, gateway = itn
    fake.refused_numbers = {"12025550143"}
    result = await gateway.async_send([*numbers(2), "+1 202 555 0143"], "hi")
    assert [r.number for r in result.accepted] == ["918563200000", "918563200001"]
    (rejected,) = result.rejected
    assert rejected.number == "12025550143"
    assert rejected.reason == "Not accepted by Itniotech"


async def test_insufficient_balance_rejects_all(
    itn: tuple[ItniotechFake, ItniotechGateway],
) -> None:
    fake, gateway = itn
    fake.balance = 0.02  # two messages' worth, three numbers
    result = await gateway.async_send(numbers(3), "hi")
    assert {r.code for r in result.rejected} == {"-10"}
    assert fake.sent == []


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("-1", AuthError),
        ("-2", RefusedError),
        ("-3", RefusedError),
        ("-4", RefusedError),
        ("-5", RefusedError),
        ("-6", RefusedError),
        ("-7", RefusedError),
        ("-8", RefusedError),
        ("-9", RefusedError),
        ("-10", RefusedError),
        ("-13", RefusedError),
        ("-15", TemporaryError),
        ("-16", ProtocolError),
        ("-18", TemporaryError),
        ("-19", RefusedError),
        ("-27", RefusedError),
        ("-28", RefusedError),
        ("-31", RefusedError),
        ("-32", RefusedError),
    ],
)
async def test_every_status_code(
    itn: tuple[ItniotechFake, ItniotechGateway], code: str, error: type[GatewayError]
) -> None:
    fake, gateway = itn
    fake.set_fault(Fault.CODE, code=code)
    with pytest.raises(error) as err:
        await gateway.async_balance()
    assert err.value.code == code


@pytest.mark.parametrize(
    ("fault", "error"),
    TRANSPORT_FAULTS,
)
async def test_faults(
    itn: tuple[ItniotechFake, ItniotechGateway], fault: Fault, error: type[GatewayError]
) -> None:
    fake, gateway = itn
    fake.set_fault(fault)
    with pytest.raises(error) as err:
        await gateway.async_send(numbers(2), "hi")
    assert "demo-api-secret" not in str(err.value)


async def test_status_as_int_or_string(itn: tuple[ItniotechFake, ItniotechGateway]) -> None:
    fake, gateway = itn
    fake.error_response = lambda request, code: __import__("aiohttp").web.json_response(
        {"status": 0, "reason": "success", "balance": 5}
    )
    fake.set_fault(Fault.CODE, code="0")
    assert (await gateway.async_balance()).value == 5.0


async def test_reports_by_id_200_a_call(itn: tuple[ItniotechFake, ItniotechGateway]) -> None:
    fake, gateway = itn
    fake.balance = 100
    result = await gateway.async_send(numbers(450), "hi")
    ids = [r.message_id for r in result.accepted if r.message_id]
    fake.queue_report(ids[0], "918563200000", 1)
    fake.queue_report(ids[1], "918563200001", -1)
    before = len(fake.state.requests)
    reports = await gateway.async_poll_reports(ids)
    assert len(fake.state.requests) - before == 3  # 200 + 200 + 50
    by_id = {r.message_id: r for r in reports}
    assert by_id[ids[0]].status is DeliveryStatus.FAILED
    assert by_id[ids[1]].status is DeliveryStatus.PENDING
    assert by_id[ids[2]].status is DeliveryStatus.DELIVERED
    assert by_id[ids[2]].occurred_at is not None
    assert await gateway.async_poll_reports([]) == []


async def test_inbound_pages(itn: tuple[ItniotechFake, ItniotechGateway]) -> None:
    fake, gateway = itn
    since = datetime.now(UTC) - timedelta(minutes=1)
    sent_ids = [fake.queue_inbound("+918563214123", f"msg {i}") for i in range(230)]
    messages = await gateway.async_poll_inbound(since)
    assert [m.message_id for m in messages] == sent_ids
    assert messages[0].sender == "918563214123"
    assert messages[0].text == "msg 0"
    assert len([r for r in fake.state.requests if r.path == "/recordMo"]) == 3
    old = datetime.now(UTC) - timedelta(days=2)
    fake.queue_inbound("+918563214123", "old", when=old.timestamp())
    assert all(m.text != "old" for m in await gateway.async_poll_inbound(since))


async def test_validation_before_any_request(itn: tuple[ItniotechFake, ItniotechGateway]) -> None:
    fake, gateway = itn
    for args, error in (
        ((["5512345678"], "hi"), InvalidNumberError),  # no country code, no default region
        ((numbers(1), "x" * 1025), MessageTooLongError),
        ((numbers(1), "hi", SendOptions(sender_id="S" * 33)), InvalidOptionError),
    ):
        with pytest.raises(error):
            await gateway.async_send(*args)
    assert fake.state.requests == []


async def test_pushes(itn: tuple[ItniotechFake, ItniotechGateway]) -> None:
    _, gateway = itn
    payload = gateway.parse_webhook(report_push_body("123", "918563214123", 0), {})
    (report,) = payload.reports
    assert (report.message_id, report.status) == ("123", DeliveryStatus.DELIVERED)
    strict = gateway.parse_webhook(report_push_body("124", "91856", 1, lenient=False), {})
    assert strict.reports[0].status is DeliveryStatus.FAILED
    inbound = gateway.parse_webhook(
        inbound_push_body("918563214123", "HEAT ON", "77", lenient=True), {}
    )
    (message,) = inbound.messages
    assert (message.message_id, message.sender, message.text) == ("77", "918563214123", "HEAT ON")


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[]", b"[1]", b'{"foo": 1}', b'{"mobile": "1", "content": ""}',
     b'{"msgid": "1", "mobile": "2", "status": "x"}', b'"text"'],
)  # fmt: skip
def test_bad_pushes(body: bytes) -> None:
    gateway = ItniotechGateway(None, {"api_key": "k", "api_secret": "s", "app_id": "a"})
    with pytest.raises(PayloadError):
        gateway.parse_webhook(body, {})


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_push_parser_only_our_errors_bytes(body: bytes) -> None:
    gateway = ItniotechGateway(None, {"api_key": "k", "api_secret": "s", "app_id": "a"})
    try:
        gateway.parse_webhook(body, {})
    except GatewayError:
        pass


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=10), c, max_size=5),
    max_leaves=15,
)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        json_values,
        st.fixed_dictionaries(
            {"msgid": json_values, "mobile": json_values, "status": json_values},
            optional={"timestamp": json_values, "content": json_values, "reply_time": json_values},
        ),
    )
)
def test_push_parser_only_our_errors_json(value: object) -> None:
    gateway = ItniotechGateway(None, {"api_key": "k", "api_secret": "s", "app_id": "a"})
    try:
        gateway.parse_webhook(json.dumps(value).encode(), {})
    except GatewayError:
        pass
