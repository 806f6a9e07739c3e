"""The README's configuration table and .env.example stay true to the Settings object."""

from __future__ import annotations

import re
from pathlib import Path

from reos.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def _variables() -> set[str]:
    return {name.upper() for name in Settings.model_fields}


def test_readme_lists_every_setting_and_nothing_else() -> None:
    table = re.findall(r"^\| `([A-Z0-9_]+)` \|", (ROOT / "README.md").read_text(), flags=re.MULTILINE)
    assert set(table) == _variables()


def test_env_example_names_every_setting() -> None:
    names = set(re.findall(r"^#? ?([A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), flags=re.MULTILINE))
    assert names == _variables()
