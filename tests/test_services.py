"""Sending: the send_sms action, the legacy notify service and the notify entities."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from homeassistant.components.notify import NotifyEntityFeature
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er, translation
from homeassistant.util import dt as dt_util
import pytest

from custom_components.sms_gateways.const import DOMAIN
from tests.common import (
    PROVIDERS,
    TITLES,
    FakeGateways,
    contact_entity_id,
    entry_device,
    mock_entry,
    setup_entry,
)
from tests.fakes.base import Fault

NUMBERS = {
    "enviosms": ["+525512345678", "+525587654321"],
    "duanxintong": ["+8613512345678", "+8613798361236"],
    "smsmobileapi": ["+15551234567", "+15557654321"],
    "itniotech": ["+918563214123", "+918563214124"],
}
SEND_PATHS = {
    "enviosms": "/sms/",
    "duanxintong": "/sendsms_txt.asp",
    "smsmobileapi": "/sendsms",
    "itniotech": "/sendSms",
}


LANGUAGES = ("en", "es", "es-419", "ru", "zh-Hans")
# What must never reach a user in a message: our field names, and English words in other languages.
FIELD_NAMES = ("send_at", "sender_id", "daily_limit", "conAcento")


async def assert_rendered_in_every_language(hass: HomeAssistant, err: HomeAssistantError) -> None:
    """The error's message, in each language, has every placeholder filled with no field name."""
    for language in LANGUAGES:
        messages = await translation.async_get_translations(hass, language, "exceptions", {DOMAIN})
        template = messages[f"component.{DOMAIN}.exceptions.{err.translation_key}.message"]
        rendered = template.format(**(err.translation_placeholders or {}))
        assert "{" not in rendered, (language, rendered)
        assert not [name for name in FIELD_NAMES if name in rendered], (language, rendered)
        if language != "en":
            assert " messages" not in rendered, (language, rendered)


def sends(gateways: FakeGateways, provider: str) -> int:
    """Send requests the fake received."""
    return sum(SEND_PATHS[provider] in r.path for r in gateways[provider].state.requests)


async def send_sms(hass: HomeAssistant, entry_id: str, **data: Any) -> Any:
    return await hass.services.async_call(
        DOMAIN,
        "send_sms",
        {"config_entry_id": entry_id, **data},
        blocking=True,
        return_response=True,
    )


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_send_with_response(
    hass: HomeAssistant, gateways: FakeGateways, provider: str
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, provider))
    response = await send_sms(
        hass, entry.entry_id, recipients=NUMBERS[provider], message="Alarm tripped"
    )
    assert response["accepted"] == NUMBERS[provider]
    assert response["rejected"] == []
    assert set(response["message_ids"]) == set(NUMBERS[provider])
    # 112088 bills 70 characters a message whatever the alphabet.
    encoding = "UCS-2" if provider == "duanxintong" else "GSM-7"
    assert (response["segments"], response["encoding"]) == (1, encoding)
    fake = gateways[provider]
    assert [m.text for m in fake.sent] == ["Alarm tripped"] * 2
    # The sensor shows the last recipient's outcome.
    state = hass.states.get(f"sensor.{_slug(entry.title)}_last_delivery_status")
    assert state is not None
    assert state.state == "sent"
    assert state.attributes["recipient"] is not None


def _slug(title: str) -> str:
    from homeassistant.util import slugify

    return slugify(title)


async def test_segments_and_encoding(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "duanxintong"))
    response = await send_sms(
        hass, entry.entry_id, recipients=["13512345678"], message="这条是测试短信" * 11
    )
    assert (response["segments"], response["encoding"]) == (2, "UCS-2")
    assert gateways["duanxintong"].sent[0].text == "这条是测试短信" * 11


async def test_segments_as_carriers_bill_them(hass: HomeAssistant, gateways: FakeGateways) -> None:
    # 306 septets fit two segments of 153 only if the euro sign's escape pair were split
    # across them; carriers move it whole, and bill three.
    entry = await setup_entry(hass, mock_entry(gateways, "itniotech"))
    response = await send_sms(
        hass,
        entry.entry_id,
        recipients=NUMBERS["itniotech"][:1],
        message="a" * 152 + "€" + "a" * 152,
    )
    assert (response["segments"], response["encoding"]) == (3, "GSM-7")


