"""The gateway simulator: the four fakes in one local process, with a page to drive them.

`python -m tests.fakes [--host 127.0.0.1] [--port 8124]` serves each provider's API under
`/<provider>` (point an entry's `url` there) and, at `/`, a page that shows what each provider was
sent and lets a person deliver an inbound SMS (polled, or pushed to a webhook URL), queue a
delivery report, set the balance and switch faults on and off. `/_sim/…` answers JSON for scripts.
"""

from __future__ import annotations

from datetime import UTC, datetime
import html
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from tests.fakes import make_fakes
from tests.fakes.base import FakeProvider, Fault, build_app
from tests.fakes.itniotech import inbound_push_body, report_push_body
from tests.fakes.smsmobileapi import legacy_push_body, signature_headers

PUSH_TIMEOUT = aiohttp.ClientTimeout(total=10)
FAULT_LABELS = {
    Fault.NONE: "off (answers normally)",
    Fault.HTTP_500: "HTTP 500",
    Fault.HANG: "hang (never answers)",
    Fault.MALFORMED: "malformed answer",
    Fault.DROP: "dropped connection",
    Fault.AUTH: "rejected credentials",
    Fault.CODE: "provider error code",
}
_PUSH_IDS = itertools.count(int(time.time()))


def build_simulator(fakes: dict[str, FakeProvider] | None = None) -> web.Application:
    """The simulator app: the fakes under `/<provider>`, the page at `/`, JSON under `/_sim/`."""
    fakes = fakes or make_fakes()
    app = build_app(list(fakes.values()))
    app["fakes"] = fakes
    # provider -> the Home Assistant webhook URL the page offers for pushes.
    app["webhooks"] = {}
    app.add_routes(
        [
            web.get("/", _page),
            web.get("/_sim/state", _state),
            web.post("/_sim/{provider}/inbound", _inbound),
            web.post("/_sim/{provider}/report", _report),
            web.post("/_sim/{provider}/fault", _fault),
            web.post("/_sim/{provider}/balance", _balance),
            web.post("/_sim/{provider}/webhook", _webhook),
        ]
    )
    return app


def _fake(request: web.Request) -> Any:
    fakes: dict[str, FakeProvider] = request.app["fakes"]
    provider = request.match_info["provider"]
    if provider not in fakes:
        raise web.HTTPNotFound(text=f"No provider {provider}")
    return fakes[provider]


async def _data(request: web.Request) -> dict[str, str]:
    if request.content_type == "application/json":
        body = await request.json()
        return {str(k): str(v) for k, v in body.items()} if isinstance(body, dict) else {}
    return {k: str(v) for k, v in (await request.post()).items()}


def _answer(request: web.Request, result: dict[str, Any], note: str = "") -> web.Response:
    """JSON for scripts; a form post goes back to the page, which shows `note`."""
    if request.content_type == "application/json":
        return web.json_response(result)
    provider = request.match_info.get("provider", "")
    raise web.HTTPSeeOther(f"/?{urlencode({'note': note})}#{provider}" if note else "/")


async def _state(request: web.Request) -> web.Response:
    fakes: dict[str, FakeProvider] = request.app["fakes"]
    return web.json_response(
        {
            key: {
                **fake.snapshot(),
                "credentials": fake.credentials,
                "fault": fake.state.fault.value,
                "requests": len(fake.state.requests),
            }
            for key, fake in fakes.items()
        },
        dumps=lambda o: json.dumps(o, default=str, ensure_ascii=False),
    )


async def _inbound(request: web.Request) -> web.Response:
    """Queue an SMS for polling, or push it to `webhook_url`."""
    fake, provider = _fake(request), request.match_info["provider"]
    data = await _data(request)
    sender, text = data.get("sender", ""), data.get("text", "")
    webhook_url = data.get("webhook_url", "").strip()
    if not hasattr(fake, "queue_inbound"):
        raise web.HTTPBadRequest(text=f"{provider} has no inbound SMS")
    if not webhook_url:
        message_id = fake.queue_inbound(sender, text)
        return _answer(request, {"queued": message_id}, f"{provider}: SMS queued for a poll")
    # The real providers also list a pushed message where they can be polled: with `also_queue`
    # the same message arrives both ways, and Home Assistant must fire it once.
    also_queue = data.get("also_queue", "") not in ("", "0", "false", "off")
    if provider == "smsmobileapi":
        received = datetime.now(UTC).replace(microsecond=0)
        guid = None
        if also_queue:
            guid = fake.queue_inbound(sender, text, received_at=received.timestamp())
        body = legacy_push_body(sender, text, guid=guid, received_at=received)
        headers = signature_headers(body, fake.webhook_secret, int(time.time()))
    elif provider == "itniotech":
        if also_queue:
            # Listed first: the push then carries the time the listing shows.
            fake.queue_inbound(sender, text)
        # A fresh MO id per push (a clock value could repeat within a millisecond).
        body = inbound_push_body(sender.lstrip("+"), text, f"sim{next(_PUSH_IDS)}")
        headers = {}
    else:
        raise web.HTTPBadRequest(text=f"{provider} does not push")
    status = await _push(webhook_url, body, headers)
    return _answer(
        request, {"pushed": status}, f"{provider}: pushed, the webhook answered {status}"
    )


