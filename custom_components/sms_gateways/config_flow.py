"""Add and configure SMS gateway accounts.

The config flow: a menu of providers, a form each, reauth, reconfigure, options and contacts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any

from homeassistant.components import webhook
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.const import (
    CONF_NAME,
    CONF_SCAN_INTERVAL,
    CONF_URL,
    CONF_WEBHOOK_ID,
)
from homeassistant.core import callback
from homeassistant.data_entry_flow import AbortFlow
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.helpers.selector import (
    BooleanSelector,
    CountrySelector,
    CountrySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import phonenumbers
import voluptuous as vol

from .cloudhook import CONF_CLOUDHOOK_URL, async_create_cloudhook, async_delete_cloudhook
from .const import (
    CONF_BALANCE_THRESHOLD,
    CONF_DAILY_LIMIT,
    CONF_DEFAULT_COUNTRY,
    CONF_PHONE_NUMBER,
    CONF_PLAIN_CHARACTERS,
    CONF_POLL_INBOUND,
    CONF_PRIVATE_TEXT,
    CONF_PROVIDER,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    LOGGER,
    MAX_SCAN_INTERVAL,
    MIN_SCAN_INTERVAL,
    SUBENTRY_RECIPIENT,
)
from .data import SmsGatewaysConfigEntry
from .errors import flow_error
from .gateways import AccountInfo, GatewayError, InvalidNumberError
from .providers import PROVIDERS, Provider, create_gateway

_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_TEXT = TextSelector()
_URL = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
_REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)


def _title(form: Provider, account: AccountInfo, taken: set[str]) -> str:
    """Return the title: provider and account, e.g. "EnvioSMS (prueba)".

    The legacy notify service is named from it.

    Two entries must never share a title: they would share `notify.<title>`, and the second would
    take the first one's service over. A provider that names no account (SMSMobileAPI) gets a number.
    """
    title = form.name if account.name in ("", form.name) else f"{form.name} ({account.name})"
    candidate, number = title, 1
    while candidate in taken:
        number += 1
        candidate = f"{title} {number}"
    return candidate


def _fields_schema(
    form: Provider, fields: tuple[str, ...], values: Mapping[str, Any], *, with_url: bool
) -> vol.Schema:
    """Return a form for `fields`, prefilled from `values` (secrets are never prefilled)."""
    schema: dict[vol.Marker, Any] = {}
    for name in fields:
        secret = name in form.secret_fields
        default = None if secret else values.get(name)
        marker: type[vol.Marker] = vol.Optional if name in form.optional_fields else vol.Required
        key = (
            marker(name)
            if default in (None, "")
            else marker(name, description={"suggested_value": default})
        )
        schema[key] = _PASSWORD if secret else _TEXT
    if with_url:
        schema[
            vol.Optional(CONF_URL, description={"suggested_value": values.get(CONF_URL)})
            if values.get(CONF_URL)
            else vol.Optional(CONF_URL, default=form.gateway.default_url)
        ] = _URL
    return vol.Schema(schema)


def _clean(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Strip white space pasted around credentials; drop empty optional fields."""
    return {
        key: value.strip() if isinstance(value, str) else value
        for key, value in user_input.items()
        if not (isinstance(value, str) and not value.strip())
    }


class SmsGatewaysConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add an SMS gateway account."""

    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        """Start with nothing chosen yet."""
        # What the webhook step shows, then saves: new entry data, or a reconfigured entry's.
        self._pending: dict[str, Any] | None = None
        self._pending_title = ""
        self._pending_unique_id: str | None = None

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: SmsGatewaysConfigEntry) -> OptionsFlow:
        """Return the options flow: polling, numbers and balance settings."""
        return SmsGatewaysOptionsFlow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Return the subentry types: saved contacts, each a notify entity."""
        return {SUBENTRY_RECIPIENT: RecipientSubentryFlow}

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Pick the provider."""
        return self.async_show_menu(step_id="user", menu_options=list(PROVIDERS))

    def __getattr__(
        self, name: str
    ) -> Callable[[dict[str, Any] | None], Awaitable[ConfigFlowResult]]:
        """Return the form step of the provider the menu option `name` names.

        Home Assistant calls `async_step_<menu option>`; every provider's step is the same form
        drawn from its `PROVIDERS` entry, so a new provider needs no method here.
        """
        provider = name.removeprefix("async_step_")
        if provider == name or provider not in PROVIDERS:
            raise AttributeError(name)
        return partial(self._async_provider_step, provider)

    async def _async_validate(
        self, data: dict[str, Any], errors: dict[str, str]
    ) -> AccountInfo | None:
        """Ask the provider whether `data` works; fill `errors` if not."""
        try:
            return await create_gateway(self.hass, data).async_validate()
        except GatewayError as err:
            errors["base"] = flow_error(err)
            if errors["base"] == "unknown":
                LOGGER.warning("Validation failed: %s", err)
        except Exception:  # noqa: BLE001
            # The user sees "unknown"; the traceback goes to the log (no secret is in it:
            # the gateways never put one in an exception).
            LOGGER.exception("Unexpected error validating the credentials")
            errors["base"] = "unknown"
        return None

    async def _async_provider_step(
        self, provider: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        form = PROVIDERS[provider]
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {CONF_PROVIDER: provider, **_clean(user_input)}
            data.setdefault(CONF_URL, form.gateway.default_url)
            if (account := await self._async_validate(data, errors)) is not None:
                await self.async_set_unique_id(f"{provider}_{account.account_id}")
                self._abort_if_unique_id_configured()
                taken = {entry.title for entry in self._async_current_entries()}
                title = _title(form, account, taken)
                if form.gateway.capabilities.webhook:
                    data[CONF_WEBHOOK_ID] = webhook.async_generate_id()
                    self._pending, self._pending_title = data, title
                    return await self.async_step_webhook()
                return self.async_create_entry(title=title, data=data)
        return self.async_show_form(
            step_id=provider,
            data_schema=self.add_suggested_values_to_schema(
                _fields_schema(form, form.fields, {}, with_url=True), user_input or {}
            ),
            errors=errors,
            description_placeholders={
                "provider": form.name,
                "default_url": form.gateway.default_url,
            },
        )

    async def async_step_webhook(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show where the provider must push to, then save the entry."""
        assert self._pending is not None
        if user_input is not None:
            if self.source == SOURCE_RECONFIGURE:
                assert self._pending_unique_id is not None
                return self._async_update_entry(
                    self._get_reconfigure_entry(), self._pending, self._pending_unique_id
                )
            return self.async_create_entry(title=self._pending_title, data=self._pending)
        return self.async_show_form(
            step_id="webhook",
            data_schema=vol.Schema({}),
            description_placeholders={
                "provider": PROVIDERS[self._pending[CONF_PROVIDER]].name,
                "webhook_url": await self._async_webhook_url(self._pending),
            },
        )

    async def _async_webhook_url(self, data: dict[str, Any]) -> str:
        """Return the URL the provider must push to: the cloudhook with Home Assistant Cloud.

        The cloudhook is made here, not at setup, so that the user copies the URL that will
        actually be used; it is saved with the entry (setup reuses it) or dropped if the flow
        is abandoned.
        """
        webhook_id: str = data[CONF_WEBHOOK_ID]
        if url := data.get(CONF_CLOUDHOOK_URL):
            return str(url)
        # None without a subscription, or while the cloud is not connected: the local URL.
        if (url := await async_create_cloudhook(self.hass, webhook_id)) is not None:
            data[CONF_CLOUDHOOK_URL] = url
            return url
        try:
            return webhook.async_generate_url(self.hass, webhook_id)
        except NoURLAvailableError:
            # No address is known yet: the path, to put after the user's external address.
            return webhook.async_generate_path(webhook_id)

    @callback
    def async_remove(self) -> None:
        """Delete a cloudhook the ended flow made that no entry kept."""
        if self._pending is None or (url := self._pending.get(CONF_CLOUDHOOK_URL)) is None:
            return
        if any(
            entry.data.get(CONF_CLOUDHOOK_URL) == url
            for entry in self.hass.config_entries.async_entries(DOMAIN)
        ):
            return
        self.hass.async_create_task(
            async_delete_cloudhook(self.hass, self._pending[CONF_WEBHOOK_ID]),
            "sms_gateways drop unused cloudhook",
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Ask for new secrets: the provider rejected the credentials."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask only for the secrets the provider checks."""
        entry = self._get_reauth_entry()
        form = PROVIDERS[entry.data[CONF_PROVIDER]]
        secrets = tuple(f for f in form.secret_fields if f not in form.unvalidated_fields)
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, **_clean(user_input)}
            if (account := await self._async_validate(data, errors)) is not None:
                unique_id = f"{form.key}_{account.account_id}"
                if (refusal := self._async_check_account(entry, form, unique_id)) is not None:
                    return refusal
                return self._async_update_entry(entry, data, unique_id)
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=_fields_schema(form, secrets, {}, with_url=False),
            errors=errors,
            description_placeholders={"provider": form.name, "account": entry.title},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change any field: url, sender id, credentials."""
        entry = self._get_reconfigure_entry()
        form = PROVIDERS[entry.data[CONF_PROVIDER]]
        errors: dict[str, str] = {}
        if user_input is not None:
            # A secret left empty keeps its stored value; any other field left empty is cleared
            # (the URL then goes back to the provider's default).
            kept = {
                key: value
                for key, value in entry.data.items()
                if key in form.secret_fields
                or (key not in form.fields and key != CONF_URL)  # provider, webhook id ...
            }
            data = {**kept, **_clean(user_input)}
            data.setdefault(CONF_URL, form.gateway.default_url)
            if (account := await self._async_validate(data, errors)) is not None:
                unique_id = f"{form.key}_{account.account_id}"
                if (refusal := self._async_check_account(entry, form, unique_id)) is not None:
                    return refusal
                if form.gateway.capabilities.webhook:
                    # The URL again, for a user who changes the provider's dashboard too.
                    self._pending, self._pending_unique_id = data, unique_id
                    return await self.async_step_webhook()
                return self._async_update_entry(entry, data, unique_id)
        schema = _fields_schema(
            form, form.fields, entry.data if user_input is None else user_input, with_url=True
        )
        # Secrets may stay empty here: the stored ones are kept.
        schema = vol.Schema(
            {
                (vol.Optional(key.schema) if key.schema in form.secret_fields else key): value
                for key, value in schema.schema.items()
            }
        )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=schema,
            errors=errors,
            description_placeholders={"provider": form.name, "account": entry.title},
        )

    def _async_check_account(
        self, entry: ConfigEntry, form: Provider, unique_id: str
    ) -> ConfigFlowResult | None:
        """Refuse credentials of another account; None if they are this entry's."""
        if unique_id == entry.unique_id:
            return None
        if not form.account_from_secret:
            return self.async_abort(reason="unique_id_mismatch")
        # A new key for the same phone: the id moves with it, unless it is another entry's.
        if self.hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, unique_id):
            return self.async_abort(reason="already_configured")
        return None

    def _async_update_entry(
        self, entry: ConfigEntry, data: dict[str, Any], unique_id: str
    ) -> ConfigFlowResult:
        """Save new data for the same account and reload the entry.

        A loaded entry is reloaded by its update listener when something changed; an entry that
        failed to set up has no listener, and one whose data did not change is not notified, so
        those are reloaded here. (Not `async_update_reload_and_abort`: together with an update
        listener it reloads twice, and Home Assistant refuses that pairing from 2026.12.)
        """
        was_loaded = entry.state is ConfigEntryState.LOADED
        changed = self.hass.config_entries.async_update_entry(entry, data=data, unique_id=unique_id)
        if not (was_loaded and changed):
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return self.async_abort(
            reason="reconfigure_successful"
            if self.source == SOURCE_RECONFIGURE
            else "reauth_successful"
        )