async def test_enviosms_options_on_the_wire(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "enviosms"))
    when = dt_util.utcnow().replace(microsecond=0) + timedelta(days=1)
    await send_sms(
        hass,
        entry.entry_id,
        recipients=["+525512345678"],
        message="Hola",
        send_at=when.isoformat(),
        flash=True,
        unicode=True,
    )
    (sent,) = gateways["enviosms"].sent
    # The provider reads `fechaHoraEnvio` in UTC (its API README).
    expected = when.astimezone(UTC)
    assert sent.options == {
        "fechaHoraEnvio": expected.strftime("%Y-%m-%d %H:%M:%S"),
        "conAcento": True,
        "flash": True,
    }


async def test_duanxintong_schedule_and_batches(
    hass: HomeAssistant, gateways: FakeGateways
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "duanxintong"))
    fake = gateways["duanxintong"]
    when = dt_util.utcnow().replace(microsecond=0) + timedelta(hours=2)
    numbers = [f"+86135{i:08d}" for i in range(101)]
    response = await send_sms(
        hass, entry.entry_id, recipients=numbers, message="测试", send_at=when.isoformat()
    )
    assert len(response["accepted"]) == 101
    assert sends(gateways, "duanxintong") == 2
    china = when.astimezone(dt_util.get_time_zone("Asia/Shanghai")).strftime("%Y%m%d%H%M%S")
    sends_queries = [q for q in fake.queries if "send_phone" in q]
    assert [len(q["send_phone"].split(",")) for q in sends_queries] == [100, 1]
    assert all(q["send_time"] == china for q in sends_queries)


async def test_smsmobileapi_channel_and_schedule(
    hass: HomeAssistant, gateways: FakeGateways
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "smsmobileapi"))
    when = dt_util.utcnow().replace(microsecond=0) + timedelta(hours=1)
    await send_sms(
        hass,
        entry.entry_id,
        recipients=["+15551234567"],
        message="hi",
        channel="whatsapp",
        send_at=when.isoformat(),
    )
    (sent,) = gateways["smsmobileapi"].sent
    assert sent.options["sendwa"] == "1"
    assert sent.options["sendsms"] == "0"
    assert int(sent.options["schedule_timestamp"]) == int(when.timestamp())


async def test_itniotech_sender_and_batches(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "itniotech"))
    gateways["itniotech"].balance = 100
    # The action's limit is Itniotech's batch: one request (batches beyond are tested on the
    # client, tests/gateways/test_itniotech.py).
    numbers = [f"+9185632{i:05d}" for i in range(1000)]
    response = await send_sms(
        hass, entry.entry_id, recipients=numbers, message="hi", sender_id="HOME"
    )
    assert response["accepted"] == numbers
    assert sends(gateways, "itniotech") == 1
    assert {m.options.get("senderId") for m in gateways["itniotech"].sent} == {"HOME"}


async def test_itniotech_documented_number_form(
    hass: HomeAssistant, gateways: FakeGateways
) -> None:
    # The document's own example, country code without `+`, and no default country set.
    entry = await setup_entry(hass, mock_entry(gateways, "itniotech"))
    response = await send_sms(
        hass, entry.entry_id, recipients=["918563214123", "91 85632 14124"], message="hi"
    )
    assert response["accepted"] == ["+918563214123", "+918563214124"]
    assert [m.number for m in gateways["itniotech"].sent] == ["918563214123", "918563214124"]


