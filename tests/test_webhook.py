"""Receiving by webhook: every documented payload, and everything that is not one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from http import HTTPStatus
import json
import time
from typing import Any
from unittest.mock import patch

from aiohttp.test_utils import TestClient
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.sms_gateways.const import (
    DOMAIN,
    EVENT_DELIVERY_REPORT,
    EVENT_MESSAGE_RECEIVED,
)
from tests.common import FakeGateways, mock_entry, setup_entry
from tests.fakes.itniotech import inbound_push_body, report_push_body
from tests.fakes.smsmobileapi import (
    DEFAULT_WEBHOOK_SECRET,
    legacy_push_body,
    signature_headers,
    signed_push,
)

Post = Callable[..., Awaitable[Any]]


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
    lazy: LazyClient, entry: MockConfigEntry, body: bytes, headers: dict[str, str] | None = None
) -> int:
    client = await lazy.get()
    response = await client.post(
        f"/api/webhook/{entry.data['webhook_id']}", data=body, headers=headers or {}
    )
    return response.status


def signed(body: bytes, *, secret: str = DEFAULT_WEBHOOK_SECRET, age: int = 0) -> dict[str, str]:
    return signature_headers(body, secret, int(time.time()) - age)


async def test_smsmobileapi_documented_push(
    hass: HomeAssistant, gateways: FakeGateways, client: LazyClient
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "smsmobileapi"))
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    body = legacy_push_body("+15559876543", "HEAT ON", guid="abcde12345")
    assert await post(client, entry, body, signed(body)) == HTTPStatus.OK
    await hass.async_block_till_done()
    (event,) = events
    assert event.data["sender"] == "+15559876543"
    assert event.data["message"] == "HEAT ON"
    assert event.data["message_id"] == "abcde12345"
    assert event.data["source"] == "webhook"
    # Pushed again (at least once delivery): answered, not fired again.
    assert await post(client, entry, body, signed(body)) == HTTPStatus.OK
    await hass.async_block_till_done()
    assert len(events) == 1


async def test_smsmobileapi_signed_envelope(
    hass: HomeAssistant, gateways: FakeGateways, client: LazyClient
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "smsmobileapi"))
    messages = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    reports = async_capture_events(hass, EVENT_DELIVERY_REPORT)
    now = int(time.time())
    body, headers = signed_push(
        "sms.received",
        {"guid": "G-1", "from": "+15559876543", "message": "hola",
         "received_at": dt_util.utcnow().isoformat()},
        DEFAULT_WEBHOOK_SECRET,
        now,
    )  # fmt: skip
    assert await post(client, entry, body, headers) == HTTPStatus.OK
    body, headers = signed_push(
        "sms.failed", {"guid": "S-1", "to": "+15551234567", "error": "no signal"},
        DEFAULT_WEBHOOK_SECRET, now,
    )  # fmt: skip
    assert await post(client, entry, body, headers) == HTTPStatus.OK
    await hass.async_block_till_done()
    assert [e.data["message"] for e in messages] == ["hola"]
    assert [(e.data["message_id"], e.data["status"]) for e in reports] == [("S-1", "failed")]


@pytest.mark.parametrize(
    ("mutate", "status"),
    [
        (lambda body, headers: (body, {}), HTTPStatus.UNAUTHORIZED),  # missing signature
        (lambda body, headers: (body + b" ", headers), HTTPStatus.UNAUTHORIZED),  # tampered
        (lambda body, headers: (body, signed(body, secret="wrong")), HTTPStatus.UNAUTHORIZED),
        (lambda body, headers: (body, signed(body, age=301)), HTTPStatus.UNAUTHORIZED),  # stale
        (lambda body, headers: (body, signed(body, age=-301)), HTTPStatus.UNAUTHORIZED),  # future
    ],
)
async def test_smsmobileapi_bad_signatures(
    hass: HomeAssistant,
    gateways: FakeGateways,
    client: LazyClient,
    mutate: Callable[[bytes, dict[str, str]], tuple[bytes, dict[str, str]]],
    status: int,
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "smsmobileapi"))
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    body = legacy_push_body("+15559876543", "OPEN DOOR")
    body, headers = mutate(body, signed(body))
    assert await post(client, entry, body, headers) == status
    await hass.async_block_till_done()
    assert events == []


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


async def test_itniotech_pushes(
    hass: HomeAssistant, gateways: FakeGateways, client: LazyClient
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
    body = report_push_body(message_id, "918563214123", 0)
    assert await post(client, entry, body) == HTTPStatus.OK
    body = inbound_push_body("918563214199", "HEAT ON", "5001", lenient=True)
    assert await post(client, entry, body) == HTTPStatus.OK
    await hass.async_block_till_done()
    assert [(e.data["message_id"], e.data["status"]) for e in reports] == [
        (message_id, "delivered")
    ]
    assert [e.data["message"] for e in messages] == ["HEAT ON"]
    state = hass.states.get("sensor.itniotech_demo_app_last_delivery_status")
    assert state is not None
    assert state.state == "delivered"


async def test_polled_and_pushed_fires_once(
    hass: HomeAssistant, gateways: FakeGateways, client: LazyClient
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "itniotech"))
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    send_id = gateways["itniotech"].queue_inbound("+918563214199", "both ways")
    assert await post(client, entry, inbound_push_body("918563214199", "both ways", send_id)) == 200
    async_fire_time_changed(hass, dt_util.utcnow().replace(microsecond=0) + _minute())
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [e.data["source"] for e in events] == ["webhook"]


def _minute() -> Any:
    from datetime import timedelta

    return timedelta(seconds=61)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"",
        b"[]",
        b'{"message": 5, "number": []}',
        b'{"number": "+15559876543"}',
        b'{"unexpected": true}',
        json.dumps({"mobile": "1", "content": ["x"]}).encode(),
        b"\xff\xfe\x00garbage",
    ],
)
@pytest.mark.parametrize("provider", ["itniotech", "smsmobileapi"])
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


async def test_huge_body_and_get(
    hass: HomeAssistant, gateways: FakeGateways, client: LazyClient
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "itniotech"))
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    assert await post(client, entry, b"x" * (300 * 1024)) == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    response = await (await client.get()).get(f"/api/webhook/{entry.data['webhook_id']}")
    assert response.status == HTTPStatus.METHOD_NOT_ALLOWED
    await hass.async_block_till_done()
    assert events == []


async def test_handler_never_raises(
    hass: HomeAssistant, gateways: FakeGateways, client: LazyClient
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "itniotech"))
    with patch(
        "custom_components.sms_gateways.gateways.itniotech.ItniotechGateway.parse_webhook",
        side_effect=RuntimeError("bug"),
    ):
        status = await post(client, entry, inbound_push_body("91", "x", "1"))
    assert status == HTTPStatus.INTERNAL_SERVER_ERROR
    # The entry keeps working.
    assert await post(client, entry, inbound_push_body("918563214199", "x", "2")) == HTTPStatus.OK


async def test_webhook_unreachable_issue(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "itniotech"))
    registry = ir.async_get(hass)
    issue_id = f"webhook_unreachable_{entry.entry_id}"
    assert registry.async_get_issue(DOMAIN, issue_id) is not None
    await hass.config.async_update(external_url="https://home.example.com")
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert registry.async_get_issue(DOMAIN, issue_id) is None
    assert entry.runtime_data.webhook_url == (
        f"https://home.example.com/api/webhook/{entry.data['webhook_id']}"
    )


async def test_cloudhook(hass: HomeAssistant, gateways: FakeGateways) -> None:
    hass.config.components.add("cloud")
    entry = mock_entry(gateways, "smsmobileapi")
    with (
        patch("homeassistant.components.cloud.async_active_subscription", return_value=True),
        patch(
            "homeassistant.components.cloud.async_create_cloudhook",
            return_value="https://hooks.nabu.casa/abc",
        ) as create,
    ):
        await setup_entry(hass, entry)
    assert create.call_count == 1
    assert entry.runtime_data.webhook_url == "https://hooks.nabu.casa/abc"
    assert entry.data["cloudhook_url"] == "https://hooks.nabu.casa/abc"
    with patch("homeassistant.components.cloud.async_delete_cloudhook") as delete:
        await hass.config_entries.async_remove(entry.entry_id)
        await hass.async_block_till_done()
    delete.assert_called_once_with(hass, entry.data["webhook_id"])
