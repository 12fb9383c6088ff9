"""The typed errors every device client raises, and nothing else."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .snapshot import DeviceIdentity


class DeviceError(Exception):
    """Base of every error a device client raises."""


class CannotConnect(DeviceError):
    """The device could not be reached, timed out, or has gone silent."""


class AuthenticationFailed(DeviceError):
    """The device refused the credentials, or its API is disabled."""


class ApiDisabled(AuthenticationFailed):
    """The device's local API is switched off (in its app)."""


class AuthenticationRequired(AuthenticationFailed):
    """The device has authentication enabled and no credentials were given.

    It carries what the device told without credentials, so a flow can recognise the device first.
    """

    def __init__(self, message: str, identity: DeviceIdentity | None = None) -> None:
        super().__init__(message)
        self.identity = identity


class WrongDevice(DeviceError):
    """Another device answers at the configured address (for example after a DHCP lease moved)."""


class InvalidResponse(DeviceError):
    """The device answered with something that could not be parsed."""


class EndpointMissing(InvalidResponse):
    """The device answered HTTP 404: it has no such endpoint (an older firmware, or an optional feature)."""


class UnsupportedModel(DeviceError):
    """The device is reachable but not a model this family supports."""


class FirmwareTooOld(UnsupportedModel):
    """A supported model whose firmware lacks the local API the client needs; an update brings it."""


class CommandRejected(DeviceError):
    """A write was refused, before sending (bounds, rate limit) or by the device.

    reason names the rule that refused it, so Home Assistant can say so in the user's language;
    placeholders fill that message.
    """

    def __init__(
        self, message: str, *, reason: str | None = None, placeholders: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.placeholders = dict(placeholders or {})
