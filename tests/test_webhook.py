"""Receiving by webhook: every documented payload, and everything that is not one."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from http import HTTPStatus
import json
import random
import time
from typing import Any
from unittest.mock import patch

from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import webhook
from homeassistant.const import EVENT_HOMEASSISTANT_STARTED
from homeassistant.core import CoreState, HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from homeassistant.util.aiohttp import MockRequest
from homeassistant.util.file import WriteError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.sms_gateways.const import (
    DOMAIN,
    EVENT_DELIVERY_REPORT,
    EVENT_MESSAGE_RECEIVED,
)
from tests.common import FakeGateways, json_text, mock_entry, on_disk, setup_entry, tick
from tests.fakes.itniotech import inbound_push_body, report_push_body
from tests.fakes.smsmobileapi import (
    DEFAULT_WEBHOOK_SECRET,
    legacy_push_body,
    signature_headers,
    signed_push,
)

PUSHING = ("itniotech", "smsmobileapi")


class LazyClient:
    """An HTTP client made on first use: after the entry has registered its webhook."""

    def __init__(self, factory: Any) -> None:
        self._factory = factory
        self._client: TestClient | None = None

    async def get(self) -> TestClient:
        if self._client is None:
            self._client = await self._factory()
        return self._client


@pytest.fixture
async def client(hass: HomeAssistant, hass_client_no_auth: Any) -> LazyClient:
    assert await async_setup_component(hass, "http", {})
    return LazyClient(hass_client_no_auth)


async def post(
    lazy: LazyClient, entry: MockConfigEntry, body: Any, headers: dict[str, str] | None = None
) -> int:
    client = await lazy.get()
    response = await client.post(
        f"/api/webhook/{entry.data['webhook_id']}", data=body, headers=headers or {}
    )
    return response.status


def signed(body: bytes, *, secret: str = DEFAULT_WEBHOOK_SECRET, age: int = 0) -> dict[str, str]:
    return signature_headers(body, secret, int(time.time()) - age)


def our_log(caplog: pytest.LogCaptureFixture) -> str:
    """What this integration logged, and what the webhook component logged above debug.

    (Home Assistant's webhook component names the webhook id in its own debug lines.)
    """
    return "\n".join(
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("custom_components.sms_gateways")
        or (record.name.startswith("homeassistant.components.webhook") and record.levelno > 10)
    )


async def test_smsmobileapi_documented_push(
    hass: HomeAssistant, gateways: FakeGateways, client: LazyClient
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "smsmobileapi"))
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    body = legacy_push_body("+15559876543", "HEAT ON", guid="abcde12345")
    assert await post(client, entry, body, signed(body)) == HTTPStatus.OK
    await hass.async_block_till_done()
    (event,) = events
    assert event.data["config_entry_id"] == entry.entry_id
    assert event.data["provider"] == "smsmobileapi"
    assert event.data["sender"] == "+15559876543"
    assert event.data["message"] == "HEAT ON"
    assert event.data["message_id"] == "abcde12345"
    assert event.data["source"] == "webhook"
    assert dt_util.parse_datetime(event.data["received_at"]) is not None
    # Pushed again (at least once delivery): answered, not fired again.
    assert await post(client, entry, body, signed(body)) == HTTPStatus.OK
    await hass.async_block_till_done()
    assert len(events) == 1


async def test_smsmobileapi_signed_envelopes(
    hass: HomeAssistant, gateways: FakeGateways, client: LazyClient
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "smsmobileapi"))
    messages = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    reports = async_capture_events(hass, EVENT_DELIVERY_REPORT)
    now = int(time.time())
    pushes = [
        ("sms.received", {"guid": "G-1", "from": "+15559876543", "message": "hola",
                          "received_at": dt_util.utcnow().isoformat()}),
        ("sms.sent", {"guid": "S-1", "to": "+15551234567"}),
        ("sms.failed", {"guid": "S-1", "to": "+15551234567", "error": "no signal"}),
        # Events the integration has no use for are acknowledged and ignored.
        ("call.missed", {"from": "+15559876543"}),
    ]  # fmt: skip
    for kind, data in pushes:
        body, headers = signed_push(kind, data, DEFAULT_WEBHOOK_SECRET, now)
        assert await post(client, entry, body, headers) == HTTPStatus.OK
    await hass.async_block_till_done()
    assert [e.data["message"] for e in messages] == ["hola"]
    assert [(e.data["message_id"], e.data["status"]) for e in reports] == [
        ("S-1", "sent"),
        ("S-1", "failed"),
    ]
    state = hass.states.get("sensor.smsmobileapi_last_delivery_status")
    assert state.state == "failed"
    # A redelivered envelope (same event id) is answered and dropped.
    body, headers = signed_push(*pushes[0], DEFAULT_WEBHOOK_SECRET, now)
    assert await post(client, entry, body, headers) == HTTPStatus.OK
    await hass.async_block_till_done()
    assert len(messages) == 1


async def test_smsmobileapi_whatsapp_reply_fires_with_its_channel(
    hass: HomeAssistant, gateways: FakeGateways, client: LazyClient
) -> None:
    # A WhatsApp reply relayed by the phone: an inbound message like an SMS, on its own channel
    # (dropped before: WhatsApp replies were lost).
    entry = await setup_entry(
        hass, mock_entry(gateways, "smsmobileapi", recipients={"Ana": "+15559876543"})
    )
    messages = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    data = {
        "guid": "W-1",
        "from": "+15559876543",
        "contact_name": "Ana",
        "message": "sí, ya voy",
        "is_voice_message": False,
        "received_at": dt_util.utcnow().isoformat(),
    }
    body, headers = signed_push("whatsapp.received", data, DEFAULT_WEBHOOK_SECRET, int(time.time()))
    assert await post(client, entry, body, headers) == HTTPStatus.OK
    await hass.async_block_till_done()
    (event,) = messages
    assert (event.data["channel"], event.data["message"], event.data["contact"]) == (
        "whatsapp",
        "sí, ya voy",
        "Ana",
    )


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda body, headers: (body, {}), id="unsigned"),
        pytest.param(lambda body, headers: (body + b" ", headers), id="tampered"),
        pytest.param(lambda body, headers: (body, signed(body, secret="wrong")), id="wrong-secret"),
        pytest.param(lambda body, headers: (body, signed(body, age=301)), id="stale"),
        pytest.param(lambda body, headers: (body, signed(body, age=-301)), id="future"),
        pytest.param(
            lambda body, headers: (body, {**headers, "X-SMSMobileAPI-Timestamp": "soon"}),
            id="bad-timestamp",
        ),
    ],
)
async def test_smsmobileapi_bad_signatures(
    hass: HomeAssistant,
    gateways: FakeGateways,
    client: LazyClient,
    caplog: pytest.LogCaptureFixture,
    mutate: Any,
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "smsmobileapi"))
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    body = legacy_push_body("+15559876543", "OPEN DOOR")
    body, headers = mutate(body, signed(body))
    assert await post(client, entry, body, headers) == HTTPStatus.UNAUTHORIZED
    await hass.async_block_till_done()
    assert events == []
    log = our_log(caplog)
    assert "Refused a push" in log
    for secret in (DEFAULT_WEBHOOK_SECRET, entry.data["webhook_id"], "OPEN DOOR"):
        assert secret not in log


async def test_smsmobileapi_unsigned_without_secret(
    hass: HomeAssistant, gateways: FakeGateways, client: LazyClient
) -> None:
    entry = mock_entry(gateways, "smsmobileapi")
    data = dict(entry.data)
    data.pop("webhook_secret")
    entry = MockConfigEntry(domain=DOMAIN, title=entry.title, unique_id=entry.unique_id, data=data)
    await setup_entry(hass, entry)
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    assert await post(client, entry, legacy_push_body("+15559876543", "hi")) == HTTPStatus.OK
    await hass.async_block_till_done()
    assert len(events) == 1


@pytest.mark.parametrize(
    "style", ["json", "document", "single_quotes", "bare_keys", "trailing_comma"]
)
async def test_itniotech_pushes(
    hass: HomeAssistant, gateways: FakeGateways, client: LazyClient, style: str
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "itniotech"))
    messages = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    reports = async_capture_events(hass, EVENT_DELIVERY_REPORT)
    response = await hass.services.async_call(
        DOMAIN, "send_sms",
        {"config_entry_id": entry.entry_id, "recipients": ["+918563214123"], "message": "hi"},
        blocking=True, return_response=True,
    )  # fmt: skip
    assert response is not None
    (message_id,) = response["message_ids"].values()
    body = report_push_body(message_id, "918563214123", 0, style=style)
    assert await post(client, entry, body) == HTTPStatus.OK
    body = inbound_push_body("918563214199", "HEAT ON", style=style)
    assert await post(client, entry, body) == HTTPStatus.OK
    await hass.async_block_till_done()
    assert [(e.data["message_id"], e.data["status"]) for e in reports] == [
        (message_id, "delivered")
    ]
    assert [(e.data["sender"], e.data["message"]) for e in messages] == [
        ("+918563214199", "HEAT ON")
    ]
    state = hass.states.get("sensor.itniotech_demo_app_last_delivery_status")
    assert state is not None
    assert state.state == "delivered"


async def test_itniotech_pushed_then_polled_fires_once(
    hass: HomeAssistant, gateways: FakeGateways, client: LazyClient
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "itniotech"))
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    gateways["itniotech"].queue_inbound("+918563214199", "both ways")
    assert await post(client, entry, inbound_push_body("918563214199", "both ways")) == 200
    await tick(hass)
    assert [e.data["source"] for e in events] == ["webhook"]


async def test_smsmobileapi_polled_then_pushed_fires_once(
    hass: HomeAssistant, gateways: FakeGateways, client: LazyClient
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "smsmobileapi"))
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    guid = gateways["smsmobileapi"].queue_inbound("+15559876543", "both ways")
    await tick(hass)
    body = legacy_push_body("+15559876543", "both ways", guid=guid)
    assert await post(client, entry, body, signed(body)) == HTTPStatus.OK
    body, headers = signed_push(
        "sms.received",
        {"guid": guid, "from": "+15559876543", "message": "both ways"},
        DEFAULT_WEBHOOK_SECRET,
        int(time.time()),
    )
    assert await post(client, entry, body, headers) == HTTPStatus.OK
    await hass.async_block_till_done()
    assert [e.data["source"] for e in events] == ["poll"]


async def test_redelivered_push_after_restart_fires_once(
    hass: HomeAssistant, gateways: FakeGateways, client: LazyClient
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "smsmobileapi"))
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    body, headers = signed_push(
        "sms.received",
        {"from": "+15559876543", "message": "no guid", "received_at": dt_util.utcnow().isoformat()},
        DEFAULT_WEBHOOK_SECRET,
        int(time.time()),
    )
    assert await post(client, entry, body, headers) == HTTPStatus.OK
    await hass.async_block_till_done()
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert await post(client, entry, body, headers) == HTTPStatus.OK
    await hass.async_block_till_done()
    assert [e.data["message"] for e in events] == ["no guid"]


def _inbound_polls(gateways: FakeGateways, provider: str, since: int = 0) -> int:
    """Requests for received messages (SMSMobileAPI's key check, `onlyunread=no`, is not one)."""
    path = {"itniotech": "recordMo", "smsmobileapi": "/getsms"}[provider]
    return sum(
        1
        for r in gateways[provider].state.requests[since:]
        if path in r.path and "onlyunread" not in r.query
    )


async def _push(
    client: LazyClient, gateways: FakeGateways, entry: MockConfigEntry, provider: str, text: str
) -> int:
    """`text` as the provider delivers it: listed for polling and pushed, the same message."""
    if provider == "itniotech":
        gateways[provider].queue_inbound("+918563214199", text)
        return await post(client, entry, inbound_push_body("918563214199", text))
    guid = gateways[provider].queue_inbound("+15559876543", text)
    body = legacy_push_body("+15559876543", text, guid=guid)
    return await post(client, entry, body, signed(body))


@pytest.mark.parametrize("provider", PUSHING)
async def test_webhook_only_catches_up_what_came_while_not_listening(
    hass: HomeAssistant,
    gateways: FakeGateways,
    client: LazyClient,
    freezer: FrozenDateTimeFactory,
    provider: str,
) -> None:
    """Polling off: pushes while running, one poll at each start for what came while stopped."""
    entry = await setup_entry(hass, mock_entry(gateways, provider, options={"poll_inbound": False}))
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    assert await _push(client, gateways, entry, provider, "pushed") == HTTPStatus.OK
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    # Home Assistant is stopped: the provider's push fails, it only lists the message.
    freezer.tick(timedelta(minutes=10))
    sender = "+918563214199" if provider == "itniotech" else "+15559876543"
    gateways[provider].queue_inbound(sender, "while stopped")
    freezer.tick(timedelta(minutes=10))
    before = len(gateways[provider].state.requests)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    # "pushed" is in the poll's overlap too: it must not fire again.
    assert [(e.data["message"], e.data["source"]) for e in events] == [
        ("pushed", "webhook"),
        ("while stopped", "poll"),
    ]
    assert _inbound_polls(gateways, provider, before) == 1
    # From then on only pushes: polling stays off as the user chose.
    before = len(gateways[provider].state.requests)
    await tick(hass, 61)
    await tick(hass, 122)
    assert _inbound_polls(gateways, provider, before) == 0
    assert await _push(client, gateways, entry, provider, "pushed again") == HTTPStatus.OK
    await hass.async_block_till_done()
    assert [e.data["message"] for e in events][2:] == ["pushed again"]


async def test_webhook_only_new_entry_does_not_fetch_the_past(
    hass: HomeAssistant, gateways: FakeGateways, client: LazyClient
) -> None:
    gateways["smsmobileapi"].queue_inbound(
        "+15559876543", "last week", received_at=dt_util.utcnow().timestamp() - 7 * 86400
    )
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    await setup_entry(hass, mock_entry(gateways, "smsmobileapi", options={"poll_inbound": False}))
    assert events == []


async def test_push_while_starting_waits_until_started(
    hass: HomeAssistant, gateways: FakeGateways, client: LazyClient
) -> None:
    hass.set_state(CoreState.starting)
    entry = await setup_entry(hass, mock_entry(gateways, "itniotech"))
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    assert await post(client, entry, inbound_push_body("918563214199", "early")) == HTTPStatus.OK
    await hass.async_block_till_done()
    assert events == []
    hass.set_state(CoreState.running)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    await hass.async_block_till_done()
    assert [e.data["message"] for e in events] == ["early"]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"not json", id="not-json"),
        pytest.param(b"", id="empty"),
        pytest.param(b"[]", id="array"),
        pytest.param(b"null", id="null"),
        pytest.param(b'"text"', id="string"),
        pytest.param(b'{"message": 5, "number": []}', id="wrong-types"),
        pytest.param(b'{"number": "+15559876543"}', id="no-message"),
        pytest.param(b'{"unexpected": true}', id="unknown-fields"),
        pytest.param(json.dumps({"mobile": "1", "content": ["x"]}).encode(), id="content-list"),
        pytest.param(json.dumps({"msgid": {"a": 1}, "status": "x"}).encode(), id="report-types"),
        pytest.param(b"[" * 5000 + b"]" * 5000, id="deep-nesting"),
        pytest.param(b"\xff\xfe\x00garbage", id="not-utf8"),
    ],
)
@pytest.mark.parametrize("provider", PUSHING)
async def test_invalid_payloads(
    hass: HomeAssistant, gateways: FakeGateways, client: LazyClient, provider: str, body: bytes
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, provider))
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    reports = async_capture_events(hass, EVENT_DELIVERY_REPORT)
    headers = signed(body) if provider == "smsmobileapi" else {}
    assert await post(client, entry, body, headers) == HTTPStatus.BAD_REQUEST
    await hass.async_block_till_done()
    assert events == reports == []


