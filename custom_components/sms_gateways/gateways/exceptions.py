"""Define one error hierarchy for every gateway.

The Home Assistant side maps these classes to its own exceptions in one place, so a class says what
the caller can do about the failure, not which provider raised it. No message here ever carries a
credential: the clients build them from the provider's code and reason only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar


class GatewayError(Exception):
    """Signal a gateway failure.

    The base class of everything a gateway raises on purpose.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        reason: str | None = None,
    ) -> None:
        """Keep the provider's code and reason apart from the message."""
        super().__init__(message)
        self.code = code
        self.reason = reason


class AuthError(GatewayError):
    """Signal that the provider rejected the credentials: ask the user for new ones."""


class TemporaryError(GatewayError):
    """Signal a failure that is safe to try again later.

    Time-out, connection error, HTTP 5xx, or the provider is busy.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        reason: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Remember when the provider asked us to come back, if it said."""
        super().__init__(message, code=code, reason=reason)
        self.retry_after = retry_after


class RefusedError(GatewayError):
    """Signal that the provider refused the content, a number, or the account's state.

    For example no credit, or a locked account.
    """


class ProtocolError(GatewayError):
    """Signal that the provider's answer could not be understood."""


class UnsupportedError(GatewayError):
    """Signal that the provider has no such endpoint (no balance, no inbound polling ...)."""


class ValidationError(GatewayError):
    """Signal bad input caught before any request was made: nothing was sent.

    `key` names the problem for translations; `placeholders` fills its message.
    """

    key = "invalid_input"

    def __init__(self, message: str, placeholders: Mapping[str, str] | None = None) -> None:
        """Carry the values a translated message needs."""
        super().__init__(message)
        self.placeholders: dict[str, str] = dict(placeholders or {})


class EmptyMessageError(ValidationError):
    """Signal that the text is empty or only white space."""

    key = "empty_message"


class MessageTooLongError(ValidationError):
    """Signal that the text is longer than the provider accepts."""

    key = "message_too_long"


class InvalidNumberError(ValidationError):
    """Signal that a number cannot be put in the form the provider expects."""

    key = "invalid_number"


class AmbiguousNumberError(InvalidNumberError):
    """Signal digits that read as a national and as an international number.

    The user must say which.
    """

    key = "ambiguous_number"


class NoRecipientsError(ValidationError):
    """Signal that there is no number to send to."""

    key = "no_recipients"


# The send options, by their field names in the action.
OPTIONS = ("send_at", "flash", "unicode", "channel", "sender_id")


class _OptionError(ValidationError):
    """Signal an error about one option, with a key of its own per option.

    A translated message cannot translate a placeholder, so the option is named by the key
    (`unsupported_send_at`: "… cannot schedule …"), never by its field name in the text.
    """

    prefix: ClassVar[str] = ""
    # The options this error can be about (each has its key).
    options: ClassVar[tuple[str, ...]] = OPTIONS

    def __init__(self, message: str, placeholders: Mapping[str, str] | None = None) -> None:
        """Pick the key of the (first) option named in `placeholders["option"]`."""
        super().__init__(message, placeholders)
        option = self.placeholders.get("option", "").split(",")[0].strip()
        if self.prefix and option in self.options:
            self.key = f"{self.prefix}_{option}"

    @classmethod
    def keys(cls) -> list[str]:
        """Return every key this error can have."""
        if not cls.prefix:
            return [cls.key]
        return [cls.key, *(f"{cls.prefix}_{option}" for option in cls.options)]


class UnsupportedOptionError(_OptionError):
    """Signal an option this provider does not have.

    For example flash on 112088, WhatsApp on Itniotech ...
    """

    key = "unsupported_option"
    prefix = "unsupported"


class InvalidOptionError(_OptionError):
    """Signal an option with a value that cannot be used (a send time in the past ...)."""

    key = "invalid_option"
    prefix = "invalid"
    # A time in the past or without a zone; a sender id too long (Itniotech).
    options = ("send_at", "sender_id")


class PayloadError(GatewayError):
    """Signal a webhook body that is not a valid payload of this provider."""


class SignatureError(PayloadError):
    """Signal a webhook whose signature is missing, wrong, or too old."""