async def _report(request: web.Request) -> web.Response:
    """Queue a delivery report for polling, or push it (Itniotech)."""
    fake, provider = _fake(request), request.match_info["provider"]
    data = await _data(request)
    message_id, recipient = data.get("message_id", ""), data.get("recipient", "")
    status = data.get("status", "")
    webhook_url = data.get("webhook_url", "").strip()
    if webhook_url and provider == "itniotech":
        code = {"delivered": 0, "failed": 1, "pending": -1}.get(status, 0)
        result = await _push(webhook_url, report_push_body(message_id, recipient, code), {})
        return _answer(request, {"pushed": result}, f"{provider}: report pushed, answer {result}")
    if provider == "duanxintong":
        fake.queue_report(message_id, recipient, {"delivered": 10, "failed": 20}.get(status, -1))
    elif provider == "itniotech":
        fake.queue_report(message_id, recipient, {"delivered": 0, "failed": 1}.get(status, -1))
    elif provider == "smsmobileapi":
        fake.queue_report(message_id, recipient, status or "delivered")
    else:
        raise web.HTTPBadRequest(text=f"{provider} has no delivery reports")
    return _answer(request, {"queued": message_id}, f"{provider}: report queued for a poll")


async def _fault(request: web.Request) -> web.Response:
    fake = _fake(request)
    data = await _data(request)
    fault = Fault(data.get("fault", "none"))
    count = int(data["count"]) if data.get("count") else None
    fake.set_fault(fault, count=count, path=data.get("path") or None, code=data.get("code") or None)
    if data.get("hang_seconds"):
        fake.state.hang_seconds = float(data["hang_seconds"])
    scope = f" for {count} requests" if count else ""
    return _answer(
        request, {"fault": fault.value}, f"{request.match_info['provider']}: {fault}{scope}"
    )


async def _balance(request: web.Request) -> web.Response:
    fake = _fake(request)
    data = await _data(request)
    try:
        fake.balance = float(data.get("balance", "0"))
    except ValueError:
        raise web.HTTPBadRequest(text="The balance is a number") from None
    return _answer(
        request, {"balance": fake.balance}, f"{request.match_info['provider']}: balance set"
    )


async def _webhook(request: web.Request) -> web.Response:
    """Remember the webhook URL of this provider's entry, to prefill the page's push forms."""
    _fake(request)
    url = (await _data(request)).get("url", "").strip()
    if url and not url.startswith(("http://", "https://")):
        raise web.HTTPBadRequest(text="The webhook URL starts with http:// or https://")
    request.app["webhooks"][request.match_info["provider"]] = url
    return _answer(request, {"webhook_url": url})


async def _push(url: str, body: bytes, headers: dict[str, str]) -> int:
    try:
        async with (
            aiohttp.ClientSession(timeout=PUSH_TIMEOUT) as session,
            session.post(url, data=body, headers=headers) as response,
        ):
            return response.status
    except (aiohttp.ClientError, TimeoutError) as err:
        raise web.HTTPBadGateway(text=f"Push failed: {type(err).__name__}") from None


def _rows(items: list[dict[str, Any]]) -> str:
    if not items:
        return "<p><em>nothing yet</em></p>"
    cols = list(items[0])
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(i.get(c, '')))}</td>" for c in cols) + "</tr>"
        for i in items[-20:]
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _waiting(snap: dict[str, Any]) -> int | None:
    """Inbound SMS waiting for a poll (None: the provider has no inbound SMS)."""
    if "inbound_queue" in snap:  # 112088
        return len(snap["inbound_queue"])
    if "inbound" in snap:  # SMSMobileAPI: the phone keeps them, unread until fetched
        return sum(1 for sms in snap["inbound"] if not sms.get("read"))
    if "queued_inbound" in snap:  # Itniotech
        return int(snap["queued_inbound"])
    return None


def _webhook_field(url: str) -> str:
    return (
        'Push to webhook URL (clear it to wait for a poll) <input name="webhook_url" size="60" '
        f'placeholder="http://127.0.0.1:8123/api/webhook/…" value="{html.escape(url)}">'
    )


