"""SMSMobileAPI: sending, polling, both webhook formats and their signature, through the fake."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
import hashlib
import json
from typing import Any
from urllib.parse import parse_qs

import aiohttp
from aiohttp import web
from hypothesis import given, settings, strategies as st
import pytest

from custom_components.sms_gateways.gateways.exceptions import (
    AuthError,
    GatewayError,
    InvalidNumberError,
    InvalidOptionError,
    MessageTooLongError,
    PayloadError,
    ProtocolError,
    RefusedError,
    SignatureError,
    TemporaryError,
    UnsupportedOptionError,
)
from custom_components.sms_gateways.gateways.models import Channel, DeliveryStatus, SendOptions
from custom_components.sms_gateways.gateways.smsmobileapi import (
    CARRIER_RETRY_SECONDS,
    LATE_UPLOAD_SECONDS,
    REPORT_LOOKUPS_PER_POLL,
    SmsMobileApiGateway,
)
from custom_components.sms_gateways.gateways.transport import HttpAnswer
from tests.fakes.base import FakeProvider, Fault
from tests.fakes.smsmobileapi import (
    CARRIER_RETRIES,
    DEFAULT_API_KEY,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_WEBHOOK_SECRET,
    LOG_PAGE_SIZE,
    SmsMobileApiFake,
    legacy_push_body,
    signature_headers,
    signed_push,
)

NUMBER = "+15551234567"
OTHERS = ["+15551234568", "+15551234569", "+447700900123", "+525512345678"]
T0 = 1_760_000_000  # a fixed "now" for webhook signatures
SECRETS = (DEFAULT_API_KEY, DEFAULT_WEBHOOK_SECRET)
# The account id of the fake's key: the first 12 hex digits of its SHA-256.
ACCOUNT_ID = hashlib.sha256(DEFAULT_API_KEY.encode()).hexdigest()[:12]


def assert_no_secret(err: BaseException) -> None:
    text = f"{err} {getattr(err, 'reason', '')} {getattr(err, 'code', '')}"
    for secret in SECRETS:
        assert secret not in text
    assert "127.0.0.1" not in text


@pytest.fixture
def fake() -> SmsMobileApiFake:
    return SmsMobileApiFake()


@pytest.fixture
async def gateway(
    fake: SmsMobileApiFake, serve: Any, session: aiohttp.ClientSession
) -> SmsMobileApiGateway:
    return SmsMobileApiGateway(session, fake.credentials, url=await serve(fake), timeout=0.3)


def offline(secret: str | None = DEFAULT_WEBHOOK_SECRET) -> SmsMobileApiGateway:
    """A gateway for parsing only (no request is made)."""
    credentials = {"api_key": DEFAULT_API_KEY}
    if secret is not None:
        credentials["webhook_secret"] = secret
    return SmsMobileApiGateway(None, credentials)


def form(fake: SmsMobileApiFake, index: int = -1) -> dict[str, str]:
    """The form body of a recorded request."""
    return {k: v[0] for k, v in parse_qs(fake.state.requests[index].body.decode()).items()}


class RawFake(FakeProvider):
    """Answers every path with one fixed answer, for the parsers' edge cases."""

    key = "raw"

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__()
        self.status = status
        self.body = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.headers = headers or {}

    def routes(self) -> list[web.RouteDef]:
        return [web.route("*", "/{tail:.*}", self._any)]

    async def _any(self, request: web.Request) -> web.Response:
        return web.Response(status=self.status, body=self.body, headers=self.headers)

    def malformed_body(self) -> web.Response:
        return web.Response(text="<html>")

    def auth_failure(self, request: web.Request) -> web.Response:
        return web.Response(status=403)

    def error_response(self, request: web.Request, code: str) -> web.Response:
        return web.Response(status=int(code))


async def raw_gateway(
    serve: Any, session: aiohttp.ClientSession, status: int, body: Any
) -> SmsMobileApiGateway:
    url = await serve(RawFake(status, body))
    return SmsMobileApiGateway(session, {"api_key": DEFAULT_API_KEY}, url=url, timeout=0.3)


# -- account ---------------------------------------------------------------------------------


async def test_validate_proves_the_key_with_a_cheap_read(
    fake: SmsMobileApiFake, gateway: SmsMobileApiGateway
) -> None:
    fake.queue_inbound("+15550001111", "old message", received_at=T0 - 3600)
    account = await gateway.async_validate()
    assert account.account_id == ACCOUNT_ID
    assert account.name == "SMSMobileAPI"
    assert DEFAULT_API_KEY[-4:] not in account.name
    request = fake.state.requests[0]
    assert (request.method, request.path) == ("GET", "/getsms/")
    assert request.query["apikey"] == DEFAULT_API_KEY
    assert request.query["onlyunread"] == "no"
    assert abs(int(request.query["after_timestamp_unix"]) - datetime.now(UTC).timestamp()) < 5
    # The read does not consume the phone's inbox.
    assert not fake.inbound[0].read


async def test_account_id_follows_the_key(
    fake: SmsMobileApiFake, serve: Any, session: aiohttp.ClientSession
) -> None:
    url = await serve(fake)
    first = await SmsMobileApiGateway(session, fake.credentials, url=url).async_validate()
    fake.api_key = "another-key"
    second = await SmsMobileApiGateway(
        session, {"api_key": "another-key"}, url=url
    ).async_validate()
    assert first.account_id != second.account_id
    assert DEFAULT_API_KEY[:12] not in first.account_id


async def test_wrong_key_is_rejected(
    fake: SmsMobileApiFake, serve: Any, session: aiohttp.ClientSession
) -> None:
    gateway = SmsMobileApiGateway(session, {"api_key": "wrong-key-value"}, url=await serve(fake))
    with pytest.raises(AuthError) as err:
        await gateway.async_validate()
    assert (err.value.code, err.value.reason) == ("403", "Invalid API key")
    assert "wrong-key-value" not in str(err.value)


# -- sending ---------------------------------------------------------------------------------


async def test_send_posts_the_documented_form(
    fake: SmsMobileApiFake, gateway: SmsMobileApiGateway
) -> None:
    result = await gateway.async_send(["0015551234567"], "Hello from Home Assistant")
    assert [(r.number, r.accepted) for r in result.results] == [(NUMBER, True)]
    assert result.results[0].message_id == fake.sent[0].message_id
    request = fake.state.requests[0]
    assert (request.method, request.path) == ("POST", "/sendsms/")
    assert request.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert form(fake) == {
        "apikey": DEFAULT_API_KEY,
        "recipients": NUMBER,
        "message": "Hello from Home Assistant",
    }
    # The key travels in the body, never in the URL.
    assert request.query == {}