@pytest.mark.parametrize(
    ("provider", "data", "key"),
    [
        ("enviosms", {"message": "  "}, "empty_message"),
        ("enviosms", {"message": "x" * 510}, "message_too_long"),
        ("duanxintong", {"message": "x" * 336}, "message_too_long"),
        ("itniotech", {"message": "x" * 1025}, "message_too_long"),
        ("enviosms", {"recipients": ["+15551234567"]}, "invalid_number"),
        ("duanxintong", {"recipients": ["+525512345678"]}, "invalid_number"),
        ("itniotech", {"recipients": ["12"]}, "invalid_number"),
        ("enviosms", {"channel": "whatsapp"}, "unsupported_channel"),
        ("duanxintong", {"flash": True}, "unsupported_flash"),
        ("smsmobileapi", {"sender_id": "HOME"}, "unsupported_sender_id"),
        ("itniotech", {"send_at": "2999-01-01T00:00:00+00:00"}, "unsupported_send_at"),
        ("enviosms", {"send_at": "2001-01-01T00:00:00+00:00"}, "invalid_send_at"),
        ("itniotech", {"sender_id": "S" * 33}, "invalid_sender_id"),
        ("duanxintong", {"message": "暖气 🔥"}, "unencodable_text"),
        # A UK national reading and a +44 reading are both possible, neither valid: not guessed.
        ("itniotech", {"recipients": ["4412345678"]}, "ambiguous_number"),
    ],
)
async def test_validation_sends_nothing(
    hass: HomeAssistant, gateways: FakeGateways, provider: str, data: dict[str, Any], key: str
) -> None:
    options = {"default_country": "GB"} if key == "ambiguous_number" else None
    entry = await setup_entry(hass, mock_entry(gateways, provider, options=options))
    call = {"recipients": NUMBERS[provider][:1], "message": "hi", **data}
    with pytest.raises(ServiceValidationError) as err:
        await send_sms(hass, entry.entry_id, **call)
    assert err.value.translation_key == key
    assert sends(gateways, provider) == 0
    await assert_rendered_in_every_language(hass, err.value)


async def test_unknown_and_unloaded_entries(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "enviosms"))
    with pytest.raises(ServiceValidationError) as err:
        await send_sms(hass, "nope", recipients=["+525512345678"], message="hi")
    assert err.value.translation_key == "entry_not_found"
    await hass.config_entries.async_unload(entry.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await send_sms(hass, entry.entry_id, recipients=["+525512345678"], message="hi")
    assert err.value.translation_key == "entry_not_loaded"


async def test_refusal_names_the_reason(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "enviosms"))
    with pytest.raises(HomeAssistantError) as err:
        await send_sms(hass, entry.entry_id, recipients=["+525512345678"], message="vota hoy")
    assert err.value.translation_key == "send_failed"
    assert "palabras bloqueadas" in str(err.value.translation_placeholders)
    state = hass.states.get("sensor.enviosms_prueba_last_delivery_status")
    assert state is not None
    assert state.state == "rejected"


async def test_partial_refusal(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "itniotech"))
    gateways["itniotech"].refused_numbers = {"918563214124"}
    response = await send_sms(hass, entry.entry_id, recipients=NUMBERS["itniotech"], message="hi")
    assert response["accepted"] == ["+918563214123"]
    assert response["rejected"] == [
        {"number": "+918563214124", "reason": "not accepted by Itniotech"}
    ]
    # Without a response the caller still learns which number failed.
    with pytest.raises(HomeAssistantError, match="918563214124"):
        await hass.services.async_call(
            DOMAIN,
            "send_sms",
            {"config_entry_id": entry.entry_id, "recipients": NUMBERS["itniotech"], "message": "x"},
            blocking=True,
        )


async def test_provider_unavailable(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "duanxintong"))
    gateways["duanxintong"].set_fault(Fault.HTTP_500)
    with pytest.raises(HomeAssistantError) as err:
        await send_sms(hass, entry.entry_id, recipients=["13512345678"], message="hi")
    assert err.value.translation_key == "provider_unavailable"
    # Sent once, never retried: a retry could deliver the SMS twice.
    assert sends(gateways, "duanxintong") == 1


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_rejected_credentials_start_reauth(
    hass: HomeAssistant, gateways: FakeGateways, provider: str
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, provider))
    gateways[provider].set_fault(Fault.AUTH)
    with pytest.raises(HomeAssistantError) as err:
        await send_sms(hass, entry.entry_id, recipients=NUMBERS[provider][:1], message="hi")
    assert err.value.translation_key == "auth_failed"
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress()
    assert [f["context"]["source"] for f in flows] == ["reauth"]
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_legacy_notify(hass: HomeAssistant, gateways: FakeGateways, provider: str) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, provider))
    service = _slug(entry.title)
    await hass.services.async_call(
        "notify",
        service,
        {"message": "Door open", "title": "Alarm", "target": NUMBERS[provider][0]},
        blocking=True,
    )
    await hass.services.async_call(
        "notify", service, {"message": "Both", "target": NUMBERS[provider]}, blocking=True
    )
    assert [m.text for m in gateways[provider].sent] == ["Alarm\nDoor open", "Both", "Both"]
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call("notify", service, {"message": "nobody"}, blocking=True)
    assert err.value.translation_key == "no_recipients"


