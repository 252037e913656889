"""QR codes: render a PNG with segno, read one back with two independent decoders (zbar, zxing-cpp).

An authenticator app scans a screen, not a file, so :func:`decode_image` reads screenshots and
photos too: each decoder climbs its own ladder of image preparations, cheapest first. Neither
decoder ever sees the other's result, so :attr:`Decoded.agree` is evidence from two readers.

>>> round_trip("otpauth://totp/ACME:alice?secret=JBSWY3DPEHPK3PXP&issuer=ACME").identical
True

Text: :func:`render_png` always writes UTF-8 in byte mode, so :func:`capacity` is exact and any
string round-trips. (Left alone, segno writes Latin-1 or Shift_JIS when the text allows, and zbar
0.23 guesses the charset of a symbol without ECI: UTF-8 "café" came back "caf矇", read as
Shift_JIS; Latin-1 "ÄÖÜ" came back as katakana from *both* decoders.) So zbar runs with
ZBAR_CFG_BINARY (raw bytes) and both decoders apply one rule: bytes that are valid UTF-8 are
UTF-8, anything else keeps the decoder's own transcoding (Latin-1, Shift_JIS, ECI).
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, get_args

import zxingcpp
from PIL import Image, ImageOps, UnidentifiedImageError

from twofa_sim.core._qr_prepare import Attempt, to_gray, zbar_attempts, zxing_attempts
from twofa_sim.errors import (
    DecoderUnavailableError,
    ImageError,
    InputError,
    MultipleQRCodesError,
    NoQRCodeError,
    QRCapacityError,
)

__all__ = [
    "Decoded",
    "ErrorLevel",
    "RoundTrip",
    "capacity",
    "decode_image",
    "decode_zbar",
    "decode_zxing",
    "render_png",
    "round_trip",
]

ErrorLevel = Literal["L", "M", "Q", "H"]

# Bytes in byte mode at version 40 (ISO/IEC 18004:2015, table 7).
_CAPACITY: Final[dict[str, int]] = {"L": 2953, "M": 2331, "Q": 1663, "H": 1273}
_MAX_FILE_BYTES: Final = 64 << 20  # a QR screenshot or photo is far smaller
_ZBAR_MISSING: Final = (
    "the zbar library is missing: install it with `apt-get install libzbar0` "
    "(or run `make demo`, which installs it)"
)
_ZBAR_CFG_BINARY: Final = 4  # zbar >= 0.23: hand back the raw bytes, no charset guessing
_Y800: Final = 0x30303859  # zbar's fourcc for 8-bit grayscale


def _level(error: str) -> str:
    level = error.upper() if isinstance(error, str) else error
    if level not in _CAPACITY:
        choices = ", ".join(get_args(ErrorLevel))
        what = f"error-correction level must be one of {choices}, not {error!r}"
        raise InputError(what).at("error")
    return str(level)


def capacity(error: ErrorLevel = "M") -> int:
    """Most bytes one QR symbol holds at level ``error`` (byte mode, version 40).

    >>> capacity("L"), capacity("H")
    (2953, 1273)
    """
    return _CAPACITY[_level(error)]


def render_png(data: str, *, error: ErrorLevel = "M", scale: int = 8, border: int = 4) -> bytes:
    """PNG bytes of a QR code holding ``data`` as UTF-8 (byte mode), ``scale`` px per module.

    ``border`` is the quiet zone in modules (the standard asks for 4). Raises
    :class:`QRCapacityError` when ``data`` is longer than :func:`capacity` bytes.
    """
    level = _level(error)
    for arg, value, least, unit in (
        ("scale", scale, 1, "pixels"),
        ("border", border, 0, "modules"),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise InputError(
                f"{arg} must be a whole number of {unit} >= {least}, not {value!r}"
            ).at(arg)
    if not data:
        raise InputError("there is nothing to encode: the data is empty").at("data")
    try:
        size = len(data.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise InputError(
            f"the data is not valid Unicode text (lone surrogate at position {exc.start})"
        ).at("data") from exc
    if size > _CAPACITY[level]:  # checked first: segno would search all 40 versions to say so
        raise QRCapacityError(size, _CAPACITY[level], level, where="data")
    import segno  # here, not at the top: reading a QR code needs none of segno's writers

    symbol = segno.make_qr(data, error=level, boost_error=False, mode="byte", encoding="utf-8")
    buffer = io.BytesIO()
    symbol.save(buffer, kind="png", scale=scale, border=border)
    return buffer.getvalue()


@dataclass(frozen=True)
class Decoded:
    """What each decoder read from one image (``None``: that decoder found no QR code)."""

    image: str
    zbar: str | None
    zxing: str | None

    @property
    def agree(self) -> bool:
        """Both decoders read a QR code and got exactly the same text."""
        return self.zbar is not None and self.zbar == self.zxing

    @property
    def text(self) -> str | None:
        """The agreed text; else the one decoder's text; ``None`` if none, or if they conflict."""
        if self.zbar is None:
            return self.zxing
        if self.zxing is None or self.zxing == self.zbar:
            return self.zbar
        return None  # two different payloads: picking one would hide the conflict


