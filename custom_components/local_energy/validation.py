"""The schema library of the running Home Assistant.

Newer Home Assistant validates with probatio, which keeps voluptuous's interface and also answers to the
name voluptuous; older releases use voluptuous itself. Forms are built with whichever is there, so the
type checker sees the same classes as the flow manager on either version.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    if sys.version_info >= (3, 14):
        import probatio as vol
    else:
        import voluptuous as vol
else:
    try:
        import probatio as vol
    except ImportError:
        import voluptuous as vol

__all__ = ["vol"]
