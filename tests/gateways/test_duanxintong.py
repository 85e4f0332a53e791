"""企业短信通 (112088.net) through its fake: GBK on the wire, batching, polling that forgets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import aiohttp
from aiohttp import web
from hypothesis import given, settings, strategies as st
import pytest
from yarl import URL

from custom_components.sms_gateways.gateways.duanxintong import (
    DuanxintongGateway,
    UnencodableTextError,
    _decode,
    parse_balance,
    parse_inbound,
    parse_reports,
    parse_send_answer,
)
from custom_components.sms_gateways.gateways.exceptions import (
    AuthError,
    EmptyMessageError,
    GatewayError,
    InvalidNumberError,
    MessageTooLongError,
    ProtocolError,
    RefusedError,
    TemporaryError,
    UnsupportedOptionError,
)
from custom_components.sms_gateways.gateways.models import (
    AccountInfo,
    Balance,
    DeliveryStatus,
    SendOptions,
)
from custom_components.sms_gateways.gateways.text import Encoding
from tests.fakes.base import Fault
from tests.fakes.duanxintong import DuanxintongFake
from tests.gateways.faults import TRANSPORT_FAULTS

PASSWORD = "s3cret-密码"
MOBILE = "13798361236"
LANDLINE = "075580808080"
# The same numbers as inbound senders and report recipients are given: E.164.
MOBILE_E164 = "+8613798361236"
LANDLINE_E164 = "+8675580808080"
E164 = {MOBILE: MOBILE_E164, LANDLINE: LANDLINE_E164}

Setup = tuple[DuanxintongFake, DuanxintongGateway]


@pytest.fixture
async def setup(serve: Any, session: aiohttp.ClientSession) -> Setup:
    fake = DuanxintongFake(username="mysms", password=PASSWORD)
    url = await serve(fake)
    gateway = DuanxintongGateway(
        session, {"username": "mysms", "password": PASSWORD}, url=url, timeout=0.3
    )
    return fake, gateway


def _secret_free(err: BaseException) -> None:
    assert PASSWORD not in str(err)
    assert "127.0.0.1" not in str(err)


# -- sending ----------------------------------------------------------------------------------


async def test_send_chinese_text_round_trips_as_gbk(setup: Setup) -> None:
    fake, gateway = setup
    result = await gateway.async_send([MOBILE], "这条是测试短信")

    assert [m.text for m in fake.sent] == ["这条是测试短信"]
    assert fake.queries == [
        {
            "us_name": "mysms",
            "us_pwd": PASSWORD,
            "send_phone": MOBILE,
            "send_content": "这条是测试短信",
        }
    ]
    request = fake.state.requests[0]
    assert request.method == "GET"
    assert request.path == "/sendsms_txt.asp"
    # GBK bytes, percent-encoded (这 is D5E2 in GBK, E8BF99 in UTF-8).
    assert fake.raw_queries[0].startswith(f"us_name=mysms&us_pwd={quote(PASSWORD.encode('gbk'))}&")
    assert "&send_content=%D5%E2%CC%F5%CA%C7%B2%E2%CA%D4%B6%CC%D0%C5" in fake.raw_queries[0]
    assert result.accepted[0].number == MOBILE
    assert result.accepted[0].message_id == fake.sent[0].message_id
    assert result.rejected == []


async def test_symbols_in_text_survive_the_query(setup: Setup) -> None:
    fake, gateway = setup
    text = "a&b=c+d %e|f,g;h#i?/中"
    await gateway.async_send([MOBILE, LANDLINE], text)
    assert fake.sent[0].text == text
    assert fake.queries[0]["send_phone"] == f"{MOBILE},{LANDLINE}"


async def test_scheduled_send_uses_china_time(setup: Setup) -> None:
    fake, gateway = setup
    send_at = datetime(2030, 1, 1, 12, 0, 30, tzinfo=UTC)
    await gateway.async_send([MOBILE], "定时", SendOptions(send_at=send_at))
    assert fake.queries[0]["send_time"] == "20300101200030"
    assert fake.sent[0].options == {"send_time": "20300101200030"}


async def test_immediate_send_has_no_send_time(setup: Setup) -> None:
    fake, gateway = setup
    await gateway.async_send([MOBILE], "现在")
    assert "send_time" not in fake.queries[0]


@pytest.mark.parametrize(("count", "requests", "sizes"), [(100, 1, [100]), (101, 2, [100, 1])])
async def test_batches_of_at_most_100(
    setup: Setup, count: int, requests: int, sizes: list[int]
) -> None:
    fake, gateway = setup
    numbers = [f"138{i:08d}" for i in range(count)]
    result = await gateway.async_send(numbers, "群发")
    assert result.requests == requests
    assert sorted((len(q["send_phone"].split(",")) for q in fake.queries), reverse=True) == sizes
    assert len(result.accepted) == count
    assert [r.number for r in result.results] == numbers
    # Every number got its own SMSID, matching what the fake sent to that number.
    ids = {m.number: m.message_id for m in fake.sent}
    assert all(r.message_id == ids[r.number] for r in result.results)


@pytest.mark.parametrize(
    ("given_number", "wire"),
    [
        (MOBILE, MOBILE),
        ("+86 137 9836 1236", MOBILE),
        ("008613798361236", MOBILE),
        ("0755-8080-8080", LANDLINE),
        ("+86 755 8080 8080", LANDLINE),
    ],
)
async def test_numbers_in_chinese_national_form(setup: Setup, given_number: str, wire: str) -> None:
    fake, gateway = setup
    result = await gateway.async_send([given_number], "你好")
    assert fake.queries[0]["send_phone"] == wire
    assert result.results[0].number == wire


@pytest.mark.parametrize(
    "bad", ["+14155552671", "+52 55 1234 5678", "123", "1379836123", "0755", "not a number", ""]
)
async def test_bad_numbers_refused_before_any_request(setup: Setup, bad: str) -> None:
    fake, gateway = setup
    with pytest.raises(InvalidNumberError):
        await gateway.async_send([MOBILE, bad], "你好")
    assert fake.state.requests == []


@pytest.mark.parametrize(
    ("text", "options", "error"),
    [
        ("", SendOptions(), EmptyMessageError),
        ("   ", SendOptions(), EmptyMessageError),
        ("长" * 336, SendOptions(), MessageTooLongError),
        ("表情😀", SendOptions(), UnencodableTextError),
        ("你好", SendOptions(flash=True), UnsupportedOptionError),
        ("你好", SendOptions(unicode=True), UnsupportedOptionError),
        ("你好", SendOptions(sender_id="HOME"), UnsupportedOptionError),
    ],
)
async def test_validation_before_any_request(
    setup: Setup, text: str, options: SendOptions, error: type[Exception]
) -> None:
    fake, gateway = setup
    with pytest.raises(error):
        await gateway.async_send([MOBILE], text, options)
    assert fake.state.requests == []


async def test_emoji_named_in_the_error(setup: Setup) -> None:
    fake, gateway = setup
    with pytest.raises(UnencodableTextError) as err:
        await gateway.async_send([MOBILE], "晚安😀🌙😀")
    assert err.value.key == "unencodable_text"
    assert err.value.placeholders["characters"] == "😀 🌙"
    assert fake.state.requests == []


async def test_longest_text_is_sent(setup: Setup) -> None:
    fake, gateway = setup
    result = await gateway.async_send([MOBILE], "长" * 335)
    assert fake.sent[0].text == "长" * 335
    assert result.text.segments == 5


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("-1", ProtocolError),
        ("-2", ProtocolError),
        ("-4", ProtocolError),
        ("-7", AuthError),
        ("-99", TemporaryError),
        ("-42", ProtocolError),
    ],
)
async def test_send_error_codes_raise(setup: Setup, code: str, error: type[GatewayError]) -> None:
    fake, gateway = setup
    fake.set_fault(Fault.CODE, code=code)
    with pytest.raises(error) as err:
        await gateway.async_send([MOBILE], "你好")
    assert err.value.code == code
    _secret_free(err.value)
    assert fake.sent == []


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("-3|法轮", "banned word: 法轮"),
        ("-8", "longer than 335"),
        ("-9", "balance"),
        ("-10", "locked"),
    ],
)
async def test_send_refusals_reject_every_number(setup: Setup, code: str, reason: str) -> None:
    fake, gateway = setup
    fake.set_fault(Fault.CODE, code=code)
    result = await gateway.async_send([MOBILE, LANDLINE], "你好")
    assert result.accepted == []
    for item in result.rejected:
        assert reason in (item.reason or "")
        assert item.code == code.split("|", maxsplit=1)[0]


async def test_refusal_raises_from_a_single_batch(setup: Setup) -> None:
    fake, gateway = setup
    fake.set_fault(Fault.CODE, code="-9")
    with pytest.raises(RefusedError) as err:
        await gateway._async_send_batch([MOBILE], "你好", SendOptions())
    assert err.value.code == "-9"


async def test_banned_word_named(setup: Setup) -> None:
    fake, gateway = setup
    result = await gateway.async_send([MOBILE], "代开发票,请联系")
    assert result.rejected[0].code == "-3"
    assert "发票" in (result.rejected[0].reason or "")
    assert fake.sent == []


async def test_insufficient_balance_and_locked_account(setup: Setup) -> None:
    fake, gateway = setup
    fake.balance = 1
    result = await gateway.async_send([MOBILE, LANDLINE], "你好")
    assert [r.code for r in result.rejected] == ["-9", "-9"]
    fake.balance, fake.locked = 100, True
    result = await gateway.async_send([MOBILE], "你好")
    assert result.rejected[0].code == "-10"
    assert fake.sent == []


async def test_wrong_password_on_send(serve: Any, session: aiohttp.ClientSession) -> None:
    fake = DuanxintongFake()
    gateway = DuanxintongGateway(
        session, {"username": "demo", "password": "wrong"}, url=await serve(fake)
    )
    with pytest.raises(AuthError) as err:
        await gateway.async_send([MOBILE], "你好")
    assert "wrong" not in str(err.value)
    assert fake.sent == []


async def test_partial_acceptance_is_not_guessed(setup: Setup) -> None:
    fake, gateway = setup
    fake.set_fault(Fault.CODE, code="0|1|1|6408649")
    result = await gateway.async_send([MOBILE, LANDLINE], "你好")
    # One went out and the API does not say which: neither may be called rejected (a retry
    # would send it twice), and neither gets the id.
    assert len(result.accepted) == 2
    assert all(r.message_id is None for r in result.results)
    assert all("1 of 2" in (r.reason or "") for r in result.results)


async def test_every_number_failed(setup: Setup) -> None:
    fake, gateway = setup
    fake.set_fault(Fault.CODE, code="0|0|2|")
    result = await gateway.async_send([MOBILE, LANDLINE], "你好")
    assert result.accepted == []
    assert all("wrong length" in (r.reason or "") for r in result.rejected)


def test_send_answer_forms() -> None:
    batch = [MOBILE, LANDLINE]
    assert [r.message_id for r in parse_send_answer("0|2|0|11,12", batch)] == ["11", "12"]
    # A single batch number for the whole batch (as the report example suggests).
    assert [r.message_id for r in parse_send_answer("0|2|0|77", batch)] == ["77", "77"]
    only_ids = parse_send_answer("0|2|0|", batch)
    assert all(r.accepted and r.message_id is None for r in only_ids)
    assert "returned 0 ids" in (only_ids[0].reason or "")
    assert [r.message_id for r in parse_send_answer(" 0|1|0|SMSID \r\n", [MOBILE])] == ["SMSID"]
    with pytest.raises(ProtocolError):
        parse_send_answer("9" * 5000, batch)
    with pytest.raises(ProtocolError):
        parse_reports("9" * 5000)
    with pytest.raises(ProtocolError):
        parse_balance("9" * 5000)


# -- billing and the 100-message limit ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("a" * 70, 1),
        ("a" * 71, 2),
        ("a" * 100, 2),
        ("长" * 70, 1),
        ("长" * 134, 2),
        ("长" * 135, 3),
        ("a" * 335, 5),
    ],
    ids=["ascii70", "ascii71", "ascii100", "han70", "han134", "han135", "ascii335"],
)
async def test_parts_as_112088_bills_them(setup: Setup, text: str, segments: int) -> None:
    fake, gateway = setup
    fake.balance = 100
    result = await gateway.async_send([MOBILE, LANDLINE], text)
    # 70 characters a message whatever the alphabet (a Latin text is not GSM-7's 160), 67 a part.
    assert (result.text.segments, result.text.encoding) == (segments, Encoding.UCS2)
    # What the user is told is what the (fake) server charged: parts x numbers.
    assert fake.balance == 100 - 2 * segments


def _numbers(count: int) -> list[str]:
    return [f"138{i:08d}" for i in range(count)]


def _sizes(fake: DuanxintongFake) -> list[int]:
    return [len(q["send_phone"].split(",")) for q in fake.queries]


@pytest.mark.parametrize(
    ("count", "text", "sizes"),
    [
        # 100 numbers x 2 parts = 200 条: refused (-4), then sent as 2 x (50 x 2).
        (100, "a" * 100, [100, 50, 50]),
        # 30 numbers x 5 parts = 150 条: refused, then 20 and 10 numbers (at most 100 条 each).
        (30, "长" * 335, [30, 20, 10]),
    ],
    ids=["2-parts", "5-parts"],
)
async def test_more_than_100_parts_split_once(
    setup: Setup, count: int, text: str, sizes: list[int]
) -> None:
    fake, gateway = setup
    numbers = _numbers(count)
    result = await gateway.async_send(numbers, text)
    assert _sizes(fake) == sizes
    assert [r.number for r in result.results] == numbers
    assert all(r.accepted for r in result.results)
    ids = {m.number: m.message_id for m in fake.sent}
    assert [r.message_id for r in result.results] == [ids[n] for n in numbers]
    assert len(fake.sent) == count


async def test_server_counting_numbers_is_not_split(setup: Setup) -> None:
    fake, gateway = setup
    fake.limit_counts_parts = False
    result = await gateway.async_send(_numbers(100), "a" * 100)
    assert _sizes(fake) == [100]
    assert len(result.accepted) == 100


async def test_split_is_tried_once(setup: Setup) -> None:
    fake, gateway = setup
    fake.set_fault(Fault.CODE, code="-4")
    with pytest.raises(ProtocolError) as err:
        await gateway.async_send(_numbers(100), "a" * 100)
    assert err.value.code == "-4"
    # The refused request, then its two halves: never a third round.
    assert len(fake.state.requests) == 3
    assert fake.sent == []


async def test_split_keeps_each_part_s_outcome(setup: Setup) -> None:
    fake, gateway = setup
    # Enough for the first 50 numbers x 2 parts, not for the next 50.
    fake.balance = 150
    numbers = _numbers(100)
    result = await gateway.async_send(numbers, "a" * 100)
    assert [r.number for r in result.results] == numbers
    assert all(r.accepted and r.message_id for r in result.results[:50])
    assert all(not r.accepted and r.code == "-9" for r in result.results[50:])
    assert [m.number for m in fake.sent] == numbers[:50]


# -- delivery reports -----------------------------------------------------------------------


async def test_reports_after_send_then_forgotten(setup: Setup) -> None:
    fake, gateway = setup
    result = await gateway.async_send([MOBILE, LANDLINE], "你好")
    reports = await gateway.async_poll_reports(["ignored"])
    assert {(r.message_id, r.recipient) for r in reports} == {
        (r.message_id, E164[r.number]) for r in result.results
    }
    assert {r.status for r in reports} == {DeliveryStatus.DELIVERED}
    assert fake.queries[-1] == {"us_name": "mysms", "us_pwd": PASSWORD}
    assert fake.state.requests[-1].path == "/get_report_txt.asp"
    # The server hands a report out once.
    assert await gateway.async_poll_reports([]) == []


async def test_report_statuses(setup: Setup) -> None:
    fake, gateway = setup
    fake.queue_report("6408676", "13682250950", -1)
    fake.queue_report("6408649", "13711147169", 20)
    fake.queue_report("6408649", "13719445093", 10)
    fake.queue_report("6408650", "13719445093", 99)
    reports = await gateway.async_poll_reports([])
    assert [(r.message_id, r.recipient, r.status) for r in reports] == [
        ("6408676", "+8613682250950", DeliveryStatus.SENT),
        ("6408649", "+8613711147169", DeliveryStatus.FAILED),
        ("6408649", "+8613719445093", DeliveryStatus.DELIVERED),
    ]
    # Every one of them ends the wait: -1 too, as the server never sends that SMSID again.
    assert all(r.settled for r in reports)


async def test_no_status_report_is_final(setup: Setup) -> None:
    fake, gateway = setup
    fake.queue_report("6408676", "13682250950", -1)
    [report] = await gateway.async_poll_reports([])
    assert report.status is DeliveryStatus.SENT
    assert report.final is True
    assert report.settled
    assert "No status report was received" in (report.reason or "")
    # And it is not handed out again: the message would otherwise wait for ever.
    assert await gateway.async_poll_reports([]) == []


@pytest.mark.parametrize(
    ("written", "reported"),
    [
        ("13682250950", "+8613682250950"),
        (LANDLINE, LANDLINE_E164),
        ("+8613682250950", "+8613682250950"),
        # Not a valid number (a service code): kept as the server wrote it.
        ("10086", "10086"),
    ],
)
async def test_report_recipient_in_e164(setup: Setup, written: str, reported: str) -> None:
    fake, gateway = setup
    fake.queue_report("6408649", written, 10)
    assert [r.recipient for r in await gateway.async_poll_reports([])] == [reported]


async def test_reports_come_100_at_a_time(setup: Setup) -> None:
    fake, gateway = setup
    for i in range(150):
        fake.queue_report(str(i), MOBILE)
    assert len(await gateway.async_poll_reports([])) == 100
    assert len(await gateway.async_poll_reports([])) == 50
    assert await gateway.async_poll_reports([]) == []


def test_report_example_from_the_document() -> None:
    reports = parse_reports(
        "3|6408676;13682250950;20|6408649;13711147169;20|6408649;13719445093;20"
    )
    assert [r.recipient for r in reports] == ["13682250950", "13711147169", "13719445093"]
    assert all(r.status is DeliveryStatus.FAILED for r in reports)


# -- inbound ----------------------------------------------------------------------------------


async def test_inbound_chinese_and_forgotten_once_fetched(setup: Setup) -> None:
    fake, gateway = setup
    first = fake.queue_inbound(MOBILE, "我回复一条")
    second = fake.queue_inbound("13826588212", "我也回复一条", comma_form=True)
    before = datetime.now(UTC)
    messages = await gateway.async_poll_inbound(before - timedelta(days=1))
    assert [(m.message_id, m.sender, m.text) for m in messages] == [
        (first, MOBILE_E164, "我回复一条"),
        (second, "+8613826588212", "我也回复一条"),
    ]
    assert all(before <= m.received_at <= datetime.now(UTC) for m in messages)
    assert messages[0].received_at.tzinfo is UTC
    assert fake.state.requests[-1].path == "/get_receive_message_txt.asp"
    assert await gateway.async_poll_inbound(None) == []


async def test_inbound_text_keeps_semicolons_and_commas(setup: Setup) -> None:
    fake, gateway = setup
    fake.queue_inbound(MOBILE, "好;明天,见; 8点", comma_form=True)
    fake.queue_inbound(LANDLINE, "ok;,;")
    messages = await gateway.async_poll_inbound(None)
    assert [(m.sender, m.text) for m in messages] == [
        (MOBILE_E164, "好;明天,见; 8点"),
        (LANDLINE_E164, "ok;,;"),
    ]


@pytest.mark.parametrize(
    ("written", "sender"),
    [
        ("13826588212", "+8613826588212"),
        ("075580808080", "+8675580808080"),
        # The country code without `+` (libphonenumber strips it when the rest is valid).
        ("8613826588212", "+8613826588212"),
        ("+8613826588212", "+8613826588212"),
        ("10086", "10086"),
        ("", ""),
    ],
)
async def test_inbound_sender_in_e164(setup: Setup, written: str, sender: str) -> None:
    fake, gateway = setup
    fake.queue_inbound(written, "你好")
    messages = await gateway.async_poll_inbound(None)
    if not written:
        # `id;;text` has no sender to read: skipped and logged, as before.
        assert messages == []
        return
    assert [m.sender for m in messages] == [sender]


async def test_inbound_comes_50_at_a_time(setup: Setup) -> None:
    fake, gateway = setup
    for i in range(60):
        fake.queue_inbound(MOBILE, f"第{i}条")
    assert len(await gateway.async_poll_inbound(None)) == 50
    assert [m.text for m in await gateway.async_poll_inbound(None)] == [
        f"第{i}条" for i in range(50, 60)
    ]


def test_inbound_example_from_the_document() -> None:
    now = datetime(2024, 1, 1, tzinfo=UTC)
    messages = parse_inbound("2|133,13798361236;我回复一条|134,13826588212;我也回复一条", now)
    assert [(m.message_id, m.sender, m.text, m.received_at) for m in messages] == [
        ("133", "13798361236", "我回复一条", now),
        ("134", "13826588212", "我也回复一条", now),
    ]


def test_unreadable_item_does_not_lose_the_others() -> None:
    now = datetime(2024, 1, 1, tzinfo=UTC)
    messages = parse_inbound("2|garbage|134;13826588212;好", now)
    assert [m.message_id for m in messages] == ["134"]


# -- balance and validation -------------------------------------------------------------------


async def test_balance_counts_messages(setup: Setup) -> None:
    fake, gateway = setup
    fake.balance = 1234
    assert await gateway.async_balance() == Balance(1234.0, "messages")
    assert fake.state.requests[-1].path == "/Get_Account_Balance.asp"
    # 71 characters is a long SMS of two parts, charged per number.
    await gateway.async_send([MOBILE, LANDLINE], "长" * 71)
    assert await gateway.async_balance() == Balance(1230.0, "messages")


async def test_validate(setup: Setup) -> None:
    fake, gateway = setup
    fake.balance = 0
    assert await gateway.async_validate() == AccountInfo(
        account_id="mysms", name="mysms", balance=Balance(0.0, "messages")
    )


@pytest.mark.parametrize(
    "credentials",
    [{"username": "mysms", "password": "wrong"}, {"username": "nobody", "password": PASSWORD}],
)
@pytest.mark.parametrize(
    "call",
    [
        lambda g: g.async_validate(),
        lambda g: g.async_poll_reports([]),
        lambda g: g.async_poll_inbound(None),
    ],
)
async def test_rejected_credentials(
    serve: Any, session: aiohttp.ClientSession, credentials: dict[str, str], call: Any
) -> None:
    fake = DuanxintongFake(username="mysms", password=PASSWORD)
    fake.queue_inbound(MOBILE, "留着")
    gateway = DuanxintongGateway(session, credentials, url=await serve(fake))
    with pytest.raises(AuthError) as err:
        await call(gateway)
    assert credentials["password"] not in str(err.value)
    # Nothing was handed out to the wrong account.
    assert len(fake.inbound) == 1


async def test_credentials_gbk_cannot_carry(serve: Any, session: aiohttp.ClientSession) -> None:
    fake = DuanxintongFake()
    gateway = DuanxintongGateway(
        session, {"username": "demo", "password": "pw😀x"}, url=await serve(fake)
    )
    with pytest.raises(AuthError) as err:
        await gateway.async_balance()
    assert "pw😀x" not in str(err.value)
    assert fake.state.requests == []


@pytest.mark.parametrize(
    ("path", "code", "error"),
    [
        (path, code, error)
        for path in ("/get_report_txt.asp", "/get_receive_message_txt.asp")
        for code, error in (
            ("-1", AuthError),
            ("-3", TemporaryError),
            ("-7", AuthError),
            ("-5", ProtocolError),
        )
    ]
    + [
        ("/Get_Account_Balance.asp", "-1", AuthError),
        ("/Get_Account_Balance.asp", "-7", AuthError),
        ("/Get_Account_Balance.asp", "-2", ProtocolError),
        ("/Get_Account_Balance.asp", "many", ProtocolError),
    ],
)
async def test_query_error_codes(
    setup: Setup, path: str, code: str, error: type[GatewayError]
) -> None:
    fake, gateway = setup
    fake.set_fault(Fault.CODE, code=code, path=path)
    with pytest.raises(error) as err:
        await _call(gateway, path)
    _secret_free(err.value)
    if code.startswith("-"):
        assert err.value.code == code


async def _call(gateway: DuanxintongGateway, path: str) -> Any:
    if path == "/get_report_txt.asp":
        return await gateway.async_poll_reports([])
    if path == "/get_receive_message_txt.asp":
        return await gateway.async_poll_inbound(None)
    if path == "/Get_Account_Balance.asp":
        return await gateway.async_balance()
    return await gateway.async_send([MOBILE], "你好")


# -- transport --------------------------------------------------------------------------------

PATHS = (
    "/sendsms_txt.asp",
    "/get_report_txt.asp",
    "/get_receive_message_txt.asp",
    "/Get_Account_Balance.asp",
)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("fault", "error"),
    TRANSPORT_FAULTS,
)
async def test_transport_failures(
    setup: Setup, path: str, fault: Fault, error: type[Exception]
) -> None:
    fake, gateway = setup
    fake.set_fault(fault, path=path)
    with pytest.raises(error) as err:
        await _call(gateway, path)
    _secret_free(err.value)
    assert fake.sent == []


async def test_not_gbk_answer(setup: Setup) -> None:
    fake, gateway = setup
    fake.error_response = lambda request, code: web.Response(body=b"\x81\xff")
    fake.set_fault(Fault.CODE, code="x")
    with pytest.raises(ProtocolError):
        await gateway.async_balance()


@pytest.mark.parametrize(
    ("encoding", "declared"),
    [
        ("utf-8", "utf-8"),
        ("utf-8", "UTF-8"),
        ("gb18030", "gb18030"),
        # None declared, an unknown name, a codec that is not a charset: GBK.
        ("gbk", None),
        ("gbk", "x-no-such-charset"),
        ("gbk", "base64"),
        # Declared wrongly: the body is not UTF-8 at all, so GBK is tried.
        ("gbk", "utf-8"),
        # GB2312 declared, GBK sent (镕 is not in GB2312): read as GBK.
        ("gbk", "gb2312"),
    ],
)
async def test_answer_charset_declared(setup: Setup, encoding: str, declared: str | None) -> None:
    fake, gateway = setup
    fake.encoding, fake.declared_charset = encoding, declared
    fake.queue_inbound(MOBILE, "朱镕基回复了;好")
    [message] = await gateway.async_poll_inbound(None)
    assert message.text == "朱镕基回复了;好"
    assert fake.raw_queries[-1].endswith(f"us_pwd={quote(PASSWORD.encode('gbk'))}")


async def test_requests_stay_gbk_whatever_the_answers_charset(setup: Setup) -> None:
    fake, gateway = setup
    fake.encoding = fake.declared_charset = "utf-8"
    result = await gateway.async_send([MOBILE], "这条是测试短信")
    assert "&send_content=%D5%E2%CC%F5" in fake.raw_queries[0]
    assert fake.sent[0].text == "这条是测试短信"
    assert result.accepted[0].message_id == fake.sent[0].message_id


def test_decode_by_content_type() -> None:
    text = "我也回复一条"
    assert _decode(text.encode("utf-8"), 'text/plain; charset="utf-8"') == text
    assert _decode(text.encode("utf-8"), "text/html;charset=UTF-8") == text
    assert _decode(text.encode("gbk"), "text/plain") == text
    assert _decode(text.encode("gbk"), "text/plain; charset=bogus") == text
    assert _decode("x\u20acy".encode("cp1252"), "text/plain; charset=windows-1252") == "x\u20acy"


async def test_wrong_path_prefix(setup: Setup, session: aiohttp.ClientSession) -> None:
    _, gateway = setup
    wrong = DuanxintongGateway(
        session, {"username": "mysms", "password": PASSWORD}, url=gateway.url + "/nope"
    )
    with pytest.raises(ProtocolError) as err:
        await wrong.async_balance()
    assert err.value.code == "404"
    _secret_free(err.value)


# -- the dual-line domain's jump (redirects) -------------------------------------------------

ProxySetup = tuple[DuanxintongFake, DuanxintongGateway]


@pytest.fixture
async def proxied(serve: Any) -> AsyncIterator[ProxySetup]:
    """The gateway on its real root, www.112088.net:8088, every request reaching the fake.

    The fake is the session's HTTP proxy, so it sees the host each request is addressed to (the
    absolute URL of the request line) and can answer for any of them, redirects included.
    """
    fake = DuanxintongFake(username="mysms", password=PASSWORD)
    url = await serve(fake)
    async with aiohttp.ClientSession(proxy=url) as client:
        yield fake, DuanxintongGateway(client, {"username": "mysms", "password": PASSWORD})


@pytest.mark.parametrize("carrier_ip", ["116.204.97.93", "211.162.126.121"])
async def test_jump_to_a_documented_ip_is_followed(proxied: ProxySetup, carrier_ip: str) -> None:
    fake, gateway = proxied
    fake.redirect_to = f"http://{carrier_ip}:8088"
    result = await gateway.async_send([MOBILE], "这条是测试短信")
    assert fake.hosts == ["www.112088.net", carrier_ip]
    assert [m.text for m in fake.sent] == ["这条是测试短信"]
    assert result.accepted[0].message_id == fake.sent[0].message_id
    # The GBK query went on unchanged (the fake decoded the password from it).
    assert fake.queries[-1]["us_pwd"] == PASSWORD
    assert await gateway.async_balance() == Balance(999.0, "messages")


async def test_redirect_on_the_same_host_is_followed(proxied: ProxySetup) -> None:
    fake, gateway = proxied
    fake.redirect_to = "http://www.112088.net:8089"
    assert await gateway.async_balance() == Balance(1000.0, "messages")
    assert fake.hosts == ["www.112088.net", "www.112088.net"]


@pytest.mark.parametrize(
    "call",
    [
        lambda g: g.async_send([MOBILE], "你好"),
        lambda g: g.async_poll_inbound(None),
        lambda g: g.async_balance(),
    ],
)
async def test_jump_to_another_host_is_refused(proxied: ProxySetup, call: Any) -> None:
    fake, gateway = proxied
    fake.queue_inbound(MOBILE, "留着")
    fake.redirect_to = "http://sms-relay.example:8088"
    with pytest.raises(ProtocolError) as err:
        await call(gateway)
    # The credentials never reached that host: nothing but the first request was made.
    assert fake.hosts == ["www.112088.net"]
    assert "sms-relay.example" in str(err.value)
    assert "not followed" in str(err.value)
    assert err.value.code == "302"
    _secret_free(err.value)
    assert fake.sent == []
    assert len(fake.inbound) == 1


async def test_documented_ip_is_not_trusted_from_another_root(setup: Setup) -> None:
    fake, gateway = setup
    # The entry points at a host of its own (a white-label twin, here the fake on loopback):
    # the carrier IPs are 112088's, not that host's, so its password does not go there.
    fake.redirect_to = "http://116.204.97.93:8088"
    with pytest.raises(ProtocolError) as err:
        await gateway.async_balance()
    assert "116.204.97.93" in str(err.value)
    assert fake.hosts == ["127.0.0.1"]


@pytest.mark.parametrize(
    ("origin", "target", "followed"),
    [
        ("http://www.112088.net:8088/a", "http://116.204.97.93:8088/a", True),
        ("http://www.112088.net:8088/a", "https://211.162.126.121/a", True),
        ("http://WWW.112088.NET:8088/a", "http://www.112088.net:9000/b", True),
        ("http://116.204.97.93:8088/a", "http://211.162.126.121:8088/a", True),
        ("https://www.112088.net/a", "http://116.204.97.93:8088/a", False),
        ("http://www.112088.net:8088/a", "ftp://116.204.97.93/a", False),
        ("http://www.112088.net:8088/a", "http://116.204.97.94:8088/a", False),
        ("http://www.112088.net:8088/a", "http://112088.net.example/a", False),
        ("http://sms.example/a", "http://116.204.97.93:8088/a", False),
    ],
)
def test_which_redirects_may_be_followed(
    session: aiohttp.ClientSession, origin: str, target: str, followed: bool
) -> None:
    gateway = DuanxintongGateway(session, {})
    assert gateway._may_follow(URL(origin), URL(target)) is followed


# -- parsers never raise anything but GatewayError ------------------------------------------

ANSWER_TEXT = st.one_of(
    st.text(),
    st.lists(
        st.one_of(st.text(alphabet="0123456789-;,| 中\r\n"), st.sampled_from(["0", "-1", "10"])),
        max_size=6,
    ).map("|".join),
)


@settings(max_examples=200, deadline=None)
@given(body=st.binary())
def test_decode_any_bytes(body: bytes) -> None:
    try:
        assert isinstance(_decode(body), str)
    except GatewayError:
        pass


@settings(max_examples=200, deadline=None)
@given(text=ANSWER_TEXT, size=st.integers(min_value=1, max_value=5))
def test_send_parser_any_text(text: str, size: int) -> None:
    batch = [f"1380000000{i}" for i in range(size)]
    try:
        results = parse_send_answer(text, batch)
    except GatewayError:
        return
    assert [r.number for r in results] == batch


@settings(max_examples=200, deadline=None)
@given(text=ANSWER_TEXT)
def test_query_parsers_any_text(text: str) -> None:
    now = datetime.now(UTC)
    for parse in (parse_reports, lambda t: parse_inbound(t, now), parse_balance):
        try:
            parse(text)
        except GatewayError:
            pass
