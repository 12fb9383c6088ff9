"""Write translations/en.json from strings.json; with --check, also check every other language.

Core integrations get en.json from Home Assistant's build; a custom integration ships it resolved. The few
common strings strings.json refers to ([%key:common::...%]) are pinned below, as Home Assistant 2026.2.3
words them, so en.json is the same whichever Home Assistant is installed.

--check fails when en.json is out of date, or when a language lacks a string, has one en.json does not,
leaves one empty or unresolved, or uses other placeholders than English ({name} and the like).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

INTEGRATION = Path(__file__).parents[1] / "custom_components" / "local_energy"
LANGUAGES = ("de", "nl", "fr", "it", "sl")
REFERENCE = re.compile(r"\[%key:([a-z0-9_:]+)%\]")
PLACEHOLDER = re.compile(r"\{(\w+)\}")
COMMON = {
    "common::config_flow::data::host": "Host",
    "common::config_flow::data::port": "Port",
    "common::config_flow::data::username": "Username",
    "common::config_flow::data::password": "Password",
    "common::config_flow::error::cannot_connect": "Failed to connect",
    "common::config_flow::error::invalid_auth": "Invalid authentication",
    "common::config_flow::error::unknown": "Unexpected error",
    "common::config_flow::abort::already_configured_device": "Device is already configured",
    "common::config_flow::abort::reauth_successful": "Re-authentication was successful",
    "common::config_flow::abort::reconfigure_successful": "Re-configuration was successful",
}


def _lookup(own: dict[str, Any], path: str) -> str:
    if path.startswith("common::"):
        if path not in COMMON:
            raise KeyError(f"[%key:{path}%] is not pinned in scripts/translations.py COMMON")
        return COMMON[path]
    node: Any = own
    for part in path.split("::"):
        node = node[part]
    if not isinstance(node, str):
        raise TypeError(f"[%key:{path}%] is not a string")
    return node


def resolve(node: Any, own: dict[str, Any]) -> Any:
    """Replace every reference in a strings tree by the text it points to."""
    if isinstance(node, dict):
        return {key: resolve(value, own) for key, value in node.items()}
    if isinstance(node, str):
        return REFERENCE.sub(lambda match: _lookup(own, match[1]), node)
    return node


def render() -> str:
    """The text en.json should hold."""
    own = json.loads((INTEGRATION / "strings.json").read_text(encoding="utf-8"))
    return json.dumps(resolve(own, own), indent=2, ensure_ascii=False) + "\n"


def leaves(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every string of a translations tree with its path (config/step/user/title)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, f"{path}/{key}" if path else key)
    else:
        yield path, node


def language_problems(english: dict[str, Any], language: str) -> list[str]:
    """What is wrong with one language's file, measured against en.json."""
    target = INTEGRATION / "translations" / f"{language}.json"
    if not target.exists():
        return [f"{language}.json is missing"]
    return compare(english, json.loads(target.read_text(encoding="utf-8")), language)


def compare(english: dict[str, Any], translated: dict[str, Any], language: str) -> list[str]:
    """What a translation lacks, adds, leaves empty or unresolved, or words with other placeholders."""
    wanted = dict(leaves(english))
    found = dict(leaves(translated))
    problems = [f"{language}: missing {path}" for path in wanted.keys() - found.keys()]
    problems += [f"{language}: {path} is not in en.json" for path in found.keys() - wanted.keys()]
    for path in wanted.keys() & found.keys():
        text = found[path]
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{language}: {path} is empty")
        elif REFERENCE.search(text):
            problems.append(f"{language}: {path} holds an unresolved reference")
        elif set(PLACEHOLDER.findall(text)) != set(PLACEHOLDER.findall(wanted[path])):
            problems.append(f"{language}: {path} has placeholders other than English's")
    return sorted(problems)


def problems() -> list[str]:
    """Everything --check reports."""
    found: list[str] = []
    wanted = render()
    if (INTEGRATION / "translations" / "en.json").read_text(encoding="utf-8") != wanted:
        found.append("translations/en.json is out of date: run scripts/translations.py")
    english = json.loads(wanted)
    for language in LANGUAGES:
        found += language_problems(english, language)
    return found


def main() -> int:
    """Write en.json, or with --check report what is out of date or incomplete."""
    if "--check" in sys.argv:
        found = problems()
        for problem in found:
            print(problem, file=sys.stderr)
        return 1 if found else 0
    (INTEGRATION / "translations" / "en.json").write_text(render(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