@pytest.mark.parametrize("error_as_string", [True, False])
async def test_error_zero_as_string_or_integer_is_success(
    serve: Any, session: aiohttp.ClientSession, error_as_string: bool
) -> None:
    fake = SmsMobileApiFake(error_as_string=error_as_string)
    gateway = SmsMobileApiGateway(session, fake.credentials, url=await serve(fake))
    result = await gateway.async_send([NUMBER], "hi")
    assert result.results[0].accepted
    assert result.results[0].message_id == fake.sent[0].message_id


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        (None, {}),
        (Channel.SMS, {"sendsms": "1"}),
        (Channel.WHATSAPP, {"sendwa": "1", "sendsms": "0", "waonly": "yes"}),
        (Channel.BOTH, {"sendwa": "1", "sendsms": "1"}),
    ],
)
async def test_channel_maps_to_sendwa_and_sendsms(
    fake: SmsMobileApiFake,
    gateway: SmsMobileApiGateway,
    channel: Channel | None,
    expected: dict[str, str],
) -> None:
    await gateway.async_send([NUMBER], "hi", SendOptions(channel=channel))
    sent = form(fake)
    assert {k: sent[k] for k in ("sendwa", "sendsms", "waonly") if k in sent} == expected


async def test_send_at_is_utc_unix_seconds(
    fake: SmsMobileApiFake, gateway: SmsMobileApiGateway
) -> None:
    paris_summer = timezone(timedelta(hours=2))
    when = datetime(2031, 6, 1, 14, 0, tzinfo=paris_summer)
    await gateway.async_send([NUMBER], "later", SendOptions(send_at=when))
    assert form(fake)["schedule_timestamp"] == str(int(when.timestamp())) == "1938081600"
    assert fake.sent[0].options["schedule_timestamp"] == 1938081600


@pytest.mark.parametrize(
    ("numbers", "text", "options", "error"),
    [
        (["5551234567"], "hi", SendOptions(), InvalidNumberError),  # no country code
        (["not a number"], "hi", SendOptions(), InvalidNumberError),
        ([NUMBER, "+1"], "hi", SendOptions(), InvalidNumberError),
        ([NUMBER], "x" * 1601, SendOptions(), MessageTooLongError),
        ([NUMBER], "hi", SendOptions(flash=True), UnsupportedOptionError),
        ([NUMBER], "hi", SendOptions(sender_id="HOME"), UnsupportedOptionError),
        (
            [NUMBER],
            "hi",
            SendOptions(send_at=datetime.now(UTC) - timedelta(minutes=1)),
            InvalidOptionError,
        ),
    ],
)
async def test_bad_input_sends_nothing(
    fake: SmsMobileApiFake,
    gateway: SmsMobileApiGateway,
    *,
    numbers: list[str],
    text: str,
    options: SendOptions,
    error: type[Exception],
) -> None:
    with pytest.raises(error):
        await gateway.async_send(numbers, text, options)
    assert fake.state.requests == []


async def test_long_text_within_limit_is_sent_whole(
    fake: SmsMobileApiFake, gateway: SmsMobileApiGateway
) -> None:
    result = await gateway.async_send([NUMBER], "x" * 1600)
    assert result.results[0].accepted
    assert fake.sent[0].text == "x" * 1600


async def test_one_request_per_number_in_order(
    fake: SmsMobileApiFake, gateway: SmsMobileApiGateway
) -> None:
    fake.refused_numbers.add(OTHERS[1])
    result = await gateway.async_send([NUMBER, *OTHERS], "hi all")
    assert result.requests == 5
    assert len(fake.state.requests) == 5
    assert [r.number for r in result.results] == [NUMBER, *OTHERS]
    assert sorted(form(fake, i)["recipients"] for i in range(5)) == sorted([NUMBER, *OTHERS])
    refused = result.results[2]
    assert (refused.accepted, refused.code, refused.reason) == (False, "1", "Invalid recipient")
    ids = {r.message_id for r in result.accepted}
    assert ids == {m.message_id for m in fake.sent}
    assert len(ids) == 4


@pytest.mark.parametrize("error_as_string", [True, False])
async def test_application_error_rejects_with_the_note(
    serve: Any, session: aiohttp.ClientSession, error_as_string: bool
) -> None:
    fake = SmsMobileApiFake(error_as_string=error_as_string)
    gateway = SmsMobileApiGateway(session, fake.credentials, url=await serve(fake))
    fake.set_fault(Fault.CODE, code="2")
    result = await gateway.async_send([NUMBER], "hi")
    (rejected,) = result.rejected
    assert rejected.code == "2"
    assert rejected.reason == "No mobile connected to this API key"
    assert fake.sent == []


async def test_http_400_is_a_refusal(fake: SmsMobileApiFake, gateway: SmsMobileApiGateway) -> None:
    fake.set_fault(Fault.CODE, code="400")
    result = await gateway.async_send([NUMBER], "hi")
    (rejected,) = result.rejected
    assert (rejected.code, rejected.reason) == ("400", "Missing or invalid parameter")


async def test_refusal_reasons_never_echo_the_key(
    serve: Any, session: aiohttp.ClientSession
) -> None:
    gateway = await raw_gateway(
        serve, session, 400, {"error": "400", "message": f"Bad key {DEFAULT_API_KEY}!"}
    )
    result = await gateway.async_send([NUMBER], "hi")
    assert DEFAULT_API_KEY not in (result.rejected[0].reason or "")
    with pytest.raises(ProtocolError) as err:
        await gateway.async_poll_inbound(None)
    assert_no_secret(err.value)


@pytest.mark.parametrize(
    ("fault", "code", "error"),
    [
        (Fault.AUTH, None, AuthError),
        (Fault.CODE, "403", AuthError),
        (Fault.CODE, "429", TemporaryError),
        (Fault.HTTP_500, None, TemporaryError),
        (Fault.HANG, None, TemporaryError),
        (Fault.DROP, None, TemporaryError),
        (Fault.MALFORMED, None, ProtocolError),
    ],
)
async def test_send_failures_raise(
    fake: SmsMobileApiFake,
    gateway: SmsMobileApiGateway,
    fault: Fault,
    code: str | None,
    error: type[GatewayError],
) -> None:
    fake.set_fault(fault, code=code)
    with pytest.raises(error) as err:
        await gateway.async_send([NUMBER], "hi")
    assert_no_secret(err.value)
    assert len(fake.state.requests) == 1  # never repeated


