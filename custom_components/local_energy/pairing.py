"""Pairing: access a device grants when the user presses its button, asked for until then."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.const import CONF_HOST

from .const import LOGGER
from .devices.errors import DeviceError
from .devices.family import Family
from .transports import make_client

PAIRING_TIMEOUT = 60.0
"""Seconds the user has to press the device's button."""
PAIRING_INTERVAL = 1.0


class PairingSteps(ConfigFlow):
    """The config flow's steps that wait for the button press (the flow sets the family and the data)."""

    _family: Family[Any]
    _data: dict[str, Any]
    _pairing: asyncio.Task[Mapping[str, str] | None] | None = None

    async def async_step_pair(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Keep asking the device for access while the user presses its button."""
        if self._pairing is None:
            self._pairing = self.hass.async_create_task(self._async_wait_for_access())
        if not self._pairing.done():
            return self.async_show_progress(
                step_id="pair",
                progress_action="pair",
                progress_task=self._pairing,
                description_placeholders={"host": self._data[CONF_HOST]},
            )
        granted, self._pairing = self._pairing.result(), None
        if granted is None:
            return self.async_show_progress_done(next_step_id="pair_timeout")
        self._data.update(granted)
        return self.async_show_progress_done(next_step_id="pair_finish")

    async def _async_wait_for_access(self) -> Mapping[str, str] | None:
        client = make_client(self.hass, self._family, self._data)
        try:
            async with asyncio.timeout(PAIRING_TIMEOUT):
                while True:
                    try:
                        if (granted := await client.pair()) is not None:
                            return granted
                    except DeviceError as err:
                        LOGGER.debug("Asking %s for access failed: %s", self._data[CONF_HOST], err)
                    await asyncio.sleep(PAIRING_INTERVAL)
        except TimeoutError:
            return None
        finally:
            await client.close()

    async def async_step_pair_timeout(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Nobody pressed the button in time: offer to try again."""
        if user_input is not None:
            return await self.async_step_pair()
        return self.async_show_form(
            step_id="pair_timeout", description_placeholders={"host": self._data[CONF_HOST]}
        )
