"""Drive a real Home Assistant through its REST and websocket APIs only.

Used by `scripts/seed_entries.py` (one entry per provider against the simulator for
`scripts/develop`) and by the end-to-end test.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

CLIENT_ID = "http://localhost:8123/"
USER = {"name": "Developer", "username": "dev", "password": "dev", "language": "en"}
TIMEOUT = aiohttp.ClientTimeout(total=30)

# The simulator's default accounts (tests/fakes/*.py), as the config flow asks for them.
CREDENTIALS: dict[str, dict[str, str]] = {
    "enviosms": {"username": "prueba", "password": "prueba-password"},
    "duanxintong": {"username": "demo", "password": "demo-password"},
    "smsmobileapi": {
        "api_key": "demo-smsmobileapi-key-0123456789",
        "webhook_secret": "demo-smsmobileapi-webhook-secret",
    },
    "itniotech": {"api_key": "bDqJFiq9", "api_secret": "demo-api-secret", "app_id": "demo-app"},
}


class HomeAssistantApi:
    """An authenticated REST and websocket client of one Home Assistant."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        """`base` is e.g. http://127.0.0.1:8123."""
        self.session = session
        self.base = base.rstrip("/")
        self.token: str | None = None
        # The whole token answer (a browser test hands it to the frontend).
        self.tokens: dict[str, Any] = {}
        # provider -> the webhook URL its config flow showed.
        self.webhook_urls: dict[str, str] = {}

    async def wait_until_up(self, seconds: float = 120) -> None:
        """Poll until the HTTP server answers."""
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            try:
                async with self.session.get(f"{self.base}/manifest.json") as response:
                    if response.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("Home Assistant did not start")
            await asyncio.sleep(0.5)

    async def login(self) -> None:
        """Onboard (first run) or sign in as the developer user."""
        async with self.session.get(f"{self.base}/api/onboarding") as response:
            # Once onboarding is complete its API is gone (404).
            steps = await response.json() if response.status == 200 else None
        if steps is not None and not any(s["step"] == "user" and s["done"] for s in steps):
            async with self.session.post(
                f"{self.base}/api/onboarding/users", json={"client_id": CLIENT_ID, **USER}
            ) as response:
                code = (await response.json())["auth_code"]
        else:
            code = await self._login_flow()
        async with self.session.post(
            f"{self.base}/auth/token",
            data={"grant_type": "authorization_code", "code": code, "client_id": CLIENT_ID},
        ) as response:
            self.tokens = await response.json()
            self.token = self.tokens["access_token"]
        if steps is None:
            return
        for step, body in (
            ("core_config", {}),
            ("analytics", {}),
            ("integration", {"client_id": CLIENT_ID, "redirect_uri": CLIENT_ID}),
        ):
            async with self.session.post(
                f"{self.base}/api/onboarding/{step}", json=body, headers=self.headers
            ) as response:
                await response.read()

    async def _login_flow(self) -> str:
        async with self.session.post(
            f"{self.base}/auth/login_flow",
            json={
                "client_id": CLIENT_ID,
                "handler": ["homeassistant", None],
                "redirect_uri": CLIENT_ID,
            },
        ) as response:
            flow = await response.json()
        async with self.session.post(
            f"{self.base}/auth/login_flow/{flow['flow_id']}",
            json={
                "client_id": CLIENT_ID,
                "username": USER["username"],
                "password": USER["password"],
            },
        ) as response:
            return str((await response.json())["result"])

    @property
    def headers(self) -> dict[str, str]:
        """The bearer token."""
        return {"Authorization": f"Bearer {self.token}"}

    async def request(self, method: str, path: str, body: Any = None) -> Any:
        """One authenticated REST call; its JSON answer."""
        async with self.session.request(
            method, f"{self.base}{path}", json=body, headers=self.headers, timeout=TIMEOUT
        ) as response:
            if response.status >= 400:
                raise RuntimeError(
                    f"{method} {path}: HTTP {response.status} {await response.text()}"
                )
            return await response.json() if response.content_type == "application/json" else None

    async def entries(self) -> list[dict[str, Any]]:
        """This integration's config entries."""
        entries = await self.request("GET", "/api/config/config_entries/entry")
        return [e for e in entries if e["domain"] == "sms_gateways"]

    async def add_entry(self, provider: str, url: str) -> dict[str, Any]:
        """Run the config flow: menu → provider form → (webhook step) → entry."""
        flow = await self.request(
            "POST", "/api/config/config_entries/flow", {"handler": "sms_gateways"}
        )
        path = f"/api/config/config_entries/flow/{flow['flow_id']}"
        result = await self.request("POST", path, {"next_step_id": provider})
        result = await self.request("POST", path, {**CREDENTIALS[provider], "url": url})
        if result.get("step_id") == "webhook":
            # Shown with the machine's address: keep only the path, on this client's base.
            shown = result["description_placeholders"]["webhook_url"]
            self.webhook_urls[provider] = f"{self.base}/api/{shown.split('/api/', 1)[1]}"
            result = await self.request("POST", path, {})
        if result.get("type") != "create_entry":
            raise RuntimeError(f"{provider}: the flow ended with {result}")
        return dict(result["result"])

    async def add_contact(self, entry_id: str, name: str, number: str) -> str:
        """Save a contact (a `recipient` subentry) through its flow; its notify entity's id."""
        flow = await self.request(
            "POST",
            "/api/config/config_entries/subentries/flow",
            {"handler": [entry_id, "recipient"]},
        )
        result = await self.request(
            "POST",
            f"/api/config/config_entries/subentries/flow/{flow['flow_id']}",
            {"name": name, "phone_number": number},
        )
        if result.get("type") != "create_entry":
            raise RuntimeError(f"contact {name}: the flow ended with {result}")
        # The entry reloads with its new contact: wait for the contact's entity.
        deadline = asyncio.get_running_loop().time() + 60
        while asyncio.get_running_loop().time() < deadline:
            for entity_id, state in (await self.states()).items():
                if entity_id.startswith("notify.") and (
                    state["attributes"].get("friendly_name") == name
                ):
                    return entity_id
            await asyncio.sleep(0.5)
        raise TimeoutError(f"no notify entity for the contact {name}")

    async def set_options(self, entry_id: str, options: dict[str, Any]) -> None:
        """Run the entry's options flow with `options`."""
        flow = await self.request(
            "POST", "/api/config/config_entries/options/flow", {"handler": entry_id}
        )
        await self.request(
            "POST", f"/api/config/config_entries/options/flow/{flow['flow_id']}", options
        )

    async def wait_entries_loaded(self, seconds: float = 120) -> None:
        """Until every entry of ours is loaded (its webhook registered, its first poll done).

        Home Assistant answers 200 to a webhook nobody registered yet and drops the body, so a
        push sent while it is still starting is lost unless polling fetches it later.
        """
        deadline = asyncio.get_running_loop().time() + seconds
        while asyncio.get_running_loop().time() < deadline:
            entries = await self.entries()
            # Entries are read from storage before the HTTP server starts: none means none.
            if all(e["state"] == "loaded" for e in entries):
                return
            await asyncio.sleep(0.5)
        raise TimeoutError(f"entries not loaded: {[e['state'] for e in await self.entries()]}")

    async def wait_running(self, seconds: float = 120) -> None:
        """Until Home Assistant has started (a stop while it starts may skip its final writes)."""
        deadline = asyncio.get_running_loop().time() + seconds
        while asyncio.get_running_loop().time() < deadline:
            if (await self.request("GET", "/api/config")).get("state") == "RUNNING":
                return
            await asyncio.sleep(0.2)
        raise TimeoutError("Home Assistant did not finish starting")

    async def fired_messages(self, entry_id: str) -> int | None:
        """Inbound messages the entry fired since Home Assistant started (None: not loaded yet)."""
        try:
            data = await self.request("GET", f"/api/diagnostics/config_entry/{entry_id}")
        except RuntimeError:
            return None
        inbox = (data.get("data") or {}).get("inbox")
        # None while the entry reloads (its inbox is being replaced).
        return int(inbox["fired_messages"]) if inbox else None

    async def states(self) -> dict[str, dict[str, Any]]:
        """Every state by entity id."""
        return {s["entity_id"]: s for s in await self.request("GET", "/api/states")}

    async def _websocket(self) -> aiohttp.ClientWebSocketResponse:
        ws = await self.session.ws_connect(f"{self.base}/api/websocket")
        await ws.receive_json(timeout=30)
        await ws.send_json({"type": "auth", "access_token": self.token})
        if (answer := await ws.receive_json(timeout=30))["type"] != "auth_ok":
            await ws.close()
            raise RuntimeError(f"websocket: {answer}")
        return ws

    async def ws_command(self, message: dict[str, Any]) -> Any:
        """One websocket command (e.g. `integration/setup_info`); its result, or an error."""
        ws = await self._websocket()
        try:
            await ws.send_json({"id": 1, **message})
            answer = await ws.receive_json(timeout=60)
        finally:
            await ws.close()
        if not answer.get("success"):
            raise RuntimeError(f"{message['type']}: {answer}")
        return answer["result"]

    async def events(self, event_type: str) -> EventStream:
        """Subscribe to a bus event over the websocket API."""
        ws = await self._websocket()
        await ws.send_json({"id": 1, "type": "subscribe_events", "event_type": event_type})
        if not (answer := await ws.receive_json(timeout=30))["success"]:
            await ws.close()
            raise RuntimeError(f"subscribe_events: {answer}")
        return EventStream(ws)

    async def call_service(
        self, domain: str, service: str, data: dict[str, Any], *, return_response: bool = False
    ) -> dict[str, Any]:
        """Call an action over the websocket API, as the frontend and automations' editor do.

        Returns the `result` message: `{"success": True, "result": …}` or `{"success": False,
        "error": {"code", "message", "translation_key", …}}` (the REST API answers an action's
        error with HTTP 500 and a logged traceback instead).
        """
        ws = await self._websocket()
        try:
            await ws.send_json(
                {
                    "id": 1,
                    "type": "call_service",
                    "domain": domain,
                    "service": service,
                    "service_data": data,
                    "return_response": return_response,
                }
            )
            while True:
                message = await ws.receive_json(timeout=60)
                if message.get("id") == 1 and message.get("type") == "result":
                    return dict(message)
        finally:
            await ws.close()