async def test_429_carries_retry_after(
    fake: SmsMobileApiFake, gateway: SmsMobileApiGateway
) -> None:
    fake.set_fault(Fault.CODE, code="429")
    with pytest.raises(TemporaryError) as err:
        await gateway.async_poll_inbound(None)
    assert (err.value.code, err.value.retry_after) == ("429", 30.0)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"result": {"error": 0, "sent": "1", "id": "G1"}}, (True, "G1", None)),
        ({"result": {"error": "0", "sent": "1", "id": 17}}, (True, "17", None)),
        ({"result": {"error": "", "sent": "1"}}, (True, None, None)),
        ({"result": {"error": 5, "note": "Quota"}}, (False, None, "5")),
        ({"result": {"error": "5", "note": "Quota"}}, (False, None, "5")),
        ({"result": {"error": "E_BUSY"}}, (False, None, "E_BUSY")),
        ({"result": {"error": {"code": 5}, "id": "G2"}}, (False, None, "unknown")),
    ],
)
async def test_send_answer_types_are_normalised(
    serve: Any,
    session: aiohttp.ClientSession,
    answer: dict[str, Any],
    expected: tuple[bool, str | None, str | None],
) -> None:
    gateway = await raw_gateway(serve, session, 200, answer)
    (result,) = (await gateway.async_send([NUMBER], "hi")).results
    assert (result.accepted, result.message_id, result.code) == expected
    if not result.accepted:
        assert result.reason


@pytest.mark.parametrize(
    "body", [b"<html>", b"[]", b'{"status": "ok"}', b'{"result": "ok"}', b"{}"]
)
async def test_undocumented_send_answer_is_a_protocol_error(
    serve: Any, session: aiohttp.ClientSession, body: bytes
) -> None:
    gateway = await raw_gateway(serve, session, 200, body)
    with pytest.raises(ProtocolError):
        await gateway.async_send([NUMBER], "hi")


# -- inbound polling -------------------------------------------------------------------------


async def test_poll_inbound_reads_the_phones_sms(
    fake: SmsMobileApiFake, gateway: SmsMobileApiGateway
) -> None:
    first = fake.queue_inbound("+15550001111", "first", received_at=T0)
    second = fake.queue_inbound("+15550002222", "¿segundo? 👋", received_at=T0 + 600)
    messages = await gateway.async_poll_inbound(None)
    assert "after_timestamp_unix" not in fake.state.requests[0].query
    by_id = {m.message_id: m for m in messages}
    assert set(by_id) == {first, second}
    assert by_id[second].sender == "+15550002222"
    assert by_id[second].text == "¿segundo? 👋"
    assert by_id[second].received_at == datetime.fromtimestamp(T0 + 600, UTC)
    assert by_id[second].received_at.tzinfo is not None


async def test_poll_inbound_since_loses_nothing(
    fake: SmsMobileApiFake, gateway: SmsMobileApiGateway
) -> None:
    fake.queue_inbound("+15550001111", "long ago", received_at=T0 - LATE_UPLOAD_SECONDS)
    before_cursor = fake.queue_inbound("+15550001111", "old", received_at=T0 - 60)
    at_cursor = fake.queue_inbound("+15550002222", "same second", received_at=T0)
    later = fake.queue_inbound("+15550003333", "later", received_at=T0 + 1)
    since = datetime.fromtimestamp(T0 + 0.4, UTC)
    messages = await gateway.async_poll_inbound(since)
    assert fake.state.requests[0].query["after_timestamp_unix"] == str(T0 - 900)
    # The window reaches back 15 minutes: the caller drops what it has seen by id.
    assert {m.message_id for m in messages} == {before_cursor, at_cursor, later}


async def test_poll_inbound_skips_unreadable_rows(
    serve: Any, session: aiohttp.ClientSession
) -> None:
    good = {"id": 1, "timestamp_unix": T0, "message": "hi", "number": NUMBER, "guid": "G-1"}
    no_guid = {"id": 7, "timestamp_unix": str(T0), "message": "hey", "number": NUMBER}
    anonymous = {"time_received": "2025-01-20 10:14:50", "message": "yo", "number": NUMBER}
    rows = [
        good,
        no_guid,
        anonymous,
        {**good, "number": ""},
        {**good, "message": None},
        {**good, "timestamp_unix": "yesterday"},
        "not a row",
        None,
    ]
    gateway = await raw_gateway(serve, session, 200, {"result": {"error": "", "sms": rows}})
    messages = await gateway.async_poll_inbound(None)
    assert [m.message_id for m in messages[:2]] == ["G-1", "7"]
    assert messages[2].message_id.startswith("fp:")
    assert messages[2].received_at == datetime(2025, 1, 20, 10, 14, 50, tzinfo=UTC)
    # The fingerprint is stable: the same message polled again has the same id.
    assert (await gateway.async_poll_inbound(None))[2].message_id == messages[2].message_id
    assert len(messages) == 3


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (200, b"<br /><b>Warning</b>", ProtocolError),
        (200, [], ProtocolError),
        (200, {"sms": []}, ProtocolError),
        (200, {"result": {"error": 0, "sms": "none"}}, ProtocolError),
        (200, {"result": {"error": "9", "note": "Phone offline"}}, RefusedError),
        (400, {"error": 400, "message": "after_timestamp_unix invalid"}, ProtocolError),
        (403, {"error": 403, "message": "Invalid API key"}, AuthError),
        (401, b"", AuthError),
        (404, b"Not found", ProtocolError),
    ],
)
async def test_poll_inbound_errors(
    serve: Any, session: aiohttp.ClientSession, status: int, body: Any, error: type[Exception]
) -> None:
    gateway = await raw_gateway(serve, session, status, body)
    with pytest.raises(error) as err:
        await gateway.async_poll_inbound(None)
    assert_no_secret(err.value)


async def test_poll_inbound_empty_answer(serve: Any, session: aiohttp.ClientSession) -> None:
    gateway = await raw_gateway(serve, session, 200, {"result": {"error": 0}})
    assert await gateway.async_poll_inbound(None) == []


@pytest.mark.parametrize("fault", [Fault.HANG, Fault.HTTP_500, Fault.DROP])
async def test_poll_transport_failures(
    fake: SmsMobileApiFake, gateway: SmsMobileApiGateway, fault: Fault
) -> None:
    fake.set_fault(fault)
    with pytest.raises(TemporaryError) as err:
        await gateway.async_poll_inbound(None)
    assert_no_secret(err.value)


async def test_same_message_has_one_id_by_poll_and_by_webhook(
    fake: SmsMobileApiFake, gateway: SmsMobileApiGateway
) -> None:
    guid = fake.queue_inbound(NUMBER, "ping", received_at=T0)
    (polled,) = await gateway.async_poll_inbound(None)
    body = legacy_push_body(NUMBER, "ping", guid=guid)
    pushed = offline(None).parse_webhook(body, {}).messages[0]
    body, headers = signed_push(
        "sms.received",
        {"guid": guid, "from": NUMBER, "message": "ping", "received_at": "2025-09-09T10:00:00Z"},
        DEFAULT_WEBHOOK_SECRET,
        T0,
    )
    signed = offline().parse_webhook(body, headers, now=T0).messages[0]
    assert polled.message_id == pushed.message_id == signed.message_id == guid