@dataclass(frozen=True)
class RoundTrip:
    """A render of ``data`` and what the two decoders read back from the PNG."""

    data: str
    png: bytes = field(repr=False)
    decoded: Decoded

    @property
    def identical(self) -> bool:
        """Both decoders read back exactly ``data``."""
        return self.decoded.zbar == self.data and self.decoded.zxing == self.data


def round_trip(data: str, *, error: ErrorLevel = "M", scale: int = 8, border: int = 4) -> RoundTrip:
    """Render ``data`` with :func:`render_png`, then read the PNG with :func:`decode_image`."""
    png = render_png(data, error=error, scale=scale, border=border)
    return RoundTrip(data, png, decode_image(png, name="<rendered>"))


def decode_image(source: bytes | str | os.PathLike[str], *, name: str | None = None) -> Decoded:
    """Read the one QR code in an image file (a path) or in image bytes, with both decoders.

    ``name`` labels the image in results and errors (default: the path, or ``<bytes>``). Raises
    ImageError, NoQRCodeError, MultipleQRCodesError (a decoder read two different payloads) or
    DecoderUnavailableError. One decoder reading and the other not is a Decoded, not an error.
    """
    gray, label = _load(source, name)
    by_zbar = decode_zbar(gray)
    by_zxing = decode_zxing(gray)
    count = max(len(by_zbar), len(by_zxing))
    if count > 1:
        raise MultipleQRCodesError(count, image=label)
    if count == 0:
        raise NoQRCodeError("no QR code found (tried zbar and zxing-cpp)", image=label)
    return Decoded(label, by_zbar[0] if by_zbar else None, by_zxing[0] if by_zxing else None)


def _load(source: bytes | str | os.PathLike[str], name: str | None) -> tuple[Image.Image, str]:
    if isinstance(source, bytes | bytearray | memoryview):
        label, data = name or "<bytes>", bytes(source)
    else:
        path = Path(os.fspath(source))
        label = name or str(path)
        if path.is_dir():
            raise ImageError("is a directory, not an image file").at(label)
        # A device or a FIFO (/dev/zero, a pipe with no writer) would be read forever.
        if path.exists() and not path.is_file():
            raise ImageError("is not a regular file (a device, pipe or socket)").at(label)
        if path.is_file() and path.stat().st_size > _MAX_FILE_BYTES:
            raise ImageError(
                f"is {path.stat().st_size} bytes; images over {_MAX_FILE_BYTES >> 20} MiB "
                "are refused"
            ).at(label)
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise ImageError("no such file", hint="check the path").at(label) from exc
        except OSError as exc:
            raise ImageError(f"cannot be read ({exc.strerror or exc})").at(label) from exc
    if not data:
        raise ImageError("the file is empty, not an image").at(label)
    try:
        # Past Pillow's decompression-bomb threshold it warns on stderr (twice the threshold is
        # an error, caught below); a big screenshot or photo is not a bomb, so say nothing.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as opened:
                opened.load()
                return to_gray(ImageOps.exif_transpose(opened)), label
    except UnidentifiedImageError as exc:
        raise ImageError(
            "not an image (Pillow cannot identify it)", hint="save the QR code as PNG or JPEG"
        ).at(label) from exc
    except Image.DecompressionBombError as exc:
        raise ImageError(f"image is too large to read safely ({exc})").at(label) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageError(f"image data is truncated or corrupt ({exc})").at(label) from exc