async def test_legacy_notify_data_options(hass: HomeAssistant, gateways: FakeGateways) -> None:
    await setup_entry(hass, mock_entry(gateways, "enviosms"))
    await hass.services.async_call(
        "notify",
        "enviosms_prueba",
        {"message": "Hola", "target": "+525512345678", "data": {"flash": True}},
        blocking=True,
    )
    assert gateways["enviosms"].sent[0].options == {"flash": True}
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            "notify",
            "enviosms_prueba",
            {"message": "Hola", "target": "+525512345678", "data": {"channel": "pigeon"}},
            blocking=True,
        )


async def test_removed_contact_leaves_nothing(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = await setup_entry(
        hass, mock_entry(gateways, "itniotech", recipients={"Ana": NUMBERS["itniotech"][0]})
    )
    entity_id = contact_entity_id(hass, entry, "Ana")
    device_id = er.async_get(hass).async_get(entity_id).device_id
    (subentry,) = entry.subentries.values()
    assert hass.config_entries.async_remove_subentry(entry, subentry.subentry_id)
    await hass.async_block_till_done()
    # The contact's device and entity go with it; the entry's own device and entities stay.
    assert dr.async_get(hass).async_get(device_id) is None
    assert er.async_get(hass).async_get(entity_id) is None
    assert hass.states.get(entity_id) is None
    assert entry_device(hass, entry) is not None
    assert hass.states.get(f"sensor.{_slug(entry.title)}_balance") is not None


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_notify_entity(hass: HomeAssistant, gateways: FakeGateways, provider: str) -> None:
    entry = await setup_entry(
        hass, mock_entry(gateways, provider, recipients={"Ana": NUMBERS[provider][0]})
    )
    entity_id = contact_entity_id(hass, entry, "Ana")
    assert hass.states.get(entity_id) is not None
    # The contact has a device of its own, tied to its subentry; the entry's device keeps the
    # entry's entities (on 2026.8+ a shared device lost the contact's entity).
    (subentry,) = entry.subentries.values()
    registered = er.async_get(hass).async_get(entity_id)
    assert registered.config_subentry_id == subentry.subentry_id
    device = dr.async_get(hass).async_get(registered.device_id)
    assert (device.name, device.model, device.entry_type) == (
        "Ana",
        "SMS contact",
        dr.DeviceEntryType.SERVICE,
    )
    main = entry_device(hass, entry)
    assert main is not None
    assert main.id != device.id
    assert {
        e.device_id
        for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if e.entity_id != entity_id
    } == {main.id}
    await hass.services.async_call(
        "notify", "send_message", {"entity_id": entity_id, "message": "Heater on"}, blocking=True
    )
    (sent,) = gateways[provider].sent
    assert sent.text == "Heater on"
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state != "unknown"  # the entity records when it last sent


async def test_naive_send_at_is_home_assistant_local_time(
    hass: HomeAssistant, gateways: FakeGateways
) -> None:
    await hass.config.async_set_time_zone("America/Mexico_City")
    entry = await setup_entry(hass, mock_entry(gateways, "enviosms"))
    local = datetime.now(dt_util.get_default_time_zone()).replace(microsecond=0) + timedelta(days=1)
    await send_sms(
        hass,
        entry.entry_id,
        recipients=["+525512345678"],
        message="Hola",
        send_at=local.replace(tzinfo=None).isoformat(),
    )
    # Read in Home Assistant's zone, sent in UTC (the provider's).
    assert gateways["enviosms"].sent[0].options["fechaHoraEnvio"] == local.astimezone(UTC).strftime(
        "%Y-%m-%d %H:%M:%S"
    )


# Far enough ahead that converting it to a provider's zone leaves datetime's range (year 10000).
FAR_FUTURE = ["9999-12-31T23:59:59-12:00", "9999-12-31T23:59:59+00:00", "9999-06-01T12:00:00"]


@pytest.mark.parametrize("send_at", FAR_FUTURE)
@pytest.mark.parametrize("provider", ["enviosms", "duanxintong", "smsmobileapi"])
async def test_send_at_too_far_ahead_sends_nothing(
    hass: HomeAssistant, gateways: FakeGateways, provider: str, send_at: str
) -> None:
    # Home Assistant's zone behind UTC: a naive year-9999 time is past the end in China's zone.
    await hass.config.async_set_time_zone("America/Mexico_City")
    entry = await setup_entry(hass, mock_entry(gateways, provider))
    with pytest.raises(ServiceValidationError) as err:
        await send_sms(
            hass, entry.entry_id, recipients=NUMBERS[provider], message="hi", send_at=send_at
        )
    assert err.value.translation_key == "send_at_out_of_range"
    assert err.value.translation_placeholders is not None
    latest = dt_util.parse_datetime(err.value.translation_placeholders["latest"])
    assert latest is not None
    assert latest.year <= dt_util.now().year + 1
    assert gateways[provider].sent == []
    assert sends(gateways, provider) == 0


async def test_send_at_within_a_year_is_sent(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "duanxintong"))
    when = dt_util.utcnow().replace(microsecond=0) + timedelta(days=364)
    await send_sms(
        hass, entry.entry_id, recipients=["13512345678"], message="hi", send_at=when.isoformat()
    )
    china = when.astimezone(dt_util.get_time_zone("Asia/Shanghai")).strftime("%Y%m%d%H%M%S")
    sends_queries = [q for q in gateways["duanxintong"].queries if "send_phone" in q]
    assert [q["send_time"] for q in sends_queries] == [china]
    with pytest.raises(ServiceValidationError) as err:
        await send_sms(
            hass,
            entry.entry_id,
            recipients=["13512345678"],
            message="hi",
            send_at=(when + timedelta(days=2)).isoformat(),
        )
    assert err.value.translation_key == "send_at_out_of_range"
    assert len(gateways["duanxintong"].sent) == 1


