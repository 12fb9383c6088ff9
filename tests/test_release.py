"""The release build: the zip HACS installs holds the integration as its folder, the notes its changelog."""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "scripts"))

from release import INTEGRATION, build, notes_for


def test_the_zip_holds_the_integration_and_the_notes_the_changelog(tmp_path: Path) -> None:
    version = json.loads((INTEGRATION / "manifest.json").read_text(encoding="utf-8"))["version"]
    archive = build(f"v{version}", tmp_path)
    names = zipfile.ZipFile(archive).namelist()
    assert "manifest.json" in names  # HACS unpacks it into custom_components/local_energy
    assert "translations/de.json" in names
    assert "devices/shelly.py" in names
    assert not [name for name in names if "__pycache__" in name]
    with zipfile.ZipFile(archive) as zipped:
        assert json.loads(zipped.read("manifest.json"))["version"] == version
    assert (tmp_path / "notes.md").read_text(encoding="utf-8").strip()


def test_a_tag_that_is_not_the_manifests_version_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not the manifest's version"):
        build("v99.0.0", tmp_path)


def test_a_version_without_a_changelog_section_is_refused() -> None:
    changelog = "# Changelog\n\n## 1.1.0\n\n- something\n\n## 1.0.0\n\n- first\n"
    assert notes_for("1.0.0", changelog) == "- first\n"
    assert notes_for("1.1.0", changelog) == "- something\n"
    with pytest.raises(ValueError, match=r"no section for 1\.2\.0"):
        notes_for("1.2.0", changelog)