class SmsGatewaysOptionsFlow(OptionsFlow):
    """Edit an entry's options.

    Polling interval, inbound polling, default country, low-balance threshold, daily limit.
    """

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show one form; what the provider cannot do is not asked."""
        if user_input is not None:
            return self.async_create_entry(data=user_input)
        caps = PROVIDERS[self.config_entry.data[CONF_PROVIDER]].gateway.capabilities
        schema: dict[vol.Marker, Any] = {
            vol.Required(CONF_SCAN_INTERVAL, default=DEFAULT_SCAN_INTERVAL): vol.All(
                NumberSelector(
                    NumberSelectorConfig(
                        min=MIN_SCAN_INTERVAL,
                        max=MAX_SCAN_INTERVAL,
                        step=1,
                        mode=NumberSelectorMode.BOX,
                        unit_of_measurement="s",
                    )
                ),
                vol.Coerce(int),
            ),
        }
        if caps.poll_inbound:
            schema[vol.Required(CONF_POLL_INBOUND, default=True)] = BooleanSelector()
        schema[vol.Optional(CONF_DEFAULT_COUNTRY)] = CountrySelector(
            CountrySelectorConfig(countries=_REGIONS)
        )
        if caps.balance:
            schema[vol.Required(CONF_BALANCE_THRESHOLD, default=0)] = NumberSelector(
                NumberSelectorConfig(min=0, step="any", mode=NumberSelectorMode.BOX)
            )
        schema[vol.Required(CONF_DAILY_LIMIT, default=0)] = vol.All(
            NumberSelector(NumberSelectorConfig(min=0, step=1, mode=NumberSelectorMode.BOX)),
            vol.Coerce(int),
        )
        schema[vol.Required(CONF_PLAIN_CHARACTERS, default=False)] = BooleanSelector()
        schema[vol.Required(CONF_PRIVATE_TEXT, default=False)] = BooleanSelector()
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(schema), self.config_entry.options
            ),
        )


class RecipientSubentryFlow(ConfigSubentryFlow):
    """Add or edit a saved contact.

    A saved contact: a name and a number the entry's provider can reach; editable.
    """

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Ask for a name and a number.

        The number is checked and stored in international form.
        """
        entry = self._get_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            contact = self._contact(entry, user_input, errors)
            if contact is not None:
                name, number = contact
                return self.async_create_entry(
                    title=name,
                    data={CONF_NAME: name, CONF_PHONE_NUMBER: number},
                    unique_id=number,
                )
        return self._form("user", entry, user_input or {}, errors)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a contact's name or number, checked as when it was added."""
        entry = self._get_entry()
        subentry = self._get_reconfigure_subentry()
        errors: dict[str, str] = {}
        if user_input is not None:
            contact = self._contact(entry, user_input, errors, editing=subentry.subentry_id)
            if contact is not None:
                name, number = contact
                return self.async_update_and_abort(
                    entry,
                    subentry,
                    title=name,
                    data={CONF_NAME: name, CONF_PHONE_NUMBER: number},
                    unique_id=number,
                )
        return self._form("reconfigure", entry, user_input or dict(subentry.data), errors)

    def _contact(
        self,
        entry: ConfigEntry,
        user_input: dict[str, Any],
        errors: dict[str, str],
        *,
        editing: str | None = None,
    ) -> tuple[str, str] | None:
        """Return the contact's name and international number, or None with `errors`.

        A number that is already another contact's aborts the flow (`already_configured`).
        """
        gateway = create_gateway(self.hass, entry.data, entry.options)
        try:
            (number,) = gateway.numbers((user_input[CONF_PHONE_NUMBER],)).values()
        except InvalidNumberError:
            number = None
        if number is None:
            errors[CONF_PHONE_NUMBER] = "invalid_phone_number"
            return None
        name = user_input[CONF_NAME].strip() or number
        others = [
            sub
            for sub in entry.subentries.values()
            if sub.subentry_type == SUBENTRY_RECIPIENT and sub.subentry_id != editing
        ]
        if any(sub.data.get(CONF_PHONE_NUMBER) == number for sub in others):
            raise AbortFlow("already_configured")
        # Names are how actions address contacts: two alike could not be told apart.
        if any(str(sub.data.get(CONF_NAME, "")).casefold() == name.casefold() for sub in others):
            errors[CONF_NAME] = "name_in_use"
            return None
        return name, number

    def _form(
        self,
        step_id: str,
        entry: ConfigEntry,
        values: Mapping[str, Any],
        errors: dict[str, str],
    ) -> SubentryFlowResult:
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(
                    {
                        vol.Required(CONF_NAME): _TEXT,
                        vol.Required(CONF_PHONE_NUMBER): TextSelector(
                            TextSelectorConfig(type=TextSelectorType.TEL)
                        ),
                    }
                ),
                values,
            ),
            errors=errors,
            description_placeholders={"provider": PROVIDERS[entry.data[CONF_PROVIDER]].name},
        )
