"""The text of each page of a PDF as Chromium (Skia) writes it, read without a PDF library.

Enough for the tests: objects, Flate-compressed streams, the page tree, each page's fonts and
their ToUnicode maps (``bfchar`` and ``bfrange``), and the text-showing operators ``Tj`` and
``TJ`` with hex strings, which is all Skia emits for text. Not a general PDF reader.
"""

from __future__ import annotations

import re
import unicodedata
import zlib

_OBJECT = re.compile(rb"(?:^|[\r\n])(\d+) 0 obj\s*(.*?)\s*endobj", re.S)
_STREAM = re.compile(rb"^(.*?)stream\r?\n(.*)\r?\nendstream$", re.S)


class Pdf:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.objects = {int(m.group(1)): m.group(2) for m in _OBJECT.finditer(data)}

    def dictionary(self, number: int) -> bytes:
        body = self.objects.get(number, b"")
        found = _STREAM.match(body)
        return found.group(1) if found else body

    def stream(self, number: int) -> bytes:
        found = _STREAM.match(self.objects.get(number, b""))
        if found is None:
            return b""
        head, raw = found.groups()
        return zlib.decompress(raw) if b"/FlateDecode" in head else raw

    def pages(self) -> list[int]:
        catalog = next(n for n, body in self.objects.items() if b"/Type /Catalog" in body)
        root = int(re.search(rb"/Pages (\d+) 0 R", self.objects[catalog]).group(1))  # type: ignore[union-attr]
        out: list[int] = []

        def walk(number: int) -> None:
            body = self.dictionary(number)
            if re.search(rb"/Type /Pages\b", body):
                kids = re.search(rb"/Kids \[([^\]]*)\]", body)
                for kid in re.findall(rb"(\d+) 0 R", kids.group(1) if kids else b""):
                    walk(int(kid))
            else:
                out.append(number)

        walk(root)
        return out

    def _unicode_map(self, font: int) -> dict[int, str]:
        ref = re.search(rb"/ToUnicode (\d+) 0 R", self.dictionary(font))
        if ref is None:
            return {}
        cmap = self.stream(int(ref.group(1))).decode("latin-1")
        mapping: dict[int, str] = {}
        for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
            for src, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                mapping[int(src, 16)] = bytes.fromhex(dst).decode("utf-16-be", "replace")
        for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
            for lo, hi, dst in re.findall(
                r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block
            ):
                start = int(dst, 16)
                for offset, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                    mapping[code] = chr(start + offset)
        return mapping

    def _fonts(self, page: int) -> dict[str, tuple[dict[int, str], int]]:
        body = self.dictionary(page)
        resources = re.search(rb"/Resources (\d+) 0 R", body)
        text = self.dictionary(int(resources.group(1))) if resources else body
        fonts_ref = re.search(rb"/Font (\d+) 0 R", text)
        fonts = self.dictionary(int(fonts_ref.group(1))) if fonts_ref else text
        out: dict[str, tuple[dict[int, str], int]] = {}
        for name, number in re.findall(rb"/(F\d+) (\d+) 0 R", fonts):
            font = int(number)
            width = 2 if b"/Type0" in self.dictionary(font) else 1
            out[name.decode()] = (self._unicode_map(font), width)
        return out

    def page_text(self, page: int) -> str:
        fonts = self._fonts(page)
        contents = re.search(rb"/Contents (\d+) 0 R", self.dictionary(page))
        if contents is None:
            return ""
        stream = self.stream(int(contents.group(1))).decode("latin-1")
        current: tuple[dict[int, str], int] = ({}, 1)
        out: list[str] = []
        token = re.compile(
            r"/(F\d+)\s+[\d.]+\s+Tf|\[((?:[^\]\\]|\\.)*)\]\s*TJ|<([0-9A-Fa-f]*)>\s*Tj"
        )
        for match in token.finditer(stream):
            if match.group(1):
                current = fonts.get(match.group(1), ({}, 1))
                continue
            hexes = re.findall(r"<([0-9A-Fa-f]*)>", match.group(2) or f"<{match.group(3)}>")
            mapping, width = current
            for chunk in hexes:
                codes = [int(chunk[i : i + 2 * width], 16) for i in range(0, len(chunk), 2 * width)]
                out.append("".join(mapping.get(c, "?") for c in codes))
            out.append(" ")
        return "".join(out)

    def texts(self) -> list[str]:
        """The text of each page, in page order."""
        return [self.page_text(page) for page in self.pages()]


def squeeze(text: str) -> str:
    """Text without whitespace (Skia splits runs of text where it likes) and with ligatures
    as their letters (``ﬀ`` as ``ff``)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
