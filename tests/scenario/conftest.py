"""Helpers for the scenario tests: write a scenario file, run it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from textwrap import dedent

import pytest

Write = Callable[..., Path]


@pytest.fixture
def write(tmp_path: Path) -> Write:
    """``write(text, name="s")`` -> the path of a new ``name.scenario.yaml`` holding ``text``."""

    def write_file(text: str, name: str = "s") -> Path:
        path = tmp_path / f"{name}.scenario.yaml"
        path.write_text(dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write_file