def _first_found(
    attempts: Iterator[Attempt], scan: Callable[[Image.Image], list[str]]
) -> tuple[str, list[str]]:
    """The first rung on which ``scan`` finds anything, and its distinct texts in order found."""
    for rung, prepared in attempts:
        texts = scan(prepared)
        if texts:
            return rung, list(dict.fromkeys(texts))
    return "", []


def _zxing_text(code: Any) -> str:
    try:
        return bytes(code.bytes).decode("utf-8")
    except UnicodeDecodeError:  # not UTF-8: keep zxing's transcoding (ECI, Latin-1, Shift_JIS)
        return str(code.text)


def decode_zxing(image: Image.Image) -> list[str]:
    """Distinct texts of the QR codes zxing-cpp finds in ``image``, after the preparation ladder."""

    # QR only, not Micro QR (zbar cannot read it). Made per call: a BarcodeFormats kept in a
    # module global outlives zxingcpp at interpreter exit and nanobind reports it as leaked.
    qr_only = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)

    def scan(prepared: Image.Image) -> list[str]:
        found = zxingcpp.read_barcodes(prepared, formats=qr_only, text_mode=zxingcpp.TextMode.Plain)
        return [_zxing_text(code) for code in found]

    return _first_found(zxing_attempts(to_gray(image)), scan)[1]


def decode_zbar(image: Image.Image) -> list[str]:
    """Distinct texts of the QR codes zbar finds in ``image`` (after the preparation ladder).

    Raises :class:`DecoderUnavailableError` when the zbar shared library is not installed.
    """
    wrapper = _zbar()

    def scan(prepared: Image.Image) -> list[str]:
        raw = _zbar_scan(wrapper, prepared, binary=True)
        try:
            return [symbol.decode("utf-8") for symbol in raw]
        except UnicodeDecodeError:  # not UTF-8: let zbar transcode (ECI, Latin-1, Shift_JIS)
            cooked = _zbar_scan(wrapper, prepared, binary=False)
            return [symbol.decode("utf-8", errors="replace") for symbol in cooked]

    return _first_found(zbar_attempts(to_gray(image)), scan)[1]


def _zbar() -> Any:
    """pyzbar's ctypes wrapper, imported only now: importing it loads libzbar (may be absent)."""
    try:
        from pyzbar import wrapper
    except (ImportError, OSError) as exc:
        raise DecoderUnavailableError(_ZBAR_MISSING) from exc
    return wrapper


def _zbar_scan(wrapper: Any, image: Image.Image, *, binary: bool) -> list[bytes]:
    """Raw payloads of the QR codes zbar finds (pyzbar.decode cannot set ZBAR_CFG_BINARY)."""
    from ctypes import string_at

    qrcode = wrapper.ZBarSymbol.QRCODE
    pixels = image.tobytes()
    scanner = wrapper.zbar_image_scanner_create()
    zimage = wrapper.zbar_image_create()
    try:
        wrapper.zbar_image_scanner_set_config(scanner, 0, wrapper.ZBarConfig.CFG_ENABLE, 0)
        wrapper.zbar_image_scanner_set_config(scanner, qrcode, wrapper.ZBarConfig.CFG_ENABLE, 1)
        wrapper.zbar_image_scanner_set_config(scanner, qrcode, _ZBAR_CFG_BINARY, int(binary))
        wrapper.zbar_image_set_format(zimage, _Y800)
        wrapper.zbar_image_set_size(zimage, image.width, image.height)
        wrapper.zbar_image_set_data(zimage, pixels, len(pixels), None)
        if wrapper.zbar_scan_image(scanner, zimage) <= 0:
            return []
        found = []
        symbol = wrapper.zbar_image_first_symbol(zimage)
        while symbol:
            data = wrapper.zbar_symbol_get_data(symbol)
            found.append(string_at(data, wrapper.zbar_symbol_get_data_length(symbol)))
            symbol = wrapper.zbar_symbol_next(symbol)
        return found
    finally:
        wrapper.zbar_image_destroy(zimage)
        wrapper.zbar_image_scanner_destroy(scanner)
