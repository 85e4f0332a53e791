"""Itniotech through its fake: signing, batching, every status code, reports, MO paging, pushes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
import hashlib
import json
import time
from typing import Any

from aiohttp import web
from hypothesis import given, settings, strategies as st
import pytest

from custom_components.sms_gateways.gateways.exceptions import (
    AuthError,
    EmptyMessageError,
    GatewayError,
    InvalidNumberError,
    InvalidOptionError,
    MessageTooLongError,
    PayloadError,
    ProtocolError,
    RefusedError,
    TemporaryError,
    UnsupportedOptionError,
)
from custom_components.sms_gateways.gateways.itniotech import (
    ItniotechGateway,
    parse_answer,
    parse_balance,
    parse_records,
    parse_reports,
    parse_send,
)
from custom_components.sms_gateways.gateways.models import DeliveryStatus, SendOptions
from custom_components.sms_gateways.gateways.transport import HttpAnswer
from tests.fakes.base import Fault
from tests.fakes.itniotech import (
    STATUS_REASONS,
    ItniotechFake,
    inbound_push_body,
    report_push_body,
)
from tests.gateways.faults import TRANSPORT_FAULTS

KEY, SECRET = "bDqJFiq9", "demo-api-secret"
CST = timezone(timedelta(hours=8))
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
ALL_STYLES = ["json", "document", "single_quotes", "bare_keys", "trailing_comma"]


@pytest.fixture
async def itn(serve: Any, session: Any) -> tuple[ItniotechFake, ItniotechGateway]:
    fake = ItniotechFake()
    url = await serve(fake)
    return fake, ItniotechGateway(session, fake.credentials, url=url, timeout=0.3)


def offline(**credentials: str) -> ItniotechGateway:
    """A gateway for the parsers only (no session needed)."""
    return ItniotechGateway(None, {"api_key": "k", "api_secret": "s", "app_id": "a", **credentials})


def numbers(count: int) -> list[str]:
    return [f"+9185632{i:05d}" for i in range(count)]


def sent_bodies(fake: ItniotechFake) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in fake.state.requests if r.path == "/sendSms"]


def fingerprint(sender: str, text: str, wall_clock: str) -> str:
    return "fp:" + hashlib.sha256(f"{sender}|{text}|{wall_clock}".encode()).hexdigest()


# -- signing and credentials ---------------------------------------------------------------------


async def test_every_call_is_signed(itn: tuple[ItniotechFake, ItniotechGateway]) -> None:
    fake, gateway = itn
    account = await gateway.async_validate()
    assert (account.account_id, account.name) == ("demo-app", "demo-app")
    assert account.balance is not None
    assert (account.balance.value, account.balance.unit) == (99.99, "USD")
    result = await gateway.async_send(numbers(1), "hi")
    await gateway.async_poll_reports([r.message_id for r in result.accepted if r.message_id])
    await gateway.async_poll_inbound(None)
    assert [r.path for r in fake.state.requests] == [
        "/getBalance", "/sendSms", "/getReport", "/recordMo"
    ]  # fmt: skip
    for request in fake.state.requests:
        headers = request.headers
        assert abs(int(headers["Timestamp"]) - time.time()) < 5
        expected = hashlib.md5(f"{KEY}{SECRET}{headers['Timestamp']}".encode()).hexdigest()  # noqa: S324
        assert headers["Sign"] == expected
        assert headers["Api-Key"] == KEY
        assert headers["Content-Type"] == "application/json;charset=UTF-8"
        assert SECRET not in json.dumps(headers) + request.body.decode()


@pytest.mark.parametrize("field", ["api_key", "api_secret"])
async def test_wrong_credentials(serve: Any, session: Any, field: str) -> None:
    fake = ItniotechFake()
    gateway = ItniotechGateway(
        session, {**fake.credentials, field: "not-the-right-one"}, url=await serve(fake)
    )
    with pytest.raises(AuthError) as err:
        await gateway.async_validate()
    assert err.value.code == "-1"
    assert "not-the-right-one" not in str(err.value)
    assert SECRET not in str(err.value)


async def test_unusable_key_fails_before_any_request(serve: Any, session: Any) -> None:
    fake = ItniotechFake()
    for key in ("", "ключ", "bad\r\nkey"):
        gateway = ItniotechGateway(
            session, {**fake.credentials, "api_key": key}, url=await serve(fake)
        )
        with pytest.raises(AuthError):
            await gateway.async_balance()
    assert fake.state.requests == []


async def test_clock_off(itn: tuple[ItniotechFake, ItniotechGateway]) -> None:
    fake, gateway = itn
    fake.clock_window = -1  # every timestamp is out of the window
    with pytest.raises(ProtocolError) as err:
        await gateway.async_balance()
    assert err.value.code == "-16"
    assert err.value.reason == "Timestamp expires: the clock of this machine is off"


# -- sending -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "requests"), [(1, 1), (1000, 1), (1001, 2), (2500, 3)])
async def test_batches(
    itn: tuple[ItniotechFake, ItniotechGateway], count: int, requests: int
) -> None:
    fake, gateway = itn
    fake.balance = 1000
    result = await gateway.async_send(numbers(count), "hello world")
    assert result.requests == requests
    bodies = sent_bodies(fake)
    assert len(bodies) == requests
    assert all(len(b["numbers"].split(",")) <= 1000 for b in bodies)
    assert len(result.accepted) == count
    assert [r.number for r in result.results] == [n[1:] for n in numbers(count)]
    assert len({r.message_id for r in result.accepted}) == count


async def test_wire_fields(itn: tuple[ItniotechFake, ItniotechGateway]) -> None:
    fake, gateway = itn
    await gateway.async_send(
        ["+91 85632 14123", "0091 8563214124"], "Grüße 你好", SendOptions(sender_id="HOME")
    )
    (body,) = sent_bodies(fake)
    assert body["appId"] == "demo-app"
    assert body["numbers"] == "918563214123,918563214124"
    assert body["content"] == "Grüße 你好"
    assert body["senderId"] == "HOME"
    orders = body["orderId"].split(",")
    assert len(set(orders)) == len(orders) == 2
    assert all(o.isdigit() for o in orders)
    assert [m.options["senderId"] for m in fake.sent] == ["HOME", "HOME"]


async def test_entry_sender_id_is_the_default(serve: Any, session: Any) -> None:
    fake = ItniotechFake()
    url = await serve(fake)
    gateway = ItniotechGateway(session, {**fake.credentials, "sender_id": " ALARM "}, url=url)
    await gateway.async_send(numbers(1), "hello")
    await gateway.async_send(numbers(1), "hello", SendOptions(sender_id="DOOR"))
    await gateway.async_send(numbers(1), "hello", SendOptions(sender_id=" "))
    assert [b["senderId"] for b in sent_bodies(fake)] == ["ALARM", "DOOR", "ALARM"]
    plain = ItniotechGateway(session, {**fake.credentials, "sender_id": ""}, url=url)
    await plain.async_send(numbers(1), "hello")
    assert "senderId" not in sent_bodies(fake)[-1]


async def test_sender_id_length(serve: Any, session: Any) -> None:
    fake = ItniotechFake()
    url = await serve(fake)
    gateway = ItniotechGateway(session, fake.credentials, url=url)
    await gateway.async_send(numbers(1), "hi", SendOptions(sender_id="S" * 32))
    before = len(fake.state.requests)
    with pytest.raises(InvalidOptionError) as err:
        await gateway.async_send(numbers(1), "hi", SendOptions(sender_id="S" * 33))
    assert err.value.placeholders["option"] == "sender_id"
    too_long = ItniotechGateway(session, {**fake.credentials, "sender_id": "E" * 33}, url=url)
    with pytest.raises(InvalidOptionError):
        await too_long.async_send(numbers(1), "hi")
    assert len(fake.state.requests) == before


async def test_partial_acceptance(itn: tuple[ItniotechFake, ItniotechGateway]) -> None:
    fake, gateway = itn
    fake.refused_numbers = {"12025550143"}
    result = await gateway.async_send([numbers(1)[0], "+1 202 555 0143", numbers(2)[1]], "hi")
    assert [(r.number, r.accepted) for r in result.results] == [
        ("918563200000", True), ("12025550143", False), ("918563200001", True)
    ]  # fmt: skip
    rejected = result.results[1]
    assert (rejected.reason, rejected.message_id) == ("not accepted by Itniotech", None)
    assert [m.number for m in fake.sent] == ["918563200000", "918563200001"]
    assert fake.sent[0].message_id == result.results[0].message_id


def test_answer_mapped_by_order_id_or_number() -> None:
    sent = ["918563214123", "918563214124", "918563214125", "918563214126"]
    orders = {"1001": sent[0], "1002": sent[1], "1003": sent[2], "1004": sent[3]}
    body = {
        "status": "0",
        "array": [
            # The number comes back formatted: the order id still finds it.
            {"msgId": "m1", "number": "+91 85632 14123", "orderId": "1001"},
            # No order id echoed: matched by its digits.
            {"msgId": "m2", "number": "91-8563214124"},
            # Neither known: ignored. No msgId: ignored.
            {"msgId": "m9", "number": "4400000000", "orderId": "9999"},
            {"number": "918563214126", "orderId": "1004"},
            "junk",
        ],
    }
    results = parse_send(body, sent, orders)
    assert [(r.number, r.accepted, r.message_id) for r in results] == [
        (sent[0], True, "m1"), (sent[1], True, "m2"), (sent[2], False, None),
        (sent[3], False, None),
    ]  # fmt: skip
    # Without `array`, the counts decide; anything else is not understood.
    assert all(r.accepted for r in parse_send({"success": "2"}, sent[:2], {}))
    assert not any(r.accepted for r in parse_send({"success": 0}, sent[:2], {}))
    with pytest.raises(ProtocolError):
        parse_send({"success": "1"}, sent[:2], {})
    with pytest.raises(ProtocolError):
        parse_send({"array": "x"}, sent[:2], {})


async def test_insufficient_balance_rejects_the_batch(
    itn: tuple[ItniotechFake, ItniotechGateway],
) -> None:
    fake, gateway = itn
    fake.balance = 0.02  # two messages' worth, three numbers
    result = await gateway.async_send(numbers(3), "hi")
    assert [(r.code, r.reason) for r in result.rejected] == [
        ("-10", "The customer's balance is insufficient")
    ] * 3
    assert fake.sent == []
    assert fake.balance == 0.02


async def test_validation_before_any_request(itn: tuple[ItniotechFake, ItniotechGateway]) -> None:
    fake, gateway = itn
    cases: list[tuple[tuple[Any, ...], type[GatewayError]]] = [
        ((["12345"], "hi"), InvalidNumberError),  # too short to be national or international
        ((["+91 12"], "hi"), InvalidNumberError),
        ((["not a number"], "hi"), InvalidNumberError),
        ((numbers(1), "x" * 1025), MessageTooLongError),
        ((numbers(1), "  "), EmptyMessageError),
        ((numbers(1), "hi", SendOptions(flash=True)), UnsupportedOptionError),
        ((numbers(1), "hi", SendOptions(sender_id="S" * 33)), InvalidOptionError),
    ]
    for args, error in cases:
        with pytest.raises(error):
            await gateway.async_send(*args)
    assert fake.state.requests == []
    assert (await gateway.async_send(numbers(1), "x" * 1024)).accepted


async def test_default_region_and_duplicates(serve: Any, session: Any) -> None:
    fake = ItniotechFake()
    gateway = ItniotechGateway(
        session, fake.credentials, url=await serve(fake), default_region="IN"
    )
    result = await gateway.async_send(["08563214123", "+918563214123", "8563214124"], "hi")
    assert [r.number for r in result.results] == ["918563214123", "918563214124"]
    assert sent_bodies(fake)[0]["numbers"] == "918563214123,918563214124"


# -- answers and errors ------------------------------------------------------------------------


EXPECTED_CLASS: dict[int, type[GatewayError]] = {
    -1: AuthError, -11: ProtocolError, -15: TemporaryError, -16: ProtocolError,
    -18: TemporaryError, -30: AuthError, -32: AuthError,
}  # fmt: skip


@pytest.mark.parametrize("code", range(-1, -33, -1))
async def test_every_status_code(itn: tuple[ItniotechFake, ItniotechGateway], code: int) -> None:
    fake, gateway = itn
    fake.set_fault(Fault.CODE, code=str(code))
    with pytest.raises(GatewayError) as err:
        await gateway.async_balance()
    assert type(err.value) is EXPECTED_CLASS.get(code, RefusedError)
    assert err.value.code == str(code)
    assert err.value.reason is not None
    assert err.value.reason.startswith(STATUS_REASONS[code])
    assert SECRET not in str(err.value)
    assert KEY not in str(err.value)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"status": -10, "reason": "no money"}, RefusedError),
        ({"status": "-99", "reason": "new code"}, RefusedError),
        ({"status": 7}, RefusedError),
        ({"status": " -15 "}, TemporaryError),
        ({"status": -1.0}, AuthError),
        ({"reason": "success"}, ProtocolError),
        ({"status": "ok"}, ProtocolError),
        ({"status": True}, ProtocolError),
    ],
)
async def test_status_as_int_or_string(
    itn: tuple[ItniotechFake, ItniotechGateway], body: dict[str, Any], error: type[GatewayError]
) -> None:
    fake, gateway = itn
    fake.error_response = lambda request, code: web.json_response(body)
    fake.set_fault(Fault.CODE, code="0")
    with pytest.raises(error) as err:
        await gateway.async_balance()
    if "reason" in body and error is not ProtocolError:
        assert err.value.reason == body["reason"]


async def test_success_as_int(itn: tuple[ItniotechFake, ItniotechGateway]) -> None:
    fake, gateway = itn
    fake.error_response = lambda request, code: web.json_response({"status": 0, "balance": 5})
    fake.set_fault(Fault.CODE, code="0")
    assert (await gateway.async_balance()).value == 5.0


@pytest.mark.parametrize("balance", [None, "", "abc", "NaN", "inf", True, [1]])
def test_balance_not_a_number(balance: Any) -> None:
    answer = HttpAnswer(200, json.dumps({"status": "0", "balance": balance}).encode())
    with pytest.raises(ProtocolError):
        _balance(answer)


def _balance(answer: HttpAnswer) -> Any:
    return parse_balance(parse_answer(answer))


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (401, b"Unauthorized", AuthError),
        (403, b"", AuthError),
        (404, b"<html>Not Found</html>", ProtocolError),
        (200, b"[]", ProtocolError),
        (200, b"\xff\xfe", ProtocolError),
    ],
)
def test_answers_without_json(status: int, body: bytes, error: type[GatewayError]) -> None:
    with pytest.raises(error):
        parse_answer(HttpAnswer(status, body))


@pytest.mark.parametrize(("fault", "error"), TRANSPORT_FAULTS)
async def test_faults(
    itn: tuple[ItniotechFake, ItniotechGateway], fault: Fault, error: type[GatewayError]
) -> None:
    fake, gateway = itn
    for call in (
        lambda: gateway.async_send(numbers(2), "hi"),
        gateway.async_balance,
        lambda: gateway.async_poll_reports(["1"]),
        lambda: gateway.async_poll_inbound(None),
    ):
        fake.set_fault(fault)
        with pytest.raises(error) as err:
            await call()
        assert SECRET not in str(err.value)
        assert "127.0.0.1" not in str(err.value)


async def test_one_failed_batch_of_two(itn: tuple[ItniotechFake, ItniotechGateway]) -> None:
    fake, gateway = itn
    fake.balance = 100
    fake.set_fault(Fault.HTTP_500, count=1)
    result = await gateway.async_send(numbers(1500), "hi")
    assert result.requests == 2
    assert len(result.accepted) in (500, 1000)
    assert {r.code for r in result.rejected} == {"500"}


# -- delivery reports --------------------------------------------------------------------------


async def test_reports_200_a_call(itn: tuple[ItniotechFake, ItniotechGateway]) -> None:
    fake, gateway = itn
    fake.balance = 100
    result = await gateway.async_send(numbers(450), "hi")
    ids = [r.message_id for r in result.accepted if r.message_id]
    fake.queue_report(ids[0], "918563200000", 1)
    fake.queue_report(ids[1], "918563200001", -1)
    del fake.reports[ids[3]]  # still queued at the provider: "nofound"
    before = len(fake.state.requests)
    reports = await gateway.async_poll_reports([*ids, ids[0]])
    asked = [r.query["msgIds"].split(",") for r in fake.state.requests[before:]]
    assert [len(a) for a in asked] == [200, 200, 50]
    assert all(r.query["appId"] == "demo-app" for r in fake.state.requests[before:])
    by_id = {r.message_id: r for r in reports}
    assert len(reports) == 449
    assert ids[3] not in by_id
    assert (by_id[ids[0]].status, by_id[ids[0]].reason) == (DeliveryStatus.FAILED, "status 1")
    assert (by_id[ids[1]].status, by_id[ids[1]].reason) == (DeliveryStatus.PENDING, None)
    assert by_id[ids[2]].status is DeliveryStatus.DELIVERED
    assert by_id[ids[2]].recipient == "+918563200002"
    assert by_id[ids[2]].occurred_at == fake.reports[ids[2]].received


async def test_no_report_ids_no_request(itn: tuple[ItniotechFake, ItniotechGateway]) -> None:
    fake, gateway = itn
    assert await gateway.async_poll_reports([]) == []
    assert fake.state.requests == []


def test_report_entries() -> None:
    body = {
        "status": "0",
        "array": [
            {
                "msgId": "a",
                "number": "91856",
                "receiveTime": "2021-02-12T09:30:03+08:00",
                "status": 0,
            },
            {"msgId": "b", "number": "91857", "receiveTime": "2021-02-12 09:30:03", "status": "1"},
            {"msgId": "c", "number": "91858", "receiveTime": 1613093403000, "status": "-1"},
            {"msgId": "d", "number": "91859", "status": "2", "reason": "EXPIRED"},
            {"msgId": "e", "number": "91860", "status": "sent"},
            {"number": "91861", "status": 0},
        ],
    }
    reports = parse_reports(body)
    moment = datetime(2021, 2, 12, 1, 30, 3, tzinfo=UTC)
    assert [(r.message_id, r.status, r.occurred_at, r.reason) for r in reports] == [
        ("a", DeliveryStatus.DELIVERED, moment, None),
        ("b", DeliveryStatus.FAILED, moment, "status 1"),  # no zone: China time (assumed)
        ("c", DeliveryStatus.PENDING, moment, None),
        ("d", DeliveryStatus.FAILED, None, "EXPIRED"),
    ]
    assert parse_reports({"status": "0"}) == []
    with pytest.raises(ProtocolError):
        parse_reports({"array": {"msgId": "a"}})


async def test_pushed_minus_one_fails_polled_minus_one_is_still_sending(
    itn: tuple[ItniotechFake, ItniotechGateway],
) -> None:
    # Two tables: /getReport's "-1:sent in" (sending) and the push's "0- success, other- failures".
    fake, gateway = itn
    fake.auto_report = False
    (sent,) = (await gateway.async_send(["+91 85632 14123"], "hi")).accepted
    assert sent.message_id is not None
    fake.queue_report(sent.message_id, "918563214123", -1)
    (polled,) = await gateway.async_poll_reports([sent.message_id])
    assert (polled.status, polled.settled) == (DeliveryStatus.PENDING, False)
    body = report_push_body(sent.message_id, "918563214123", -1, reason="REJECTD")
    (pushed,) = gateway.parse_webhook(body, {}).reports
    assert (pushed.message_id, pushed.recipient) == (sent.message_id, "+918563214123")
    assert (pushed.status, pushed.reason, pushed.settled) == (
        DeliveryStatus.FAILED,
        "REJECTD",
        True,
    )


# -- order ids ---------------------------------------------------------------------------------


async def test_each_message_gets_its_own_order_id(
    itn: tuple[ItniotechFake, ItniotechGateway],
) -> None:
    fake, gateway = itn
    fake.balance = 1000
    for _ in range(3):
        assert (await gateway.async_send(["+91 85632 14123"], "same text")).accepted
    await gateway.async_send(numbers(2500), "three batches at once")
    orders = [o for b in sent_bodies(fake) for o in b["orderId"].split(",")]
    assert len(orders) == 3 + 2500
    assert len(set(orders)) == len(orders)
    assert all(o.isdigit() and len(o) <= 19 for o in orders)  # a Long on one page
    # The fake refuses a repeated orderId (-20): none was.
    assert fake.order_ids == set(orders)


async def test_a_repeated_order_id_is_answered_minus_20(
    itn: tuple[ItniotechFake, ItniotechGateway], session: Any
) -> None:
    fake, gateway = itn
    body = {"appId": "demo-app", "numbers": "918563214123", "content": "hi", "orderId": "77"}
    answers = []
    for _ in range(2):
        async with session.post(
            f"{gateway.url}/sendSms", json=body, headers=gateway._headers()
        ) as resp:
            answers.append(await resp.json())
    assert [a["status"] for a in answers] == ["0", "-20"]
    assert answers[1]["reason"] == "Data existing"
    assert len(fake.sent) == 1


async def test_minus_20_says_what_it_means(itn: tuple[ItniotechFake, ItniotechGateway]) -> None:
    fake, gateway = itn
    fake.set_fault(Fault.CODE, code="-20", path="/sendSms")
    result = await gateway.async_send(numbers(2), "hi")
    assert [(r.code, r.reason) for r in result.rejected] == [
        ("-20", "Data existing: an orderId was already used; nothing was resent")
    ] * 2
    assert fake.sent == []


# -- numbers -----------------------------------------------------------------------------------


async def test_the_documents_number_is_sent_without_a_default_country(
    itn: tuple[ItniotechFake, ItniotechGateway],
) -> None:
    fake, gateway = itn
    assert gateway.default_region is None
    result = await gateway.async_send(["91856321412", "91856321413"], "hello world")
    assert [r.number for r in result.accepted] == ["91856321412", "91856321413"]
    assert sent_bodies(fake)[0]["numbers"] == "91856321412,91856321413"


async def test_a_national_number_with_a_default_country(serve: Any, session: Any) -> None:
    fake = ItniotechFake()
    gateway = ItniotechGateway(
        session, fake.credentials, url=await serve(fake), default_region="IN"
    )
    result = await gateway.async_send(["08563214123", "+91 85632 14124"], "hi")
    assert [r.number for r in result.accepted] == ["918563214123", "918563214124"]
    assert sent_bodies(fake)[0]["numbers"] == "918563214123,918563214124"


@pytest.mark.parametrize(
    ("region", "given", "sender"),
    [
        (None, "918563214123", "+918563214123"),
        ("IN", "918563214123", "+918563214123"),
        ("IN", "8563214123", "+918563214123"),  # a national sender, read in the default country
        (None, "91856321412", "91856321412"),  # the document's example: not valid, kept
    ],
)
async def test_senders_come_out_in_e164_when_valid(
    serve: Any, session: Any, region: str | None, given: str, sender: str
) -> None:
    fake = ItniotechFake()
    gateway = ItniotechGateway(
        session, fake.credentials, url=await serve(fake), default_region=region
    )
    fake.queue_inbound(given, "polled")
    (polled,) = await gateway.async_poll_inbound(None)
    (pushed,) = gateway.parse_webhook(inbound_push_body(given, "pushed"), {}).messages
    assert (polled.sender, pushed.sender) == (sender, sender)


# -- inbound polling ---------------------------------------------------------------------------


async def test_inbound_pages(itn: tuple[ItniotechFake, ItniotechGateway]) -> None:
    fake, gateway = itn
    since = datetime.now(UTC) - timedelta(minutes=1)
    start = time.time() - 30
    ids = [fake.queue_inbound("+918563214123", f"msg {i}", when=start + i / 10) for i in range(230)]
    messages = await gateway.async_poll_inbound(since)
    assert [m.message_id for m in messages] == ids
    assert len(set(ids)) == 230
    first = messages[0]
    assert (first.sender, first.text) == ("+918563214123", "msg 0")
    assert first.received_at == fake.inbound[0].received
    asked = [json.loads(r.body) for r in fake.state.requests]
    assert [(a["current"], a["size"], a["appId"]) for a in asked] == [
        (1, 100, "demo-app"), (2, 100, "demo-app"), (3, 100, "demo-app")
    ]  # fmt: skip
    window = asked[0]["params"]
    assert datetime.fromisoformat(window["strTime"]) == since.replace(microsecond=0)
    assert window["strTime"].endswith("+08:00")
    assert window["endTime"].endswith("+08:00")
    assert abs(datetime.fromisoformat(window["endTime"]) - datetime.now(UTC)) < timedelta(seconds=5)


async def test_inbound_window(itn: tuple[ItniotechFake, ItniotechGateway]) -> None:
    fake, gateway = itn
    fake.queue_inbound("+918563214123", "old", when=time.time() - 3600)
    fake.queue_inbound("+918563214123", "new")
    assert [m.text for m in await gateway.async_poll_inbound(None)] == ["new"]
    first = json.loads(fake.state.requests[-1].body)["params"]
    start = datetime.fromisoformat(first["strTime"])
    assert timedelta(minutes=9) < datetime.now(UTC) - start < timedelta(minutes=11)
    # Down for 40 days: the query is held to the month the provider answers for.
    texts = [
        m.text for m in await gateway.async_poll_inbound(datetime.now(UTC) - timedelta(days=40))
    ]
    assert texts == ["old", "new"]
    params = json.loads(fake.state.requests[-1].body)["params"]
    span = datetime.fromisoformat(params["endTime"]) - datetime.fromisoformat(params["strTime"])
    assert span <= timedelta(days=30)


async def test_inbound_ids_are_stable_and_distinct(
    itn: tuple[ItniotechFake, ItniotechGateway],
) -> None:
    fake, gateway = itn
    moment = time.time() - 20
    fake.queue_inbound("+918563214123", "HEAT ON", when=moment)
    fake.queue_inbound("+918563214123", "HEAT ON", when=moment + 5)
    fake.queue_inbound("+918563214124", "HEAT ON", when=moment)
    fake.queue_inbound("+918563214123", "HEAT OFF", when=moment)
    since = datetime.now(UTC) - timedelta(minutes=1)
    first = [m.message_id for m in await gateway.async_poll_inbound(since)]
    again = [m.message_id for m in await gateway.async_poll_inbound(since)]
    # All four arrived on the same number (one `sendId`): still four messages, same ids each poll.
    assert {mo.send_id for mo in fake.inbound} == {"918663322141"}
    assert len(set(first)) == 4
    assert first == again


async def test_polled_and_pushed_share_the_id(
    itn: tuple[ItniotechFake, ItniotechGateway],
) -> None:
    fake, gateway = itn
    queued = fake.queue_inbound("+918563214199", "both ways")
    (polled,) = await gateway.async_poll_inbound(datetime.now(UTC) - timedelta(minutes=1))
    (pushed,) = gateway.parse_webhook(inbound_push_body("918563214199", "both ways"), {}).messages
    assert polled.message_id == pushed.message_id == queued
    assert polled.received_at == pushed.received_at
    wall = fake.inbound[0].received.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S")
    assert queued == fingerprint("918563214199", "both ways", wall)


@pytest.mark.parametrize(
    "data",
    [None, {}, {"records": None, "pages": 0}, {"records": [], "total": 0, "pages": 0}],
)
def test_empty_inbox(data: Any) -> None:
    assert parse_records({"status": "0", "data": data}, NOW) == ([], 0, 0)


@pytest.mark.parametrize("data", ["x", [], {"records": "x"}, {"records": {"a": 1}}])
def test_inbox_not_understood(data: Any) -> None:
    with pytest.raises(ProtocolError):
        parse_records({"status": "0", "data": data}, NOW)


def test_records_without_time_or_text() -> None:
    records = [
        {"number": "918563214123", "content": "no time"},
        {"number": "918563214123", "content": ""},
        {"number": "918563214123"},
        {"content": "no sender"},
        {"number": "ITNIO", "content": "named sender", "receiveTime": "bad"},
    ]
    messages, count, _ = parse_records({"data": {"records": records}}, NOW)
    assert count == 5
    assert [(m.sender, m.text, m.received_at) for m in messages] == [
        ("+918563214123", "no time", NOW), ("ITNIO", "named sender", NOW)
    ]  # fmt: skip
    assert messages[0].message_id == fingerprint("918563214123", "no time", "")


# -- pushes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("style", ALL_STYLES)
@pytest.mark.parametrize(
    ("status", "expected", "reason"),
    [
        (0, DeliveryStatus.DELIVERED, None),
        ("0", DeliveryStatus.DELIVERED, None),
        (1, DeliveryStatus.FAILED, "UNDELIV"),
        ("1", DeliveryStatus.FAILED, "UNDELIV"),
        # The push page: "status | Messages status:0- success, other- failures".
        (-1, DeliveryStatus.FAILED, "UNDELIV"),
        ("-1", DeliveryStatus.FAILED, "UNDELIV"),
        (5, DeliveryStatus.FAILED, "UNDELIV"),
    ],
)
def test_report_push(style: Any, status: Any, expected: DeliveryStatus, reason: Any) -> None:
    body = report_push_body("2108021059531000096", "91856321413", status, style=style,
                            timestamp_ms=1629801177192)  # fmt: skip
    payload = offline().parse_webhook(body, {})
    assert payload.messages == ()
    (report,) = payload.reports
    # The document's example number is not a valid Indian number: left as the push gave it.
    assert (report.message_id, report.recipient) == ("2108021059531000096", "91856321413")
    assert (report.status, report.reason) == (expected, reason)
    assert report.settled
    assert report.occurred_at == datetime(2021, 8, 24, 10, 32, 57, 192000, tzinfo=UTC)


@pytest.mark.parametrize("style", ALL_STYLES)
def test_inbound_push(style: Any) -> None:
    body = inbound_push_body(
        "91850000000", 'it\'s "hello"\n你好', reply_time="2022-11-09 11:00:00", style=style
    )
    (message,) = offline().parse_webhook(body, {}).messages
    # Not a valid number (India's have 10 digits after 91): kept as the push gave it.
    assert (message.sender, message.text) == ("91850000000", 'it\'s "hello"\n你好')
    assert message.received_at == datetime(2022, 11, 9, 3, 0, tzinfo=UTC)
    assert message.message_id == fingerprint("91850000000", message.text, "2022-11-09 11:00:00")


def test_push_list_and_now() -> None:
    body = (
        b"[" + report_push_body("1", "91856", 0) + b","
        + b'{"mobile": "91850000000", "content": "hi"}' + b"]"
    )  # fmt: skip
    payload = offline().parse_webhook(body, {}, now=NOW.timestamp())
    assert [r.message_id for r in payload.reports] == ["1"]
    assert [(m.text, m.received_at) for m in payload.messages] == [("hi", NOW)]


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[]", b"[1]", b'"text"', b"null", b'{"foo": 1}',
     b'{"mobile": "1", "content": ""}', b'{"mobile": "1", "content": ["x"]}',
     b'{"reply_time": "2022-11-09 11:00:00"}', b'{"msgid": "1", "mobile": "2", "status": "x"}',
     b'{"msgid": "1", "mobile": "2"}', b'{"msgid": ["1"], "mobile": "2", "status": 0}',
     b"[" + b",".join([b'{"msgid": "1", "mobile": "2", "status": 0}'] * 1001) + b"]",
     b"\xff\xfe\x00garbage"],
)  # fmt: skip
def test_bad_pushes(body: bytes) -> None:
    with pytest.raises(PayloadError):
        offline().parse_webhook(body, {})


# -- properties ------------------------------------------------------------------------------


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=10), c, max_size=5),
    max_leaves=15,
)
fields = st.one_of(json_values, st.sampled_from(["0", "-1", "1", "", "2022-11-09 11:00:00",
                                                 "1629801177192", "2021-02-12T09:30:03+08:00"]))  # fmt: skip
items = st.fixed_dictionaries(
    {},
    optional=dict.fromkeys(("msgid", "msgId", "mobile", "number", "status", "timestamp",
                            "content", "reply_time", "receiveTime", "orderId", "reason"), fields),
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.integers(100, 599))
def test_answer_parser_only_our_errors(body: bytes, status: int) -> None:
    try:
        parse_answer(HttpAnswer(status, body))
    except GatewayError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_push_parser_only_our_errors_bytes(body: bytes) -> None:
    try:
        offline().parse_webhook(body, {})
    except PayloadError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.one_of(json_values, items, st.lists(items, max_size=3)))
def test_push_parser_only_our_errors_json(value: object) -> None:
    try:
        payload = offline().parse_webhook(json.dumps(value).encode(), {})
    except PayloadError:
        return
    for message in payload.messages:
        assert message.message_id.startswith("fp:")
        assert message.received_at.tzinfo is not None


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["status", "array", "success", "data", "balance"]),
                       st.one_of(json_values, st.lists(items, max_size=3),
                                 st.fixed_dictionaries({"records": st.lists(items, max_size=3)},
                                                       optional={"pages": fields}))))  # fmt: skip
def test_body_parsers_only_our_errors(body: dict[str, Any]) -> None:
    for parse in (
        lambda: parse_send(body, ["918563214123"], {"1": "918563214123"}),
        lambda: parse_reports(body),
        lambda: parse_records(body, NOW),
        lambda: _balance(HttpAnswer(200, json.dumps({**body, "status": "0"}).encode())),
    ):
        try:
            parse()
        except GatewayError:
            pass