# -- delivery reports ------------------------------------------------------------------------


async def test_poll_reports_maps_the_sent_log(
    fake: SmsMobileApiFake, gateway: SmsMobileApiGateway
) -> None:
    result = await gateway.async_send([NUMBER, *OTHERS], "status check")
    ids = [r.message_id or "" for r in result.results]
    assert all(ids)
    fake.queue_report(ids[0], status="delivered")
    fake.queue_report(ids[1], status="failed", reason="Generic failure")
    fake.queue_report(ids[2], status="rejected")
    fake.queue_report(ids[3], status="sent")
    # ids[4] stays pending; an id we did not ask about is not reported.
    fake.queue_report("SOMEONE-ELSES", recipient="+15559999999", status="delivered")
    reports = {r.message_id: r for r in await gateway.async_poll_reports(ids)}
    assert {k: v.status for k, v in reports.items()} == {
        ids[0]: DeliveryStatus.DELIVERED,
        ids[1]: DeliveryStatus.FAILED,
        ids[2]: DeliveryStatus.REJECTED,
        ids[3]: DeliveryStatus.SENT,
        ids[4]: DeliveryStatus.PENDING,
    }
    assert reports[ids[1]].reason == "Generic failure"
    assert reports[ids[0]].recipient == NUMBER
    occurred_at = reports[ids[0]].occurred_at
    assert occurred_at is not None
    assert occurred_at.tzinfo is not None
    request = fake.state.requests[-1]
    assert (request.method, request.path) == ("GET", "/log/sent/sms/")
    assert request.query["apikey"] == DEFAULT_API_KEY


async def test_poll_reports_without_ids_asks_nothing(
    fake: SmsMobileApiFake, gateway: SmsMobileApiGateway
) -> None:
    assert await gateway.async_poll_reports([]) == []
    assert fake.state.requests == []


async def test_poll_reports_is_lenient_about_rows(
    serve: Any, session: aiohttp.ClientSession
) -> None:
    rows = [
        {"guid": "A", "number": NUMBER, "send_from_mobile": "1", "send_from_mobile_erreur": ""},
        {"guid": "B", "error_mobile": "0", "send_from_mobile_erreur": "No signal"},
        {"guid": "C", "recipients": NUMBER, "status": "Delivered", "timestamp_unix": T0},
        {"guid": "D", "recipients": NUMBER, "status": "teleported"},
        {"guid": "E", "recipients": NUMBER, "error_api": 1},
        {"recipients": NUMBER, "status": "delivered"},
        {"guid": "C", "recipients": NUMBER, "status": "pending"},  # older row of C
        "junk",
    ]
    gateway = await raw_gateway(serve, session, 200, {"result": {"error": 0, "sms": rows}})
    reports = {r.message_id: r for r in await gateway.async_poll_reports(list("ABCDEF"))}
    assert {k: v.status for k, v in reports.items()} == {
        "A": DeliveryStatus.SENT,
        # A phone error without a time: the phone may still be retrying it.
        "B": DeliveryStatus.PENDING,
        "C": DeliveryStatus.DELIVERED,
        "E": DeliveryStatus.REJECTED,
    }
    assert (reports["B"].reason, reports["B"].settled) == ("No signal", False)
    assert reports["C"].occurred_at == datetime.fromtimestamp(T0, UTC)


@pytest.mark.parametrize(
    ("status", "body", "outcome"),
    [
        (200, {"result": {"error": "1", "note": "No SMS"}}, []),
        (200, {"result": {"error": 0, "sms": {"guid": "A"}}}, ProtocolError),
        (200, b"<html>", ProtocolError),
        (200, {"error": 0}, ProtocolError),
        (403, {"error": 403, "message": "Invalid API key"}, AuthError),
        (400, {"error": 400, "message": "bad"}, ProtocolError),
    ],
)
async def test_poll_reports_answers(
    serve: Any, session: aiohttp.ClientSession, status: int, body: Any, outcome: Any
) -> None:
    gateway = await raw_gateway(serve, session, status, body)
    if isinstance(outcome, list):
        assert await gateway.async_poll_reports(["A"]) == outcome
        return
    with pytest.raises(outcome):
        await gateway.async_poll_reports(["A"])


# -- webhook ---------------------------------------------------------------------------------

RECEIVED = {
    "guid": "SMS-GUID-1001",
    "from": "+15551234567",
    "message": "Can you call me back?",
    "received_at": "2026-09-23T12:00:00Z",
    "alias": "Taylor",
}


def test_documented_push_without_secret() -> None:
    body = (
        b'{"date": "2025-01-20", "hour": "10:15:00", "time_received": "2025-01-20 10:14:50",'
        b' "message": "Hello, this is a test.", "number": "+123456789", "guid": "abcde12345"}'
    )
    payload = offline(None).parse_webhook(body, {"Content-Type": "application/json"})
    (message,) = payload.messages
    assert message.message_id == "abcde12345"
    assert message.sender == "+123456789"
    assert message.text == "Hello, this is a test."
    assert message.received_at == datetime(2025, 1, 20, 10, 14, 50, tzinfo=UTC)
    assert payload.reports == ()


def test_documented_push_falls_back_to_date_and_hour() -> None:
    body = json.dumps(
        {"date": "2025-01-20", "hour": "10:15:00", "message": "hi", "number": "+123456789"}
    ).encode()
    (message,) = offline(None).parse_webhook(body, {}).messages
    assert message.received_at == datetime(2025, 1, 20, 10, 15, tzinfo=UTC)
    assert message.message_id.startswith("fp:")


def test_signed_envelope_sms_received() -> None:
    body, headers = signed_push("sms.received", RECEIVED, DEFAULT_WEBHOOK_SECRET, T0)
    payload = offline().parse_webhook(body, headers, now=T0 + 10)
    assert payload.event_id == json.loads(body)["id"]
    (message,) = payload.messages
    assert (message.message_id, message.sender, message.text) == (
        "SMS-GUID-1001",
        "+15551234567",
        "Can you call me back?",
    )
    assert message.received_at == datetime(2026, 9, 23, 12, tzinfo=UTC)


def test_signed_documented_push_accepted_with_secret() -> None:
    body = legacy_push_body(NUMBER, "hi", guid="G-9")
    headers = signature_headers(body, DEFAULT_WEBHOOK_SECRET, T0)
    assert offline().parse_webhook(body, headers, now=T0).messages[0].message_id == "G-9"


