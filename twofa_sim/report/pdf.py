"""report.pdf: the report on paper, printed from report.html's own template by headless Chromium.

:func:`render_pdf` renders the page for paper (:func:`~twofa_sim.report.html.render_html` with
``paper=True``: the verdict page first, then contents, the scope, the execution statement and
reproducibility, the traceability matrix, the policy, each scenario with its evidence on its own
page, and a sign-off block with a line per role), and has Chromium print it (``--print-to-pdf``;
page numbers come from the stylesheet's ``@page`` margin boxes). It prints twice: the first
print says on which page each section and scenario starts (read back from the PDF's named
destinations, which Chromium writes for every in-page link target), and the second carries
those page numbers in the contents. The PDF's creation and modification dates are set to the
run's end (from the execution statement), or to 1970-01-01 without one, so the same page printed
by the same Chromium gives the same bytes.

Chromium is found as ``$TWOFA_SIM_CHROMIUM``, else ``chromium``, ``chromium-browser``,
``google-chrome`` or ``google-chrome-stable`` on the PATH; without one, rendering is refused
with one line naming what to install (exit 2). The page it prints is ours: every value in it is
escaped, it holds no script, and its Content-Security-Policy forbids any fetch.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from twofa_sim.errors import InputError

__all__ = ["BROWSERS", "find_chromium", "render_pdf", "require_chromium", "section_pages"]

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
ENVIRONMENT = "TWOFA_SIM_CHROMIUM"
TIMEOUT_S = 300
_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-pdf-header-footer",
    "--generate-pdf-document-outline",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--mute-audio",
)
_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:\d{14}[^)]{0,8}\)")
_OBJECT = re.compile(rb"(?:^|[\r\n])(\d+) 0 obj\s*(.*?)\s*endobj", re.S)


def find_chromium() -> str | None:
    """The Chromium (or Chrome) binary to print with, or None."""
    named = os.environ.get(ENVIRONMENT)
    if named:
        return shutil.which(named) or (named if Path(named).is_file() else None)
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def _print(binary: str, html: str, workdir: Path) -> bytes:
    page = workdir / "report.html"
    out = workdir / "report.pdf"
    page.write_text(html, encoding="utf-8")
    out.unlink(missing_ok=True)
    try:
        done = subprocess.run(
            [
                binary,
                *_FLAGS,
                f"--user-data-dir={workdir / 'profile'}",
                f"--print-to-pdf={out}",
                page.as_uri(),
            ],
            capture_output=True,
            timeout=TIMEOUT_S,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise InputError(
            f"Chromium did not print the report within {TIMEOUT_S} s", where=binary
        ) from None
    except OSError as exc:
        raise InputError(f"Chromium could not start: {exc.strerror}", where=binary) from None
    if done.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
        last = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["no output"])[-1]
        raise InputError(
            f"Chromium did not print the report (exit {done.returncode}): {last[:200]}",
            where=binary,
        )
    return out.read_bytes()


def _objects(pdf: bytes) -> dict[int, bytes]:
    return {int(m.group(1)): m.group(2) for m in _OBJECT.finditer(pdf)}


def _page_order(objects: Mapping[int, bytes], root: int) -> dict[int, int]:
    """Page object number -> its page number (1-based), walking the page tree from ``root``
    (Chromium nests /Pages nodes once a document has more than a few pages)."""
    order: dict[int, int] = {}
    stack = [root]
    seen: set[int] = set()
    while stack:
        number = stack.pop()
        if number in seen:
            continue
        seen.add(number)
        body = objects.get(number, b"")
        kids = re.search(rb"/Kids \[([^\]]*)\]", body)
        if re.search(rb"/Type /Pages\b", body) and kids is not None:
            stack.extend(reversed([int(n) for n in re.findall(rb"(\d+) 0 R", kids.group(1))]))
        elif re.search(rb"/Type /Page\b", body):
            order[number] = len(order) + 1
    return order


def section_pages(pdf: bytes) -> dict[str, int]:
    """Named destination -> the page it is on (1-based), read from a PDF as Chromium writes
    it (``/Dests`` in the catalog, the page tree under ``/Pages``); empty when it has none."""
    objects = _objects(pdf)
    catalog = next((body for body in objects.values() if b"/Type /Catalog" in body), b"")
    dests_ref = re.search(rb"/Dests (\d+) 0 R", catalog)
    pages_ref = re.search(rb"/Pages (\d+) 0 R", catalog)
    if dests_ref is None or pages_ref is None:
        return {}
    order = _page_order(objects, int(pages_ref.group(1)))
    dests = objects.get(int(dests_ref.group(1)), b"")
    found: dict[str, int] = {}
    for name, page in re.findall(rb"/([^\s/\[\]()<>{}%]+) \[(\d+) 0 R", dests):
        text = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), name)
        if int(page) in order:
            found[text.decode("utf-8", "replace")] = order[int(page)]
    return found


def _dated(pdf: bytes, results: Mapping[str, Any]) -> bytes:
    """The PDF with its creation and modification dates set to the run's end (the same
    length, so no offset moves)."""
    statement = results.get("execution")
    finished = statement.get("finished") if isinstance(statement, Mapping) else None
    digits = re.sub(r"\D", "", str(finished or ""))[:14]
    stamp = digits if len(digits) == 14 else "19700101000000"

    def replace(match: re.Match[bytes]) -> bytes:
        key = match.group(1)
        new = b"/" + key + b" (D:" + stamp.encode("ascii") + b"+00'00')"
        old = match.group(0)
        return new if len(new) == len(old) else old

    return _DATE.sub(replace, pdf)


def require_chromium() -> str:
    """The Chromium binary; :class:`InputError` naming what to install when there is none."""
    binary = find_chromium()
    if binary is None:
        raise InputError(
            "no Chromium to print the PDF with",
            where="pdf",
            hint="install Chromium (Debian/Ubuntu: apt-get install chromium; or `make test`, "
            f"which runs scripts/setup.sh --browser), or set {ENVIRONMENT} to a Chrome binary",
        )
    return binary


def render_pdf(results: Mapping[str, Any]) -> bytes:
    """The report as a paginated PDF (see the module's docstring); :class:`InputError` (one
    line, exit 2) when no Chromium is installed or when it fails to print."""
    from twofa_sim.report.html import render_html

    binary = require_chromium()
    with tempfile.TemporaryDirectory(prefix="twofa-sim-pdf-") as work:
        workdir = Path(work)
        first = _print(binary, render_html(results, paper=True), workdir)
        pages = section_pages(first)
        pdf = first
        if pages:
            pdf = _print(binary, render_html(results, paper=True, pages=pages), workdir)
    return _dated(pdf, results)