_ALSO_QUEUE = (
    '<label><input type="checkbox" name="also_queue" value="1" checked> also list it for '
    "polling, as the provider does</label>"
)

# Refreshes what changes (sent messages, balance, queues) without touching the forms.
_SCRIPT = """
setInterval(async () => {
  const page = await fetch(location.pathname).then(r => r.text()).catch(() => null);
  if (!page) return;
  const fresh = new DOMParser().parseFromString(page, "text/html");
  for (const el of document.querySelectorAll("[data-live]")) {
    const other = fresh.querySelector(`[data-live="${el.dataset.live}"]`);
    if (other && other.innerHTML !== el.innerHTML) el.innerHTML = other.innerHTML;
  }
}, 3000);
"""


def _section(key: str, fake: FakeProvider, origin: str, webhook_url: str) -> str:
    snap = fake.snapshot()
    sent = snap.get("sent", [])
    creds = ", ".join(f"{k}: <code>{html.escape(v)}</code>" for k, v in fake.credentials.items())
    faults = "".join(
        f'<option value="{f.value}"{" selected" if f is fake.state.fault else ""}>'
        f"{FAULT_LABELS[f]}</option>"
        for f in Fault
        if f is not Fault.CODE
    )
    waiting = _waiting(snap)
    pushes = key in ("smsmobileapi", "itniotech")
    parts = [
        f'<section id="{key}"><h2>{html.escape(fake.name)} <small>({key})</small></h2>',
        f"<p>API URL: <code>{html.escape(origin)}/{key}</code> — {creds}</p>",
        f'<p data-live="{key}-status">Balance: <b>{html.escape(str(snap.get("balance", "—")))}'
        f"</b> {html.escape(str(snap.get('unit', '')))} · Fault: <b>"
        f"{FAULT_LABELS[fake.state.fault]}</b> · Requests: {len(fake.state.requests)}"
        + ("" if waiting is None else f" · Inbound waiting for a poll: {waiting}")
        + "</p>",
        (
            f'<form method="post" action="/_sim/{key}/balance">Balance <input name="balance" '
            'size="6" required> <button>Set</button></form>'
        ),
        (
            f'<form method="post" action="/_sim/{key}/fault">Fault <select name="fault">{faults}'
            '</select> for <input name="count" size="3" placeholder="all"> requests '
            "<button>Apply</button></form>"
        ),
        f'<h3>Sent</h3><div data-live="{key}-sent">{len(sent)} message(s){_rows(sent)}</div>',
    ]
    if waiting is not None:
        parts.append(
            f'<h3>Deliver an inbound SMS</h3><form method="post" action="/_sim/{key}/inbound">'
            'From <input name="sender" value="+5215512345678"> Text <input name="text" '
            'value="HEAT ON"> '
            + (f"<br>{_webhook_field(webhook_url)} {_ALSO_QUEUE}<br>" if pushes else "")
            + "<button>Deliver</button></form>"
        )
    if key != "enviosms":
        parts.append(
            f'<h3>Delivery report</h3><form method="post" action="/_sim/{key}/report">'
            'Message id <input name="message_id" required> Recipient <input name="recipient"> '
            'Status <select name="status"><option>delivered</option><option>failed</option>'
            "<option>pending</option></select> "
            + (f"<br>{_webhook_field(webhook_url)}<br>" if key == "itniotech" else "")
            + "<button>Queue</button></form>"
        )
    parts.append("</section>")
    return "\n".join(parts)


async def _page(request: web.Request) -> web.Response:
    fakes: dict[str, FakeProvider] = request.app["fakes"]
    origin = str(request.url.origin())
    note = request.query.get("note", "")
    banner = f'<p class="note" role="status">{html.escape(note)}</p>' if note else ""
    webhooks: dict[str, str] = request.app["webhooks"]
    sections = "".join(
        _section(key, fake, origin, webhooks.get(key, "")) for key, fake in fakes.items()
    )
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>SMS gateway simulator</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:80em}}section{{border:1px solid #ccc;
padding:0 1em 1em;margin:1em 0;border-radius:8px}}table{{border-collapse:collapse;font-size:90%}}
td,th{{border:1px solid #ddd;padding:2px 6px}}form{{margin:.4em 0}}
.note{{background:#e8f4e8;border:1px solid #9c9;padding:.5em 1em;border-radius:4px}}</style>
</head><body><h1>SMS gateway simulator</h1>
<p>Four fake providers speaking their documented wire formats. Add an entry in Home Assistant with
the API URL and credentials shown for each (scripts/develop has already added one per provider).</p>
{banner}{sections}<script>{_SCRIPT}</script></body></html>"""
    return web.Response(text=page, content_type="text/html")