@pytest.mark.parametrize(
    ("event", "data", "status", "recipient", "reason"),
    [
        ("sms.sent", {"guid": "G1", "to": NUMBER}, DeliveryStatus.SENT, NUMBER, None),
        (
            "sms.failed",
            {"guid": "G2", "number": NUMBER, "reason": "RESULT_ERROR_NO_SERVICE"},
            DeliveryStatus.FAILED,
            NUMBER,
            "RESULT_ERROR_NO_SERVICE",
        ),
        (
            "sms.failed",
            {"message_id": "G3", "recipient": NUMBER, "error": "blocked"},
            DeliveryStatus.FAILED,
            NUMBER,
            "blocked",
        ),
        ("whatsapp.sent", {"id": "G4"}, DeliveryStatus.SENT, "", None),
    ],
)
def test_signed_envelope_reports(
    event: str, data: dict[str, Any], status: DeliveryStatus, recipient: str, reason: str | None
) -> None:
    body, headers = signed_push(event, data, DEFAULT_WEBHOOK_SECRET, T0)
    payload = offline().parse_webhook(body, headers, now=T0)
    (report,) = payload.reports
    assert (report.status, report.recipient, report.reason) == (status, recipient, reason)
    assert report.message_id == data.get("guid", data.get("message_id", data.get("id")))
    assert report.occurred_at == datetime.fromtimestamp(T0, UTC)
    assert payload.messages == ()


def test_header_names_are_case_insensitive() -> None:
    body, headers = signed_push("sms.received", RECEIVED, DEFAULT_WEBHOOK_SECRET, T0)
    for transform in (str.lower, str.upper):
        changed = {transform(k): v for k, v in headers.items()}
        assert offline().parse_webhook(body, changed, now=T0).messages


def test_rotated_secrets_any_signature_matches() -> None:
    body, headers = signed_push("sms.received", RECEIVED, DEFAULT_WEBHOOK_SECRET, T0)
    good = headers["X-SMSMobileAPI-Signature"]
    headers["X-SMSMobileAPI-Signature"] = f"v1={'0' * 64}, {good}"
    assert offline().parse_webhook(body, headers, now=T0).messages


def _tampered() -> tuple[bytes, dict[str, str]]:
    body, headers = signed_push("sms.received", RECEIVED, DEFAULT_WEBHOOK_SECRET, T0)
    return body.replace(b"call me back", b"wire me cash"), headers


def _wrong_secret() -> tuple[bytes, dict[str, str]]:
    return signed_push("sms.received", RECEIVED, "not-the-secret", T0)


def _unsigned_envelope() -> tuple[bytes, dict[str, str]]:
    return signed_push("sms.received", RECEIVED, None, T0)


def _unsigned_legacy() -> tuple[bytes, dict[str, str]]:
    return legacy_push_body(NUMBER, "hi", guid="G"), {}


def _no_timestamp() -> tuple[bytes, dict[str, str]]:
    body, headers = signed_push("sms.received", RECEIVED, DEFAULT_WEBHOOK_SECRET, T0)
    del headers["X-SMSMobileAPI-Timestamp"]
    return body, headers


def _bad_scheme() -> tuple[bytes, dict[str, str]]:
    body, headers = signed_push("sms.received", RECEIVED, DEFAULT_WEBHOOK_SECRET, T0)
    headers["X-SMSMobileAPI-Signature"] = headers["X-SMSMobileAPI-Signature"][3:]
    return body, headers


def _other_timestamp() -> tuple[bytes, dict[str, str]]:
    # A valid signature replayed with another timestamp header.
    body, headers = signed_push("sms.received", RECEIVED, DEFAULT_WEBHOOK_SECRET, T0)
    headers["X-SMSMobileAPI-Timestamp"] = str(T0 + 1)
    return body, headers


@pytest.mark.parametrize(
    "build",
    [
        _tampered,
        _wrong_secret,
        _unsigned_envelope,
        _unsigned_legacy,
        _no_timestamp,
        _bad_scheme,
        _other_timestamp,
    ],
)
def test_bad_signatures_are_rejected(build: Any) -> None:
    body, headers = build()
    with pytest.raises(SignatureError) as err:
        offline().parse_webhook(body, headers, now=T0)
    assert_no_secret(err.value)


@pytest.mark.parametrize(
    ("skew", "fresh"), [(300, True), (-300, True), (301, False), (-301, False)]
)
def test_signature_expires_after_300_seconds_either_way(skew: int, fresh: bool) -> None:
    body, headers = signed_push("sms.received", RECEIVED, DEFAULT_WEBHOOK_SECRET, T0)
    if fresh:
        assert offline().parse_webhook(body, headers, now=T0 + skew).messages
        return
    with pytest.raises(SignatureError, match="stale"):
        offline().parse_webhook(body, headers, now=T0 + skew)


def test_without_secret_signed_and_unsigned_pushes_are_accepted() -> None:
    gateway = offline(None)
    body, headers = signed_push("sms.received", RECEIVED, "whatever-they-signed-with", T0)
    assert gateway.parse_webhook(body, headers, now=T0 + 10_000).messages
    body, headers = signed_push("sms.received", RECEIVED, None, T0)
    assert gateway.parse_webhook(body, headers).messages


def test_empty_secret_means_no_secret() -> None:
    body = legacy_push_body(NUMBER, "hi", guid="G")
    assert offline("").parse_webhook(body, {}).messages


def test_documented_but_irrelevant_events_are_accepted_empty() -> None:
    body, headers = signed_push(
        "call.missed", {"number": NUMBER}, DEFAULT_WEBHOOK_SECRET, T0, event_id="evt-1"
    )
    payload = offline().parse_webhook(body, headers, now=T0)
    assert (payload.messages, payload.reports, payload.event_id) == ((), (), "evt-1")


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"\xff\xfe",
        b"[]",
        b'"text"',
        b'{"message": "hi", "guid": "G", "time_received": "2025-01-20 10:14:50"}',
        b'{"number": "+1555", "guid": "G", "time_received": "2025-01-20 10:14:50"}',
        b'{"number": "+1555", "message": "", "time_received": "2025-01-20 10:14:50"}',
        b'{"number": "+1555", "message": "hi"}',
        b'{"id": "e", "type": "sms.teleported", "data": {}}',
        b'{"id": "e", "type": "sms.received", "data": {"from": "+1", "message": ""}}',
        b'{"id": "e", "type": "sms.received", "data": {"message": "hi"}}',
        b'{"id": "e", "type": "sms.received", "data": "x"}',
        b'{"type": "sms.sent", "data": {"guid": "G"}}',
        b'{"id": "e", "type": "sms.sent", "data": {"to": "+1"}}',
    ],
)
def test_invalid_payloads(body: bytes) -> None:
    with pytest.raises(PayloadError):
        offline(None).parse_webhook(body, {})


