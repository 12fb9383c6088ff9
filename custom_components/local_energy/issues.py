"""Repair issues: what the user must do on a device, or in its app, for its entry to work fully.

Errors that only the user can clear (the local API switched off, another device at the address, a firmware
without the local API) raise an issue while they last; notices from a working device (its broadcasts
switched off) raise a warning. Each issue belongs to one entry and goes when the cause has gone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_HOST
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import UpdateFailed

from .const import DOMAIN
from .devices.errors import ApiDisabled, AuthenticationFailed, DeviceError, FirmwareTooOld, WrongDevice
from .devices.snapshot import Notice

ERROR_ISSUES: tuple[tuple[type[DeviceError], str], ...] = (
    (ApiDisabled, "api_disabled"),
    (WrongDevice, "wrong_device"),
    (FirmwareTooOld, "firmware_too_old"),
)
NOTICE_ISSUES = ("push_not_received",)
CONTROLLER_ISSUE = "grid_sensor_too_slow"
PORT_ISSUE = "port_unavailable"
"""A served meter cannot listen on a port its form names."""


def issue_id(entry: ConfigEntry, key: str) -> str:
    """The id of an entry's issue of one kind."""
    return f"{entry.entry_id}_{key}"


def issue_for_error(err: DeviceError) -> str | None:
    """The issue an error calls for, if only the user can clear it."""
    return next((key for kind, key in ERROR_ISSUES if isinstance(err, kind)), None)


@callback
def async_raise_for_error(hass: HomeAssistant, entry: ConfigEntry, err: DeviceError) -> bool:
    """Raise the issue an error calls for; True when it called for one."""
    key = issue_for_error(err)
    if key is None:
        return False
    _create(hass, entry, key, ir.IssueSeverity.ERROR, {"error": str(err)})
    return True


@callback
def async_failure(
    hass: HomeAssistant,
    entry: ConfigEntry,
    err: DeviceError,
    retry: type[ConfigEntryNotReady | UpdateFailed],
) -> Exception:
    """What a device error means to Home Assistant, at setup (ConfigEntryNotReady) or at an update.

    Refused credentials start reauth; what only the user can clear raises its repair issue; all else, and
    that too, is retried.
    """
    if not async_raise_for_error(hass, entry, err) and isinstance(err, AuthenticationFailed):
        return ConfigEntryAuthFailed(
            translation_domain=DOMAIN,
            translation_key="authentication_failed",
            translation_placeholders={"error": str(err)},
        )
    return retry(
        translation_domain=DOMAIN,
        translation_key="communication_error",
        translation_placeholders={"error": str(err)},
    )


@callback
def async_clear_errors(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """The device answers as it should again: its error issues go."""
    for _, key in ERROR_ISSUES:
        ir.async_delete_issue(hass, DOMAIN, issue_id(entry, key))


@callback
def async_sync_notices(
    hass: HomeAssistant, entry: ConfigEntry, notices: Iterable[Notice], raised: frozenset[str]
) -> frozenset[str]:
    """Raise the notices not raised yet, delete those no longer given; returns the keys now raised."""
    current = {notice.key: notice for notice in notices if notice.key in NOTICE_ISSUES}
    for key in raised - current.keys():
        ir.async_delete_issue(hass, DOMAIN, issue_id(entry, key))
    for key in current.keys() - raised:
        _create(hass, entry, key, ir.IssueSeverity.WARNING, current[key].placeholders)
    return frozenset(current)


@callback
def async_sync_controller_issue(
    hass: HomeAssistant, entry: ConfigEntry, refused: bool, placeholders: Mapping[str, str]
) -> None:
    """A controller refusing its grid sensor (too slow) raises an issue that says why; it goes after."""
    if refused:
        _create(hass, entry, CONTROLLER_ISSUE, ir.IssueSeverity.ERROR, placeholders)
    else:
        ir.async_delete_issue(hass, DOMAIN, issue_id(entry, CONTROLLER_ISSUE))


@callback
def async_sync_port_issue(
    hass: HomeAssistant, entry: ConfigEntry, placeholders: Mapping[str, str] | None
) -> None:
    """A served meter's port that cannot be bound raises an issue naming it (None: all bound, it goes)."""
    if placeholders is not None:
        _create(hass, entry, PORT_ISSUE, ir.IssueSeverity.ERROR, placeholders)
    else:
        ir.async_delete_issue(hass, DOMAIN, issue_id(entry, PORT_ISSUE))


@callback
def async_remove_all(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """The entry is removed: so are its issues."""
    for key in (*(key for _, key in ERROR_ISSUES), *NOTICE_ISSUES, CONTROLLER_ISSUE, PORT_ISSUE):
        ir.async_delete_issue(hass, DOMAIN, issue_id(entry, key))


def _create(
    hass: HomeAssistant,
    entry: ConfigEntry,
    key: str,
    severity: ir.IssueSeverity,
    placeholders: Mapping[str, str],
) -> None:
    about = {"name": entry.title, "host": str(entry.data.get(CONF_HOST, ""))}
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(entry, key),
        is_fixable=False,
        is_persistent=False,
        severity=severity,
        translation_key=key,
        translation_placeholders=about | dict(placeholders),
    )
