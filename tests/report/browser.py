"""Headless Chromium for the report tests: load a page, dump its DOM after the scripts ran,
collect what the page printed to the console, take a screenshot."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--mute-audio"]


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Page:
    dom: str
    console: list[str]
    """Every line the page wrote to the console (log, warning, error, uncaught exception)."""


def load(path: Path, fragment: str = "") -> Page:
    """Open ``path`` (with ``#fragment``), let its scripts run, return the DOM and console."""
    binary = chromium()
    assert binary is not None, "Chromium is missing: make test installs it (scripts/setup.sh)"
    url = path.resolve().as_uri() + (f"#{fragment}" if fragment else "")
    done = subprocess.run(
        [binary, *FLAGS, "--enable-logging=stderr", "--v=0", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return Page(done.stdout, console)


def screenshot(path: Path, out: Path, *, width: int = 1280, height: int = 2400) -> None:
    binary = chromium()
    assert binary is not None
    done = subprocess.run(
        [
            binary,
            *FLAGS,
            f"--screenshot={out}",
            f"--window-size={width},{height}",
            path.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0 and out.is_file(), done.stderr[-2000:]


class Elements(HTMLParser):
    """Every start tag with its attributes, in document order."""

    def __init__(self, dom: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(dom)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def having(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        """Elements of ``tag`` whose attributes contain ``attrs`` (``class_`` for class, a
        class matched as a word)."""
        wanted = {k.rstrip("_"): v for k, v in attrs.items()}
        out = []
        for name, found in self.found:
            if name != tag:
                continue
            ok = True
            for key, value in wanted.items():
                if key == "class":
                    ok = ok and value in (found.get("class") or "").split()
                else:
                    ok = ok and found.get(key) == value
            if ok:
                out.append(found)
        return out