# -- the fake's OAuth2 alternative (the simulator offers it) ---------------------------------


async def test_fake_oauth2_token_authorises_sendsms(
    fake: SmsMobileApiFake, serve: Any, session: aiohttp.ClientSession
) -> None:
    url = await serve(fake)
    credentials = {
        "grant_type": "client_credentials",
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
    }
    async with session.post(f"{url}/oauth2/token", data=credentials) as resp:
        token = await resp.json()
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] > 0
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    data = {"recipients": NUMBER, "message": "via oauth"}
    async with session.post(f"{url}/sendsms", data=data, headers=headers) as resp:
        assert (await resp.json())["result"]["sent"] == "1"
    assert fake.sent[0].options["auth"] == "bearer"
    async with session.post(
        f"{url}/oauth2/token", data={**credentials, "client_secret": "nope"}
    ) as resp:
        assert resp.status == 401
    async with session.post(
        f"{url}/sendsms/", data=data, headers={"Authorization": "Bearer forged"}
    ) as resp:
        assert resp.status == 403
        assert await resp.json() == {"error": 403, "message": "Invalid API key"}


# -- property tests: nothing but GatewayError ever comes out ---------------------------------

# fmt: off
FIELDS = [
    "result", "error", "sms", "id", "guid", "number", "message", "note", "status", "timestamp_unix",
    "time_received", "type", "data", "from", "to", "received_at", "error_api", "error_mobile",
    "send_from_mobile", "list", "date", "hour",
]
# fmt: on
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), children, max_size=6)
    ),
    max_leaves=20,
)
envelope_types = st.sampled_from(
    ["sms.received", "sms.sent", "sms.failed", "whatsapp.failed", "call.missed", "x"]
)


@settings(max_examples=200, deadline=None)
@given(
    body=st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode()),
    headers=st.dictionaries(
        st.sampled_from(["X-SMSMobileAPI-Signature", "x-smsmobileapi-timestamp", "Other"]),
        st.text(max_size=80),
    ),
    secret=st.sampled_from([None, "", DEFAULT_WEBHOOK_SECRET]),
)
def test_parse_webhook_only_raises_payload_errors(
    body: bytes, headers: dict[str, str], secret: str | None
) -> None:
    try:
        offline(secret).parse_webhook(body, headers, now=T0)
    except PayloadError:
        pass


@settings(max_examples=200, deadline=None)
@given(event=envelope_types, data=json_values, legacy=json_values, skew=st.integers(-400, 400))
def test_signed_pushes_of_any_content(event: str, data: Any, legacy: Any, skew: int) -> None:
    body, headers = signed_push(event, data, DEFAULT_WEBHOOK_SECRET, T0)
    for raw in (body, json.dumps(legacy).encode()):
        signed = {**headers, **signature_headers(raw, DEFAULT_WEBHOOK_SECRET, T0)}
        try:
            payload = offline().parse_webhook(raw, signed, now=T0 + skew)
        except PayloadError:
            continue
        assert abs(skew) <= 300
        for message in payload.messages:
            assert message.sender
            assert message.text
            assert message.received_at.tzinfo is not None


@settings(max_examples=200, deadline=None)
@given(
    status=st.sampled_from([200, 200, 200, 400, 401, 403, 404]),
    body=st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()),
    wrapped=json_values,
)
def test_answer_parsers_only_raise_gateway_errors(status: int, body: bytes, wrapped: Any) -> None:
    gateway = offline()
    for raw in (body, json.dumps({"result": wrapped}).encode()):
        answer = HttpAnswer(status, raw)
        for parse in (
            lambda a: gateway._send_result(a, NUMBER),
            gateway._received_sms,
            lambda a: gateway._reports(a, {"A", "G1", "1"}),
        ):
            try:
                parse(answer)
            except GatewayError as err:
                assert_no_secret(err)


# -- credentials check: an empty inbox is not a refusal --------------------------------------


@pytest.mark.parametrize("empty_inbox", ["list", "null", "missing"])
async def test_validate_accepts_an_empty_inbox(
    serve: Any, session: aiohttp.ClientSession, empty_inbox: str
) -> None:
    fake = SmsMobileApiFake()
    fake.empty_inbox = empty_inbox
    gateway = SmsMobileApiGateway(session, fake.credentials, url=await serve(fake))
    account = await gateway.async_validate()
    assert account.account_id == ACCOUNT_ID
    assert fake.state.requests[0].path == "/getsms/"


@pytest.mark.parametrize(
    "body",
    [
        {"result": {"error": 0, "sms": []}},
        {"result": {"error": "0", "sms": None}},
        {"result": {"error": ""}},
        {"result": {"error": "1", "note": "No SMS found"}},
        {"result": {"error": 0, "sms": False}},
        {"result": {"error": 0, "sms": {"unexpected": "shape"}}},
    ],
)
async def test_validate_any_result_proves_the_key(
    serve: Any, session: aiohttp.ClientSession, body: dict[str, Any]
) -> None:
    gateway = await raw_gateway(serve, session, 200, body)
    assert (await gateway.async_validate()).name == "SMSMobileAPI"


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (200, {"result": {"error": "1", "note": "Invalid API key"}}, AuthError),
        (403, {"error": 403, "message": "Invalid API key"}, AuthError),
        (401, b"", AuthError),
        (200, {"error": 0}, ProtocolError),
        (200, b"<html>", ProtocolError),
    ],
)
async def test_validate_refusals(
    serve: Any, session: aiohttp.ClientSession, status: int, body: Any, error: type[Exception]
) -> None:
    gateway = await raw_gateway(serve, session, status, body)
    with pytest.raises(error) as err:
        await gateway.async_validate()
    assert_no_secret(err.value)


# -- `result.sent` -------------------------------------------------------------------------------


async def test_sent_zero_is_not_an_accepted_send(
    fake: SmsMobileApiFake, gateway: SmsMobileApiGateway
) -> None:
    fake.unsent_numbers.add(OTHERS[0])
    result = await gateway.async_send([NUMBER, OTHERS[0]], "hi")
    accepted, unsent = result.results
    assert accepted.accepted
    assert (unsent.accepted, unsent.message_id) == (False, None)
    assert unsent.reason == "the message was not sent (sent=0)"