@pytest.mark.parametrize("send_at", FAR_FUTURE)
async def test_legacy_notify_send_at_too_far_ahead(
    hass: HomeAssistant, gateways: FakeGateways, send_at: str
) -> None:
    await setup_entry(hass, mock_entry(gateways, "duanxintong"))
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "notify",
            _slug(TITLES["duanxintong"]),
            {"message": "hi", "target": NUMBERS["duanxintong"], "data": {"send_at": send_at}},
            blocking=True,
        )
    assert err.value.translation_key == "send_at_out_of_range"
    assert gateways["duanxintong"].sent == []
    assert sends(gateways, "duanxintong") == 0


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_too_many_recipients_sends_nothing(
    hass: HomeAssistant, gateways: FakeGateways, provider: str
) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, provider))
    # Not even numbers: refused on the count, before a single one is parsed.
    recipients = ["not a number"] * 1001
    with pytest.raises(ServiceValidationError) as err:
        await send_sms(hass, entry.entry_id, recipients=recipients, message="hi")
    assert err.value.translation_key == "too_many_recipients"
    assert err.value.translation_placeholders == {"count": "1001", "limit": "1000"}
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "notify",
            _slug(entry.title),
            {"message": "hi", "target": recipients},
            blocking=True,
        )
    assert err.value.translation_key == "too_many_recipients"
    assert gateways[provider].sent == []
    assert sends(gateways, provider) == 0


async def test_thousand_recipients_are_sent(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "duanxintong"))
    numbers = [f"+86135{i:08d}" for i in range(1000)]
    response = await send_sms(hass, entry.entry_id, recipients=numbers, message="hi")
    assert response["accepted"] == numbers
    assert sends(gateways, "duanxintong") == 10