class EventStream:
    """Events received on a websocket subscription."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Read from `ws`."""
        self.ws = ws
        self.received: list[dict[str, Any]] = []

    async def wait_for(self, count: int, seconds: float = 30) -> list[dict[str, Any]]:
        """Until `count` events in all have arrived (or time is up)."""
        deadline = asyncio.get_running_loop().time() + seconds
        while len(self.received) < count:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            try:
                frame = await self.ws.receive(timeout=remaining)
            except TimeoutError:
                break
            if frame.type is not aiohttp.WSMsgType.TEXT:
                break  # closed: Home Assistant stopped
            message = frame.json()
            if message.get("type") == "event":
                self.received.append(message["event"]["data"])
        return self.received

    async def close(self) -> None:
        """Unsubscribe."""
        await self.ws.close()


async def simulator(
    session: aiohttp.ClientSession, base: str, path: str, body: dict[str, Any] | None = None
) -> Any:
    """GET (no body) or POST JSON to the simulator's `/_sim/…` controls; its JSON answer."""
    method = "GET" if body is None else "POST"
    async with session.request(method, f"{base}{path}", json=body, timeout=TIMEOUT) as response:
        if response.status >= 400:
            raise RuntimeError(f"{method} {path}: HTTP {response.status} {await response.text()}")
        return await response.json()