@pytest.mark.parametrize(
    ("sent", "accepted"),
    [("1", True), (1, True), (True, True), ("0", False), (0, False), (" 0 ", False)],
)
async def test_sent_flag_types_are_normalised(
    serve: Any, session: aiohttp.ClientSession, sent: Any, accepted: bool
) -> None:
    answer = {"result": {"error": 0, "sent": sent, "id": "G1", "note": "Phone offline"}}
    gateway = await raw_gateway(serve, session, 200, answer)
    (result,) = (await gateway.async_send([NUMBER], "hi")).results
    assert result.accepted is accepted
    if not accepted:
        assert (result.reason, result.message_id) == ("Phone offline", None)


# -- delivery status: one lookup per id, bounded -----------------------------------------------


async def test_poll_reports_looks_each_id_up_beyond_the_first_page(
    fake: SmsMobileApiFake, gateway: SmsMobileApiGateway
) -> None:
    old = (await gateway.async_send([NUMBER], "oldest")).results[0].message_id or ""
    fake.log[old].timestamp_unix -= 3600
    for i in range(LOG_PAGE_SIZE + 5):
        await gateway.async_send([NUMBER], f"newer {i}")
    fake.queue_report(old, status="delivered")
    # The unfiltered log's first page does not reach the oldest send.
    first_page = fake.log.values()
    assert (
        old
        not in [r.guid for r in sorted(first_page, key=lambda r: -r.timestamp_unix)][:LOG_PAGE_SIZE]
    )
    before = len(fake.state.requests)
    (report,) = await gateway.async_poll_reports([old])
    assert (report.message_id, report.status) == (old, DeliveryStatus.DELIVERED)
    (request,) = fake.state.requests[before:]
    assert (request.path, request.query["guid_message"]) == ("/log/sent/sms/", old)


async def test_fake_log_is_paged_with_before(
    fake: SmsMobileApiFake, serve: Any, session: aiohttp.ClientSession
) -> None:
    url = await serve(fake)
    gateway = SmsMobileApiGateway(session, fake.credentials, url=url)
    numbers = [f"+1555123{i:04d}" for i in range(LOG_PAGE_SIZE + 3)]
    await gateway.async_send(numbers, "x")
    query = {"apikey": DEFAULT_API_KEY}
    async with session.get(f"{url}/log/sent/sms/", params=query) as resp:
        first = (await resp.json())["result"]["sms"]
    assert len(first) == LOG_PAGE_SIZE
    before = {**query, "before": first[-1]["guid"]}
    async with session.get(f"{url}/log/sent/sms/", params=before) as resp:
        rest = (await resp.json())["result"]["sms"]
    assert len(rest) == 3
    assert {r["guid"] for r in first} | {r["guid"] for r in rest} == set(fake.log)


async def test_poll_reports_unknown_id_is_no_news(
    fake: SmsMobileApiFake, gateway: SmsMobileApiGateway
) -> None:
    assert await gateway.async_poll_reports(["NOT-LOGGED-YET"]) == []


async def test_poll_reports_is_bounded_and_takes_ids_in_turn(
    fake: SmsMobileApiFake, gateway: SmsMobileApiGateway
) -> None:
    numbers = [f"+1555123{i:04d}" for i in range(25)]
    ids = [r.message_id or "" for r in (await gateway.async_send(numbers, "x")).results]
    assert len(ids) == 25
    asked: list[list[str]] = []
    for _ in range(3):
        before = len(fake.state.requests)
        reports = await gateway.async_poll_reports(ids)
        batch = [r.query["guid_message"] for r in fake.state.requests[before:]]
        assert len(batch) <= REPORT_LOOKUPS_PER_POLL
        assert {r.message_id for r in reports} == set(batch)
        asked.append(batch)
    # Oldest first, and every id within ceil(25 / 10) polls.
    assert sorted(asked[0], key=ids.index) == ids[:REPORT_LOOKUPS_PER_POLL]
    assert sorted(id_ for batch in asked for id_ in batch) == sorted(ids)
    # A new round starts with the oldest again.
    before = len(fake.state.requests)
    await gateway.async_poll_reports(ids)
    assert {r.query["guid_message"] for r in fake.state.requests[before:]} == set(
        ids[:REPORT_LOOKUPS_PER_POLL]
    )


async def test_poll_reports_one_failed_lookup_keeps_the_others(
    fake: SmsMobileApiFake, gateway: SmsMobileApiGateway
) -> None:
    ids = [
        (await gateway.async_send([number], "x")).results[0].message_id or ""
        for number in (NUMBER, *OTHERS[:2])
    ]
    fake.set_fault(Fault.HTTP_500, count=1)
    reports = await gateway.async_poll_reports(ids)
    assert len(reports) == 2
    fake.set_fault(Fault.AUTH)
    with pytest.raises(AuthError):
        await gateway.async_poll_reports(ids)
    fake.set_fault(Fault.HTTP_500)
    with pytest.raises(TemporaryError):
        await gateway.async_poll_reports(ids)


# -- carrier errors are retried by the phone -----------------------------------------------------


async def test_carrier_error_is_not_final_until_the_retries_are_over(
    fake: SmsMobileApiFake, gateway: SmsMobileApiGateway
) -> None:
    message_id = (await gateway.async_send([NUMBER], "hi")).results[0].message_id or ""
    for _attempt in range(1 + CARRIER_RETRIES - 1):
        fake.carrier_error(message_id, "RESULT_ERROR_NO_SERVICE")
        (report,) = await gateway.async_poll_reports([message_id])
        assert (report.status, report.reason) == (
            DeliveryStatus.PENDING,
            "RESULT_ERROR_NO_SERVICE",
        )
        assert report.final is False
        assert not report.settled
    # The failure after the third retry is final.
    fake.carrier_error(message_id, "RESULT_ERROR_NO_SERVICE")
    (report,) = await gateway.async_poll_reports([message_id])
    assert (report.status, report.reason, report.settled) == (
        DeliveryStatus.FAILED,
        "RESULT_ERROR_NO_SERVICE",
        True,
    )


async def test_carrier_error_then_a_successful_retry(
    fake: SmsMobileApiFake, gateway: SmsMobileApiGateway
) -> None:
    message_id = (await gateway.async_send([NUMBER], "hi")).results[0].message_id or ""
    fake.carrier_error(message_id)
    (report,) = await gateway.async_poll_reports([message_id])
    assert report.status is DeliveryStatus.PENDING
    fake.queue_report(message_id, status="sent")
    (report,) = await gateway.async_poll_reports([message_id])
    assert (report.status, report.reason) == (DeliveryStatus.SENT, None)