async def test_send_to_contacts_by_name_and_entity(
    hass: HomeAssistant, gateways: FakeGateways
) -> None:
    entry = await setup_entry(
        hass,
        mock_entry(
            gateways,
            "itniotech",
            recipients={"Ana": NUMBERS["itniotech"][0], "Luis": NUMBERS["itniotech"][1]},
        ),
    )
    luis = contact_entity_id(hass, entry, "Luis")
    response = await send_sms(
        hass, entry.entry_id, recipients=[" ana ", luis, "+91 85632 14199"], message="hi"
    )
    assert response["accepted"] == [*NUMBERS["itniotech"], "+918563214199"]
    # The legacy service's `target` takes names too.
    await hass.services.async_call(
        "notify", _slug(entry.title), {"message": "hi", "target": "Luis"}, blocking=True
    )
    assert gateways["itniotech"].sent[-1].number == NUMBERS["itniotech"][1].lstrip("+")


async def test_unknown_contact_sends_nothing(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = await setup_entry(
        hass, mock_entry(gateways, "itniotech", recipients={"Ana": NUMBERS["itniotech"][0]})
    )
    for unknown in ("Pedro", "notify.pedro"):
        with pytest.raises(ServiceValidationError) as err:
            await send_sms(
                hass, entry.entry_id, recipients=[NUMBERS["itniotech"][1], unknown], message="hi"
            )
        assert err.value.translation_key == "unknown_contact"
        assert err.value.translation_placeholders["name"] == unknown
        # The message lists the contacts there are.
        assert err.value.translation_placeholders["contacts"] == "Ana"
    assert sends(gateways, "itniotech") == 0


async def test_contact_entity_has_a_title_and_records_the_send(
    hass: HomeAssistant, gateways: FakeGateways
) -> None:
    entry = await setup_entry(
        hass, mock_entry(gateways, "itniotech", recipients={"Ana": NUMBERS["itniotech"][0]})
    )
    entity_id = contact_entity_id(hass, entry, "Ana")
    state = hass.states.get(entity_id)
    # The UI shows the title field only for entities declaring it.
    assert state.attributes["supported_features"] == NotifyEntityFeature.TITLE
    assert state.state == "unknown"
    await hass.services.async_call(
        "notify",
        "send_message",
        {"entity_id": entity_id, "title": "Alarm", "message": "Front door"},
        blocking=True,
    )
    assert gateways["itniotech"].sent[-1].text == "Alarm\nFront door"
    # The entity's state is the time of its last send.
    assert dt_util.parse_datetime(hass.states.get(entity_id).state) is not None


async def test_plain_characters_option(hass: HomeAssistant, gateways: FakeGateways) -> None:
    text = "It\u2019s \u201cdone\u201d \u2014 back at 5\u2026"
    plain = 'It\'s "done" - back at 5...'
    entry = await setup_entry(
        hass, mock_entry(gateways, "itniotech", options={"plain_characters": True})
    )
    response = await send_sms(
        hass, entry.entry_id, recipients=NUMBERS["itniotech"][:1], message=text
    )
    assert gateways["itniotech"].sent[-1].text == plain
    assert response["encoding"] == "GSM-7"
    assert response["replaced"] == {
        "\u2014": "-",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2026": "...",
    }
    # A text that stays UCS-2 anyway keeps its typography.
    response = await send_sms(
        hass, entry.entry_id, recipients=NUMBERS["itniotech"][:1], message="“你好”"
    )
    assert gateways["itniotech"].sent[-1].text == "“你好”"
    assert "replaced" not in response


async def test_typography_kept_by_default(hass: HomeAssistant, gateways: FakeGateways) -> None:
    entry = await setup_entry(hass, mock_entry(gateways, "itniotech"))
    response = await send_sms(
        hass, entry.entry_id, recipients=NUMBERS["itniotech"][:1], message="It\u2019s"
    )
    assert gateways["itniotech"].sent[-1].text == "It\u2019s"
    assert response["encoding"] == "UCS-2"