def _junk(rng: random.Random, depth: int = 0) -> Any:
    """A random JSON value, biased towards the keys the providers' pushes use."""
    kind = rng.randrange(8 if depth < 3 else 5)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False, 0, -1, 2**70, 1.5, float("1e308")])
    if kind == 2:
        return rng.choice(["", " ", "+1555", "2026-01-01 00:00:00", "x" * 200, "\u202e", "0"])
    if kind in (3, 4):
        return rng.choice(["sms.received", "sms.sent", "sms.failed", "HEAT ON", "918563214199"])
    if kind == 5:
        return [_junk(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = ["id", "type", "data", "guid", "from", "message", "number", "received_at", "date",
            "hour", "time_received", "msgid", "mobile", "content", "reply_time", "sendid",
            "status", "appId", "timestamp", "to", "error"]  # fmt: skip
    return {rng.choice(keys): _junk(rng, depth + 1) for _ in range(rng.randrange(1, 8))}


@pytest.mark.parametrize("provider", PUSHING)
async def test_random_payloads_never_break_the_entry(
    hass: HomeAssistant,
    gateways: FakeGateways,
    client: LazyClient,
    caplog: pytest.LogCaptureFixture,
    provider: str,
) -> None:
    """Nothing that arrives can break the entry: every answer is 200 or 400, never 500."""
    entry = await setup_entry(hass, mock_entry(gateways, provider))
    rng = random.Random(f"webhook-{provider}")
    statuses: set[int] = set()
    for _ in range(300):
        body = json.dumps(_junk(rng)).encode()
        headers = signed(body) if provider == "smsmobileapi" else {}
        statuses.add(await post(client, entry, body, headers))
    await hass.async_block_till_done()
    assert statuses <= {HTTPStatus.OK, HTTPStatus.BAD_REQUEST}
    assert "Could not handle a push" not in our_log(caplog)
    # ... and it still takes a real push.
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    if provider == "itniotech":
        body, headers = inbound_push_body("918563214199", "still fine"), {}
    else:
        body = legacy_push_body("+15559876543", "still fine")
        headers = signed(body)
    assert await post(client, entry, body, headers) == HTTPStatus.OK
    await hass.async_block_till_done()
    assert [e.data["message"] for e in events] == ["still fine"]


async def test_huge_body_and_get(
    hass: HomeAssistant, gateways: FakeGateways, client: LazyClient
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "itniotech"))
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    huge = inbound_push_body("918563214199", "x" * (300 * 1024))
    # Announced by Content-Length: refused before a byte of it is read.
    assert await post(client, entry, huge) == HTTPStatus.REQUEST_ENTITY_TOO_LARGE

    async def chunks() -> Any:
        for start in range(0, len(huge), 8192):
            yield huge[start : start + 8192]

    # Chunked, with no length up front: refused once the limit is passed.
    assert await post(client, entry, chunks()) == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    response = await (await client.get()).get(f"/api/webhook/{entry.data['webhook_id']}")
    assert response.status == HTTPStatus.METHOD_NOT_ALLOWED
    await hass.async_block_till_done()
    assert events == []


async def test_small_push_in_many_chunks(
    hass: HomeAssistant, gateways: FakeGateways, client: LazyClient
) -> None:
    """A body that arrives in pieces is read whole, not cut at the first piece."""
    entry = await setup_entry(hass, mock_entry(gateways, "itniotech"))
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    body = inbound_push_body("918563214199", "piece by piece")

    async def chunks() -> Any:
        for start in range(0, len(body), 7):
            yield body[start : start + 7]
            await asyncio.sleep(0)

    assert await post(client, entry, chunks()) == HTTPStatus.OK
    await hass.async_block_till_done()
    assert [e.data["message"] for e in events] == ["piece by piece"]


async def test_sender_gone_half_way(
    hass: HomeAssistant,
    gateways: FakeGateways,
    client: LazyClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A sender that hangs up in the middle of its body leaves nothing behind, not even a log."""
    entry = await setup_entry(hass, mock_entry(gateways, "itniotech"))
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    http = await client.get()
    _reader, writer = await asyncio.open_connection(http.host, http.port)
    body = inbound_push_body("918563214199", "cut")
    writer.write(
        f"POST /api/webhook/{entry.data['webhook_id']} HTTP/1.1\r\nHost: ha\r\n"
        f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body[:10]
    )
    await writer.drain()
    await asyncio.sleep(0.05)
    writer.close()
    await asyncio.sleep(0.1)
    await hass.async_block_till_done()
    assert events == []
    log = our_log(caplog)
    assert "Error processing webhook" not in log
    assert entry.data["webhook_id"] not in log
    assert await post(client, entry, inbound_push_body("918563214199", "whole")) == HTTPStatus.OK
    await hass.async_block_till_done()
    assert [e.data["message"] for e in events] == ["whole"]


async def test_webhook_unreachable_issue(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "itniotech"))
    registry = ir.async_get(hass)
    issue_id = f"webhook_unreachable_{entry.entry_id}"
    issue = registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "webhook_unreachable"
    assert issue.severity is ir.IssueSeverity.WARNING
    assert entry.runtime_data.webhook_url is None
    # The user sets an external URL: the issue goes, no reload needed.
    await hass.config.async_update(external_url="https://home.example.com")
    await hass.async_block_till_done()
    assert registry.async_get_issue(DOMAIN, issue_id) is None
    assert entry.runtime_data.webhook_url == (
        f"https://home.example.com/api/webhook/{entry.data['webhook_id']}"
    )
    # ... and takes it away again.
    await hass.config.async_update(external_url=None)
    await hass.async_block_till_done()
    assert registry.async_get_issue(DOMAIN, issue_id) is not None


async def test_no_webhook_no_issue_for_polling_only(
    hass: HomeAssistant, gateways: FakeGateways
) -> None:
    for provider in ("enviosms", "duanxintong"):
        entry = await setup_entry(hass, mock_entry(gateways, provider))
        assert "webhook_id" not in entry.data
        assert (
            ir.async_get(hass).async_get_issue(DOMAIN, f"webhook_unreachable_{entry.entry_id}")
            is None
        )


async def test_cloudhook(hass: HomeAssistant, gateways: FakeGateways) -> None:
    hass.config.components.add("cloud")
    entry = mock_entry(gateways, "smsmobileapi")
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    with (
        patch("homeassistant.components.cloud.async_active_subscription", return_value=True),
        patch(
            "homeassistant.components.cloud.async_create_cloudhook",
            return_value="https://hooks.nabu.casa/abc",
        ) as create,
    ):
        await setup_entry(hass, entry)
        # Created once and kept: a reload reuses it.
        assert await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()
    assert create.call_count == 1
    assert entry.runtime_data.webhook_url == "https://hooks.nabu.casa/abc"
    assert entry.data["cloudhook_url"] == "https://hooks.nabu.casa/abc"
    assert (
        ir.async_get(hass).async_get_issue(DOMAIN, f"webhook_unreachable_{entry.entry_id}") is None
    )
    # The cloud relays a push as a mock request (no Content-Length, a fresh reader each time).
    body = legacy_push_body("+15559876543", "via the cloud")
    request = MockRequest(body, mock_source="cloud", method="POST", headers=signed(body))
    response = await webhook.async_handle_webhook(hass, entry.data["webhook_id"], request)
    assert response.status == HTTPStatus.OK
    await hass.async_block_till_done()
    assert [e.data["message"] for e in events] == ["via the cloud"]
    with patch("homeassistant.components.cloud.async_delete_cloudhook") as delete:
        await hass.config_entries.async_remove(entry.entry_id)
        await hass.async_block_till_done()
    delete.assert_called_once_with(hass, entry.data["webhook_id"])


async def test_cloud_not_connected_yet(hass: HomeAssistant, gateways: FakeGateways) -> None:
    """Subscribed but not connected at start: the issue shows, the cloudhook comes later."""
    from homeassistant.components import cloud

    hass.config.components.add("cloud")
    entry = mock_entry(gateways, "itniotech")
    with (
        patch("homeassistant.components.cloud.async_active_subscription", return_value=True),
        patch(
            "homeassistant.components.cloud.async_create_cloudhook",
            side_effect=cloud.CloudNotConnected,
        ),
    ):
        await setup_entry(hass, entry)
    issue_id = f"webhook_unreachable_{entry.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    with (
        patch("homeassistant.components.cloud.async_active_subscription", return_value=True),
        patch(
            "homeassistant.components.cloud.async_create_cloudhook",
            return_value="https://hooks.nabu.casa/later",
        ),
    ):
        cloud_connected(hass)
        await hass.async_block_till_done()
    assert entry.data["cloudhook_url"] == "https://hooks.nabu.casa/later"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


def cloud_connected(hass: HomeAssistant) -> None:
    """What the cloud integration sends when it connects."""
    from homeassistant.components.cloud import (
        SIGNAL_CLOUD_CONNECTION_STATE,
        CloudConnectionState,
    )
    from homeassistant.helpers.dispatcher import async_dispatcher_send

    async_dispatcher_send(hass, SIGNAL_CLOUD_CONNECTION_STATE, CloudConnectionState.CLOUD_CONNECTED)


async def test_other_methods_never_log_the_webhook_id(
    hass: HomeAssistant,
    gateways: FakeGateways,
    client: LazyClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "itniotech"))
    url = f"/api/webhook/{entry.data['webhook_id']}"
    http = await client.get()
    assert (await http.get(url)).status == HTTPStatus.METHOD_NOT_ALLOWED
    assert (await http.put(url, data=b"{}")).status == HTTPStatus.METHOD_NOT_ALLOWED
    assert (await http.head(url)).status == HTTPStatus.OK
    # Home Assistant's and ours, at any level but debug (the test client's access log aside).
    logged = "\n".join(
        r.getMessage()
        for r in caplog.records
        if r.levelno > 10 and r.name.startswith(("homeassistant", "custom_components"))
    )
    assert entry.data["webhook_id"] not in logged


async def test_refused_signatures_do_not_flood_the_log(
    hass: HomeAssistant,
    gateways: FakeGateways,
    client: LazyClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "smsmobileapi"))
    body = legacy_push_body("+15559876543", "OPEN DOOR")
    for _ in range(50):
        assert await post(client, entry, body) == HTTPStatus.UNAUTHORIZED

    def warnings() -> list[str]:
        return [
            r.getMessage()
            for r in caplog.records
            if r.levelname == "WARNING" and "signature" in r.getMessage()
        ]

    assert len(warnings()) == 1
    # The next summary comes with the first refusal ten minutes later, and counts them all.
    later = time.monotonic() + 601
    with patch("custom_components.sms_gateways.webhook.monotonic", return_value=later):
        assert await post(client, entry, body) == HTTPStatus.UNAUTHORIZED
    assert len(warnings()) == 2
    assert warnings()[1].startswith("Refused 50 push(es)")


async def test_body_that_trickles_in_is_cut_off(
    hass: HomeAssistant, gateways: FakeGateways, client: LazyClient
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "itniotech"))
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    body = inbound_push_body("918563214199", "slow")

    async def trickle() -> Any:
        yield body[:10]
        await asyncio.sleep(1)
        yield body[10:]

    with patch("custom_components.sms_gateways.webhook.BODY_DEADLINE", 0.1):
        assert await post(client, entry, trickle()) == HTTPStatus.REQUEST_TIMEOUT
    await hass.async_block_till_done()
    assert events == []


async def test_answered_only_once_on_disk(
    hass: HomeAssistant,
    gateways: FakeGateways,
    client: LazyClient,
    hass_storage: dict[str, Any],
) -> None:
    """A 200 means the message is in the entry's storage: a crash right after cannot lose it."""
    entry = await setup_entry(hass, mock_entry(gateways, "itniotech"))
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    for n in range(5):
        assert await post(client, entry, inbound_push_body("918563214199", f"n{n}")) == 200
        # Nothing awaited since the answer: what is stored is what was written before it. The
        # message waits there to fire, or has fired and is recorded by its id.
        disk = on_disk(hass_storage, entry)
        fired = [e.data["message_id"] for e in events if e.data["message"] == f"n{n}"]
        assert json_text(f"n{n}") in disk or (fired and json_text(fired[0]) in disk)


async def test_lone_surrogate_is_replaced_and_saving_goes_on(
    hass: HomeAssistant,
    gateways: FakeGateways,
    client: LazyClient,
    hass_storage: dict[str, Any],
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "itniotech"))
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    poisoned = inbound_push_body("918563214199", "PLACEHOLDER").replace(
        b"PLACEHOLDER", b"bad \\ud800 text\\u0000"
    )
    assert await post(client, entry, poisoned) == HTTPStatus.OK
    assert await post(client, entry, inbound_push_body("918563214199", "after")) == 200
    await tick(hass, 2)
    assert [e.data["message"] for e in events] == ["bad \ufffd text\ufffd", "after"]
    on_disk(hass_storage, entry).encode("utf-8")  # Home Assistant could write it


async def test_inbox_that_cannot_be_saved(
    hass: HomeAssistant,
    gateways: FakeGateways,
    client: LazyClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A failed write: 503 (the provider keeps the push), ERROR, a repair issue; then recovery."""
    entry = await setup_entry(hass, mock_entry(gateways, "itniotech"))
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    issue_id = f"inbox_not_saved_{entry.entry_id}"
    body = inbound_push_body("918563214199", "disk full")
    # Home Assistant's Store only logs this error: the inbox must notice it all the same.
    with patch(
        "homeassistant.helpers.storage.Store._async_write_data", side_effect=WriteError("full")
    ):
        assert await post(client, entry, body) == HTTPStatus.SERVICE_UNAVAILABLE
        # The provider sends it again: still not on disk, still not acknowledged.
        assert await post(client, entry, body) == HTTPStatus.SERVICE_UNAVAILABLE
        await hass.async_block_till_done()
        assert events == []
        assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
        ours = [
            r
            for r in caplog.records
            if r.levelname == "ERROR" and r.name.startswith("custom_components.sms_gateways")
        ]
        assert len(ours) == 1
        assert "Could not save the inbox" in ours[0].getMessage()
    await tick(hass, 11)  # the retry writes it
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert [e.data["message"] for e in events] == ["disk full"]
    # A third delivery of the same push: answered 200, fires nothing more.
    assert await post(client, entry, body) == HTTPStatus.OK
    await tick(hass, 2)
    assert len(events) == 1