async def test_carrier_error_long_ago_is_final(serve: Any, session: aiohttp.ClientSession) -> None:
    # The send was logged long before now: the phone's retries are over.
    fake = SmsMobileApiFake(
        clock=lambda: datetime.now(UTC).timestamp() - CARRIER_RETRY_SECONDS - 60
    )
    gateway = SmsMobileApiGateway(session, fake.credentials, url=await serve(fake))
    message_id = (await gateway.async_send([NUMBER], "hi")).results[0].message_id or ""
    fake.carrier_error(message_id, "RESULT_ERROR_GENERIC_FAILURE")
    (report,) = await gateway.async_poll_reports([message_id])
    assert (report.status, report.settled) == (DeliveryStatus.FAILED, True)


# -- late uploads ------------------------------------------------------------------------------


async def test_message_uploaded_late_is_still_fetched(
    fake: SmsMobileApiFake, gateway: SmsMobileApiGateway
) -> None:
    now = datetime.now(UTC)
    first = fake.queue_inbound(NUMBER, "on time", received_at=now.timestamp() - 30)
    polled = await gateway.async_poll_inbound(now - timedelta(minutes=1))
    assert [m.message_id for m in polled] == [first]
    # The cursor moved on to `now`; the phone wakes up and uploads what it received 10 minutes ago.
    late = fake.queue_late_inbound(OTHERS[0], "woke up late", received_at=now.timestamp() - 600)
    again = await gateway.async_poll_inbound(now)
    by_id = {m.message_id: m for m in again}
    assert late in by_id
    assert by_id[late].received_at == datetime.fromtimestamp(int(now.timestamp()) - 600, UTC)
    # The overlap lists the first one again, under the same id (the caller drops it).
    assert first in by_id


# -- WhatsApp received -------------------------------------------------------------------------

WHATSAPP_RECEIVED = {
    "guid": "WA-GUID-3001",
    "data_id": "WHATSAPP-DATA-ID-3001",
    "from": "+15559876543",
    "contact_name": "Jordan",
    "message": "Is my order ready?",
    "is_voice_message": False,
    "received_at": "2026-09-23T14:20:00Z",
}


def test_whatsapp_received_event_is_a_whatsapp_message() -> None:
    body, headers = signed_push("whatsapp.received", WHATSAPP_RECEIVED, DEFAULT_WEBHOOK_SECRET, T0)
    payload = offline().parse_webhook(body, headers, now=T0 + 5)
    (message,) = payload.messages
    assert (message.message_id, message.sender, message.text, message.channel) == (
        "WA-GUID-3001",
        "+15559876543",
        "Is my order ready?",
        Channel.WHATSAPP,
    )
    assert message.received_at == datetime(2026, 9, 23, 14, 20, tzinfo=UTC)
    assert payload.event_id == json.loads(body)["id"]


def test_sms_received_event_is_an_sms() -> None:
    body, headers = signed_push("sms.received", RECEIVED, DEFAULT_WEBHOOK_SECRET, T0)
    (message,) = offline().parse_webhook(body, headers, now=T0).messages
    assert message.channel is Channel.SMS


@pytest.mark.parametrize("skew", [301, -301])
def test_whatsapp_received_obeys_the_signature_rules(skew: int) -> None:
    body, headers = signed_push("whatsapp.received", WHATSAPP_RECEIVED, DEFAULT_WEBHOOK_SECRET, T0)
    with pytest.raises(SignatureError, match="stale"):
        offline().parse_webhook(body, headers, now=T0 + skew)
    forged = body.replace(b"order ready", b"money ready")
    with pytest.raises(SignatureError):
        offline().parse_webhook(forged, headers, now=T0)


def test_whatsapp_voice_message_without_text_is_acknowledged_empty() -> None:
    data = {**WHATSAPP_RECEIVED, "message": "", "is_voice_message": True}
    body, headers = signed_push("whatsapp.received", data, DEFAULT_WEBHOOK_SECRET, T0)
    payload = offline().parse_webhook(body, headers, now=T0)
    assert (payload.messages, payload.reports) == ((), ())
    assert payload.event_id


def test_whatsapp_received_without_text_is_invalid() -> None:
    data = {**WHATSAPP_RECEIVED, "message": ""}
    body, headers = signed_push("whatsapp.received", data, DEFAULT_WEBHOOK_SECRET, T0)
    with pytest.raises(PayloadError):
        offline().parse_webhook(body, headers, now=T0)


# -- inbound senders in E.164 ------------------------------------------------------------------


async def test_polled_senders_are_e164(
    fake: SmsMobileApiFake, serve: Any, session: aiohttp.ClientSession
) -> None:
    gateway = SmsMobileApiGateway(
        session, fake.credentials, url=await serve(fake), default_region="FR"
    )
    national = fake.queue_inbound("0612345678", "bonjour", received_at=T0)
    named = fake.queue_inbound("AMAZON", "colis", received_at=T0 + 1)
    by_id = {m.message_id: m for m in await gateway.async_poll_inbound(None)}
    assert by_id[national].sender == "+33612345678"
    assert by_id[named].sender == "AMAZON"


def test_pushed_senders_are_e164() -> None:
    gateway = SmsMobileApiGateway(
        None,
        {"api_key": DEFAULT_API_KEY, "webhook_secret": DEFAULT_WEBHOOK_SECRET},
        default_region="FR",
    )
    legacy = legacy_push_body("0612345678", "bonjour", guid="G-1")
    headers = signature_headers(legacy, DEFAULT_WEBHOOK_SECRET, T0)
    assert gateway.parse_webhook(legacy, headers, now=T0).messages[0].sender == "+33612345678"
    for kind, data in (
        ("sms.received", {**RECEIVED, "from": "06 12 34 56 78"}),
        ("whatsapp.received", {**WHATSAPP_RECEIVED, "from": "0612345678"}),
    ):
        body, headers = signed_push(kind, data, DEFAULT_WEBHOOK_SECRET, T0)
        (message,) = gateway.parse_webhook(body, headers, now=T0).messages
        assert message.sender == "+33612345678"
    body, headers = signed_push(
        "sms.received", {**RECEIVED, "from": "BANQUE"}, DEFAULT_WEBHOOK_SECRET, T0
    )
    assert gateway.parse_webhook(body, headers, now=T0).messages[0].sender == "BANQUE"


async def test_sent_in_the_log_is_the_last_word(
    fake: SmsMobileApiFake, gateway: SmsMobileApiGateway
) -> None:
    # No delivered event exists for a phone's SMS: `sent` settles the message, so it is not
    # looked up again and again until the pending list forgets it.
    guid = (await gateway.async_send([NUMBER], "hi")).results[0].message_id or ""
    fake.queue_report(guid, status="sent")
    (report,) = await gateway.async_poll_reports([guid])
    assert report.status is DeliveryStatus.SENT
    assert report.settled
