"""Build a release: the zip HACS installs and the release notes, for a tag vX.Y.Z.

Usage: python3 scripts/release.py vX.Y.Z OUT_DIR

Checks that the tag is the manifest's version and that CHANGELOG.md has a section for it; then writes
OUT_DIR/local_energy.zip (the integration's folder contents, as HACS unpacks it into
custom_components/local_energy, without caches) and OUT_DIR/notes.md (that section's text).
"""

from __future__ import annotations

import json
import re
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).parents[1]
INTEGRATION = ROOT / "custom_components" / "local_energy"
SKIPPED = {"__pycache__", ".mypy_cache", ".ruff_cache"}


def notes_for(version: str, changelog: str) -> str:
    """The text of a version's section of the changelog; ValueError when it has none."""
    match = re.search(rf"^## {re.escape(version)}\n(.*?)(?=^## |\Z)", changelog, re.MULTILINE | re.DOTALL)
    if match is None or not match.group(1).strip():
        raise ValueError(f"CHANGELOG.md has no section for {version}")
    return match.group(1).strip() + "\n"


def build(tag: str, out: Path) -> Path:
    """Check the tag against the manifest, write the zip and the notes; the zip's path."""
    version = tag.removeprefix("v")
    manifest = json.loads((INTEGRATION / "manifest.json").read_text(encoding="utf-8"))
    if manifest["version"] != version:
        raise ValueError(f"the tag {tag} is not the manifest's version {manifest['version']}")
    notes = notes_for(version, (ROOT / "CHANGELOG.md").read_text(encoding="utf-8"))
    out.mkdir(parents=True, exist_ok=True)
    (out / "notes.md").write_text(notes, encoding="utf-8")
    archive = out / "local_energy.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(INTEGRATION.rglob("*")):
            if path.is_file() and not SKIPPED & set(path.relative_to(INTEGRATION).parts):
                zipped.write(path, path.relative_to(INTEGRATION).as_posix())
    return archive


def main() -> None:
    """Build the release named on the command line."""
    tag, out = sys.argv[1], Path(sys.argv[2])
    try:
        archive = build(tag, out)
    except ValueError as err:
        sys.exit(str(err))
    print(f"{archive} ({archive.stat().st_size:,} bytes), notes in {out / 'notes.md'}")


if __name__ == "__main__":
    main()
