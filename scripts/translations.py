"""Write translations/en.json from strings.json, resolving Home Assistant's [%key:...%] references.

Core integrations get this from Home Assistant's build; a custom integration ships the resolved file.
Run with --check to fail when en.json is out of date.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import homeassistant

INTEGRATION = Path(__file__).parents[1] / "custom_components" / "local_energy"
REFERENCE = re.compile(r"\[%key:([a-z0-9_:]+)%\]")


def _lookup(tree: dict[str, Any], path: str) -> str:
    node: Any = tree
    for part in path.split("::"):
        node = node[part]
    if not isinstance(node, str):
        raise TypeError(f"[%key:{path}%] is not a string")
    return node


def resolve(node: Any, common: dict[str, Any], own: dict[str, Any]) -> Any:
    """Replace every reference in a strings tree by the text it points to."""
    if isinstance(node, dict):
        return {key: resolve(value, common, own) for key, value in node.items()}
    if isinstance(node, str):
        return REFERENCE.sub(
            lambda match: _lookup(common if match[1].startswith("common::") else own, match[1]), node
        )
    return node


def render() -> str:
    """The text en.json should hold."""
    common = json.loads((Path(homeassistant.__file__).parent / "strings.json").read_text(encoding="utf-8"))
    own = json.loads((INTEGRATION / "strings.json").read_text(encoding="utf-8"))
    return json.dumps(resolve(own, common, own), indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    """Write en.json, or with --check tell whether it is current."""
    target = INTEGRATION / "translations" / "en.json"
    wanted = render()
    if "--check" in sys.argv:
        if target.read_text(encoding="utf-8") != wanted:
            print("translations/en.json is out of date: run scripts/translations.py", file=sys.stderr)
            return 1
        return 0
    target.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
