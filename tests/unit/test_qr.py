"""QR render and decode: options, capacity, image formats, screenshots and photos, bad input."""

from __future__ import annotations

import base64
import builtins
import io
import json
import random
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
import segno
import zxingcpp
from PIL import Image

from tests import qr_degrade as degrade
from twofa_sim.core.qr import (
    Decoded,
    RoundTrip,
    _load,
    capacity,
    decode_image,
    decode_zbar,
    decode_zxing,
    render_png,
    round_trip,
)
from twofa_sim.core.scan import scan_image
from twofa_sim.errors import (
    DecoderUnavailableError,
    ImageError,
    InputError,
    MultipleQRCodesError,
    NoQRCodeError,
    QRCapacityError,
)

URI = (
    "otpauth://totp/ACME%20Co:alice%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    "&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30"
)
OTHER_URI = "otpauth://totp/Example:bob%40example.com?secret=KRSXG5CTMVRXEZLU&issuer=Example"
LEVELS = ("L", "M", "Q", "H")


def _image(png: bytes) -> Image.Image:
    with Image.open(io.BytesIO(png)) as opened:
        return opened.convert("L")


def _encoded(image: Image.Image, kind: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=kind, **options)
    return buffer.getvalue()


def _zxing_symbol(image: Image.Image) -> zxingcpp.Barcode:
    """Read with bare zxing-cpp, independently of twofa_sim.core.qr."""
    (symbol,) = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    return symbol


def _from_zxing(content: str, barcode: zxingcpp.BarcodeFormat, scale: int = 6) -> Image.Image:
    """An image drawn by zxing-cpp's own encoder (not segno)."""
    symbol = zxingcpp.create_barcode(content, barcode)
    return Image.fromarray(symbol.to_image(scale=scale)).convert("L")


def _side_by_side(*images: Image.Image, gap: int = 60) -> Image.Image:
    width = sum(image.width for image in images) + gap * (len(images) + 1)
    height = max(image.height for image in images) + 2 * gap
    canvas = Image.new("L", (width, height), 255)
    x = gap
    for image in images:
        canvas.paste(image, (x, gap))
        x += image.width + gap
    return canvas


@pytest.fixture(scope="module")
def base() -> Image.Image:
    """The enrollment URI rendered at the defaults (8 px per module, 4-module border)."""
    return _image(render_png(URI))


# --- render ----------------------------------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
def test_the_error_correction_level_is_the_one_asked_for(level: str) -> None:
    """render_png(error=X) draws a symbol that an independent reader reports as level X."""
    symbol = _zxing_symbol(_image(render_png(URI, error=level)))  # type: ignore[arg-type]
    assert symbol.ec_level == level
    assert symbol.text == URI


def test_more_error_correction_needs_a_larger_symbol() -> None:
    """Levels are not boosted: the version grows from L to H for the same data."""
    versions = [
        int(_zxing_symbol(_image(render_png(URI, error=level))).extra["Version"])  # type: ignore[arg-type,index]
        for level in LEVELS
    ]
    assert versions == sorted(versions)
    assert versions[-1] > versions[0]


@pytest.mark.parametrize(("scale", "border"), [(1, 0), (3, 2), (8, 4), (5, 10)])
def test_scale_and_border_set_the_pixel_size(scale: int, border: int) -> None:
    """The PNG is (modules + 2 * border) * scale pixels square."""
    version = int(_zxing_symbol(_image(render_png(URI))).extra["Version"])  # type: ignore[index]
    modules = 17 + 4 * version
    with Image.open(io.BytesIO(render_png(URI, scale=scale, border=border))) as png:
        assert png.format == "PNG"
        assert png.size == ((modules + 2 * border) * scale,) * 2


@pytest.mark.parametrize(
    ("options", "where"),
    [
        ({"scale": 0}, "scale"),
        ({"scale": -3}, "scale"),
        ({"scale": 2.5}, "scale"),
        ({"border": -1}, "border"),
        ({"error": "X"}, "error"),
        ({"error": ""}, "error"),
    ],
)
def test_bad_render_options_are_input_errors(options: dict[str, object], where: str) -> None:
    """A bad scale, border or level is an InputError naming the argument (CLI exit code 2)."""
    with pytest.raises(InputError) as caught:
        render_png(URI, **options)  # type: ignore[arg-type]
    assert caught.value.where == where
    assert str(caught.value).startswith(f"{where}: ")


def test_empty_data_is_an_input_error() -> None:
    """Nothing to encode is refused: zxing-cpp would not even report an empty symbol."""
    with pytest.raises(InputError, match="empty"):
        render_png("")


def test_lowercase_level_is_accepted() -> None:
    """error="q" means level Q (as on a command line)."""
    assert _zxing_symbol(_image(render_png(URI, error="q"))).ec_level == "Q"  # type: ignore[arg-type]


# --- capacity --------------------------------------------------------------------------------


def test_capacity_table() -> None:
    """capacity() gives the byte-mode maximum of version 40 (ISO/IEC 18004 table 7)."""
    assert [capacity(level) for level in LEVELS] == [2953, 2331, 1663, 1273]  # type: ignore[arg-type]
    assert capacity() == capacity("M")


@pytest.mark.parametrize("level", LEVELS)
def test_capacity_agrees_with_the_encoder(level: str) -> None:
    """segno fits exactly capacity(level) bytes in version 40 and not one more."""
    most = capacity(level)  # type: ignore[arg-type]
    symbol = segno.make_qr("a" * most, error=level, boost_error=False, mode="byte")
    assert symbol.version == 40
    with pytest.raises(segno.DataOverflowError):
        segno.make_qr("a" * (most + 1), error=level, boost_error=False, mode="byte")


@pytest.mark.parametrize("level", LEVELS)
def test_data_of_exactly_capacity_bytes_round_trips(level: str) -> None:
    """capacity(level) bytes fit and both decoders read them back."""
    data = ("otpauth-" * 400)[: capacity(level)]  # type: ignore[arg-type]
    assert round_trip(data, error=level, scale=3).identical  # type: ignore[arg-type]


@pytest.mark.parametrize("level", LEVELS)
def test_one_byte_past_capacity_is_a_capacity_error(level: str) -> None:
    """capacity(level) + 1 bytes raise QRCapacityError with the size, limit, level and a hint."""
    most = capacity(level)  # type: ignore[arg-type]
    with pytest.raises(QRCapacityError) as caught:
        render_png("a" * (most + 1), error=level)  # type: ignore[arg-type]
    error = caught.value
    assert (error.size, error.capacity, error.level) == (most + 1, most, level)
    assert f"{most + 1} bytes" in str(error)
    assert f"at most {most} bytes" in str(error)
    assert "hint:" in str(error)
    assert isinstance(error, InputError)  # the CLI exits 2


def test_capacity_counts_utf8_bytes_not_characters() -> None:
    """Two-byte characters count twice: half the capacity in "é" fits, one more does not."""
    most = capacity("H")
    assert round_trip("é" * (most // 2), error="H", scale=3).identical
    with pytest.raises(QRCapacityError) as caught:
        render_png("é" * (most // 2 + 1), error="H")
    assert caught.value.size == 2 * (most // 2 + 1)


# --- text encoding ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "café",
        "ÄÖÜ",
        "½",
        "こんにちは",
        "日本語のラベル",
        "Привет",
        "emoji 😀",
        "a\x00b\x1dc",
        "\u2028",
    ],
)
def test_unicode_round_trips_through_both_decoders(text: str) -> None:
    """Non-ASCII text reads back unchanged from zbar and from zxing-cpp (UTF-8 byte mode)."""
    assert round_trip(text).decoded == Decoded("<rendered>", text, text)


@pytest.mark.parametrize("text", ["café", "naïve résumé", "こんにちは"])
def test_symbols_in_the_qr_default_charsets_read_right(text: str) -> None:
    """Another encoder's Latin-1 or Shift_JIS (kanji mode) symbols still read right in both."""
    symbol = segno.make_qr(text, error="M")  # segno's own choice of mode and charset
    buffer = io.BytesIO()
    symbol.save(buffer, kind="png", scale=6)
    assert decode_image(buffer.getvalue()) == Decoded("<bytes>", text, text)


# --- decoding files --------------------------------------------------------------------------


def test_decode_png_file(tmp_path: Path) -> None:
    """A PNG path reads with both decoders, and the result names the file."""
    path = tmp_path / "enroll.png"
    path.write_bytes(render_png(URI))
    decoded = decode_image(path)
    assert decoded == Decoded(str(path), URI, URI)
    assert decoded.agree
    assert decoded.text == URI


def test_decode_jpeg_file_given_as_str(tmp_path: Path, base: Image.Image) -> None:
    """A JPEG path given as a str reads with both decoders."""
    path = tmp_path / "photo.jpg"
    path.write_bytes(_encoded(base.convert("RGB"), "JPEG", quality=75))
    assert decode_image(str(path)) == Decoded(str(path), URI, URI)


def test_name_overrides_the_label() -> None:
    """name= is what results call the image."""
    assert decode_image(render_png(URI), name="step 3").image == "step 3"


def test_round_trip_keeps_the_png() -> None:
    """round_trip returns the PNG it decoded, which reads back on its own."""
    result = round_trip(URI, error="Q", scale=4, border=2)
    assert result.identical
    assert result.png == render_png(URI, error="Q", scale=4, border=2)
    assert decode_image(result.png).text == URI


# --- image modes -----------------------------------------------------------------------------


def _transparent(base: Image.Image) -> Image.Image:
    # Light modules fully transparent *black*: dropping alpha would make the whole image black.
    rgba = Image.new("RGBA", base.size, (0, 0, 0, 0))
    rgba.putalpha(base.point(lambda value: 255 - value))
    return rgba


def _sixteen_bit(base: Image.Image) -> Image.Image:
    # Dark 8000, light 40000: clipping to 8 bits would make every pixel white.
    return base.convert("I").point(lambda value: 8000 + value * 125).convert("I;16")


def _palette_with_transparency(base: Image.Image) -> Image.Image:
    palette = base.convert("P")
    palette.info["transparency"] = palette.getpixel((0, 0))
    return palette


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (_transparent, "PNG"),
        (_sixteen_bit, "PNG"),
        (lambda image: image.convert("P"), "PNG"),
        (_palette_with_transparency, "PNG"),
        (lambda image: image.convert("LA"), "PNG"),
        (lambda image: image.convert("1"), "PNG"),
        (lambda image: image.convert("RGB"), "PNG"),
        (lambda image: image.convert("CMYK"), "JPEG"),
        (lambda image: image.convert("RGB"), "GIF"),
        (lambda image: image.convert("RGB"), "BMP"),
        (lambda image: image.convert("RGB"), "WEBP"),
        (lambda image: image.convert("RGB"), "TIFF"),
    ],
    ids=[
        "rgba-transparent",
        "16-bit",
        "palette",
        "palette-transparent",
        "LA",
        "1-bit",
        "RGB",
        "CMYK-jpeg",
        "gif",
        "bmp",
        "webp",
        "tiff",
    ],
)
def test_image_modes_and_formats(
    base: Image.Image, make: Callable[[Image.Image], Image.Image], kind: str
) -> None:
    """Whatever mode and format Pillow opens, both decoders read the QR code."""
    assert decode_image(_encoded(make(base), kind)) == Decoded("<bytes>", URI, URI)


def test_exif_orientation_is_applied(base: Image.Image) -> None:
    """A phone JPEG stored sideways with an EXIF Orientation tag is read upright (and reads)."""
    canvas = Image.new("L", (base.width + 300, base.height), 255)
    canvas.paste(base, (0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned 90 degrees counter-clockwise: display turns it back
    stored = canvas.transpose(Image.Transpose.ROTATE_90)
    jpeg = _encoded(stored.convert("RGB"), "JPEG", quality=90, exif=exif.tobytes())
    assert _load(jpeg, None)[0].size == canvas.size
    assert decode_image(jpeg) == Decoded("<bytes>", URI, URI)


# --- screenshots and photos ------------------------------------------------------------------

_Degrade = Callable[[Image.Image], Image.Image]


def _turned(angle: float) -> _Degrade:
    return lambda image: degrade.rotate(image, angle)


DEGRADATIONS: dict[str, _Degrade] = {
    "in a 1600x1000 page": degrade.place_in_page,
    "2 px per module": lambda image: degrade.scale(image, 2 / 8),
    "1.6 px per module": lambda image: degrade.scale(image, 0.2),
    "page, 2 px per module": lambda image: degrade.place_in_page(degrade.scale(image, 2 / 8)),
    "page, 3 px per module": lambda image: degrade.place_in_page(degrade.scale(image, 3 / 8)),
    **{f"rotated {angle}": _turned(angle) for angle in (7, 30, 45, 90, 180, 137.5)},
    "page, 4 px per module, rotated 30": lambda image: degrade.rotate(
        degrade.place_in_page(degrade.scale(image, 0.5)), 30
    ),
    "3 px per module, rotated 45": lambda image: degrade.rotate(degrade.scale(image, 3 / 8), 45),
    "jpeg quality 20": lambda image: degrade.jpeg(image, 20),
    "3 px per module, jpeg quality 20": lambda image: degrade.jpeg(degrade.scale(image, 3 / 8), 20),
    "page, jpeg quality 20": lambda image: degrade.jpeg(degrade.place_in_page(image), 20),
    "blur 1": lambda image: degrade.blur(image, 1.0),
    "4 px per module, blur 1": lambda image: degrade.blur(degrade.scale(image, 0.5), 1.0),
    "4 px per module, blur 1.5": lambda image: degrade.blur(degrade.scale(image, 0.5), 1.5),
    "3 px per module, blur 1.5": lambda image: degrade.blur(degrade.scale(image, 3 / 8), 1.5),
    "low contrast": degrade.low_contrast,
    "page, low contrast": lambda image: degrade.low_contrast(degrade.place_in_page(image)),
    "dark mode": degrade.invert,
    "dark mode page": lambda image: degrade.invert(
        degrade.place_in_page(degrade.scale(image, 0.5))
    ),
    "dark mode, rotated 30": lambda image: degrade.invert(degrade.rotate(image, 30)),
    "photo of a screen": lambda image: degrade.jpeg(
        degrade.rotate(degrade.low_contrast(degrade.place_in_page(degrade.scale(image, 0.4))), 12),
        30,
    ),
}


@pytest.mark.parametrize("name", DEGRADATIONS)
def test_screenshots_and_photos_read_in_both_decoders(base: Image.Image, name: str) -> None:
    """Each degradation still reads, and zbar and zxing-cpp agree on the exact URI."""
    image = DEGRADATIONS[name](base)
    assert decode_image(_encoded(image), name=name) == Decoded(name, URI, URI)


def test_decoders_take_pil_images_directly(base: Image.Image) -> None:
    """decode_zbar and decode_zxing accept any PIL image, here a dark-mode RGB one."""
    image = degrade.invert(base).convert("RGB")
    assert decode_zbar(image) == [URI]
    assert decode_zxing(image) == [URI]


def test_an_independent_encoder_is_read(tmp_path: Path) -> None:
    """A QR drawn by zxing-cpp's encoder (not segno) reads in both decoders."""
    path = tmp_path / "other-encoder.png"
    path.write_bytes(_encoded(_from_zxing(OTHER_URI, zxingcpp.BarcodeFormat.QRCode)))
    assert decode_image(path) == Decoded(str(path), OTHER_URI, OTHER_URI)


def test_an_independent_encoder_degraded_is_read() -> None:
    """zxing-cpp's drawing, shrunk into a page, rotated and JPEG-compressed, still reads."""
    image = _from_zxing(OTHER_URI, zxingcpp.BarcodeFormat.QRCode, scale=8)
    photo = degrade.jpeg(degrade.rotate(degrade.place_in_page(degrade.scale(image, 0.5)), 20), 40)
    assert decode_image(_encoded(photo)) == Decoded("<bytes>", OTHER_URI, OTHER_URI)


# --- how many QR codes -----------------------------------------------------------------------


def test_no_qr_code(base: Image.Image) -> None:
    """A page with no QR code raises NoQRCodeError naming the image."""
    page = degrade.place_in_page(Image.new("L", (200, 200), 255))
    with pytest.raises(NoQRCodeError, match=r"^blank\.png: no QR code"):
        decode_image(_encoded(page), name="blank.png")


def test_a_barcode_is_not_a_qr_code() -> None:
    """A Code 128 barcode alone is no QR code: only QR symbols count."""
    barcode = _from_zxing("TWOFA-SIM-12345", zxingcpp.BarcodeFormat.Code128, scale=3)
    with pytest.raises(NoQRCodeError):
        decode_image(_encoded(_side_by_side(barcode)))


def test_a_barcode_beside_the_qr_code_is_ignored(base: Image.Image) -> None:
    """A screenshot with a barcode and one QR code reads the QR code only."""
    barcode = _from_zxing("TWOFA-SIM-12345", zxingcpp.BarcodeFormat.Code128, scale=3)
    image = _side_by_side(base, barcode)
    assert decode_image(_encoded(image)) == Decoded("<bytes>", URI, URI)


def test_two_different_qr_codes(base: Image.Image) -> None:
    """Two different QR codes raise MultipleQRCodesError with the count and image name."""
    other = _image(render_png(OTHER_URI))
    with pytest.raises(MultipleQRCodesError) as caught:
        decode_image(_encoded(_side_by_side(base, other)), name="two.png")
    assert caught.value.count == 2
    assert caught.value.image == "two.png"
    assert str(caught.value).startswith("two.png: found 2 QR codes")


def test_the_same_qr_code_twice_is_one_payload(base: Image.Image) -> None:
    """The same QR code twice (a page showing it in two places) is not ambiguous."""
    assert decode_image(_encoded(_side_by_side(base, base))) == Decoded("<bytes>", URI, URI)


def test_each_decoder_lists_distinct_texts(base: Image.Image) -> None:
    """decode_zbar / decode_zxing list each payload once."""
    other = _image(render_png(OTHER_URI))
    image = _side_by_side(base, other, base)
    assert sorted(decode_zbar(image)) == sorted([URI, OTHER_URI])
    assert sorted(decode_zxing(image)) == sorted([URI, OTHER_URI])


# --- decoders that disagree ------------------------------------------------------------------


def test_one_decoder_reading_is_not_an_error() -> None:
    """An image only zbar can read (an empty payload: zxing-cpp drops those) gives agree=False."""
    symbol = segno.make_qr("", error="M", mode="byte")
    buffer = io.BytesIO()
    symbol.save(buffer, kind="png", scale=8)
    decoded = decode_image(buffer.getvalue())
    assert decoded == Decoded("<bytes>", "", None)
    assert not decoded.agree
    assert decoded.text == ""


@pytest.mark.parametrize(
    ("zbar", "zxing", "agree", "text"),
    [
        ("a", "a", True, "a"),
        ("a", None, False, "a"),
        (None, "a", False, "a"),
        ("a", "b", False, None),
        (None, None, False, None),
        ("", "", True, ""),
    ],
)
def test_decoded_agree_and_text(
    zbar: str | None, zxing: str | None, agree: bool, text: str | None
) -> None:
    """agree needs both to read the same; text never picks a side when they conflict."""
    decoded = Decoded("img", zbar, zxing)
    assert decoded.agree is agree
    assert decoded.text == text


def test_round_trip_identical_needs_both_decoders() -> None:
    """identical is false when either decoder missed or misread the data."""
    assert RoundTrip("x", b"", Decoded("i", "x", "x")).identical
    assert not RoundTrip("x", b"", Decoded("i", "x", None)).identical
    assert not RoundTrip("x", b"", Decoded("i", "y", "x")).identical


# --- bad files -------------------------------------------------------------------------------


def _bad_file(kind: str, tmp_path: Path) -> Path:
    path = tmp_path / f"{kind}.png"
    png = render_png(URI)
    contents = {
        "random bytes": random.Random(7).randbytes(4096),
        "truncated png": png[: len(png) // 2],
        "empty file": b"",
        "text file": b"otpauth://totp/ACME:alice?secret=JBSWY3DPEHPK3PXP\n",
        "png header only": png[:16],
    }
    if kind == "directory":
        path.mkdir()
    elif kind != "missing":
        path.write_bytes(contents[kind])
    return path


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("random bytes", "not an image"),
        ("truncated png", "truncated or corrupt"),
        ("empty file", "empty"),
        ("text file", "not an image"),
        ("png header only", "truncated or corrupt"),
        ("missing", "no such file"),
        ("directory", "is a directory"),
    ],
)
def test_bad_files_are_image_errors(tmp_path: Path, kind: str, message: str) -> None:
    """Missing, unreadable or non-image files raise ImageError naming the path (CLI exit 2)."""
    path = _bad_file(kind, tmp_path)
    with pytest.raises(ImageError) as caught:
        decode_image(path)
    assert caught.value.where == str(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in caught.value.what


def test_bad_bytes_are_image_errors() -> None:
    """Bytes that are no image raise ImageError naming "<bytes>", or the name given."""
    with pytest.raises(ImageError, match=r"^<bytes>: not an image"):
        decode_image(b"definitely not a PNG")
    with pytest.raises(ImageError, match=r"^upload\.png: "):
        decode_image(b"", name="upload.png")


# --- zbar missing ----------------------------------------------------------------------------


def test_missing_zbar_is_a_decoder_unavailable_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """When libzbar cannot load, decoding raises DecoderUnavailableError with the install hint."""
    real_import = builtins.__import__

    def failing_import(name: str, *args: object, **kwargs: object) -> object:
        if name.startswith("pyzbar"):
            raise ImportError("Unable to find zbar shared library")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", failing_import)
    png = render_png(URI)
    with pytest.raises(DecoderUnavailableError, match=r"apt-get install libzbar0"):
        decode_image(png)
    with pytest.raises(DecoderUnavailableError, match="make demo"):
        decode_zbar(_image(png))


def test_missing_pyzbar_module_is_a_decoder_unavailable_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An uninstalled pyzbar is reported the same way, not as a bare ImportError."""
    monkeypatch.setitem(sys.modules, "pyzbar", None)
    with pytest.raises(DecoderUnavailableError):
        round_trip(URI)


def test_importing_qr_does_not_load_zbar() -> None:
    """core.qr imports without touching pyzbar (so a missing libzbar cannot break it)."""
    code = (
        "import sys; sys.modules['pyzbar'] = None\n"
        "import twofa_sim.core.qr as qr\n"
        "print(len(qr.render_png('x')) > 0, qr.decode_zxing(qr._load(qr.render_png('x'), None)[0]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.stdout.strip() == "True ['x']"


# -- every shape of secret a QR code can carry is masked (issue 16) ---------------------------

SCAN_KEY = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # RFC 4226's key, 160 bits
# A Google Authenticator export of one account (ACME:alice, SCAN_KEY, SHA1, 6 digits, totp):
# otp_parameters {secret, name, issuer, algorithm=1, digits=1, type=2}, version=1, batch 1 of 1.
_ACCOUNT = (
    b"\x0a\x14" + b"12345678901234567890" + b"\x12\x0aACME:alice" + b"\x1a\x04ACME"
    b"\x20\x01\x28\x01\x30\x02"
)
_EXPORT_DATA = bytes([0x0A, len(_ACCOUNT)]) + _ACCOUNT + b"\x10\x01\x18\x01\x20\x00\x28\x07"
EXPORT = "otpauth-migration://offline?data=" + quote(
    base64.b64encode(_EXPORT_DATA).decode(), safe=""
)
SECRET_SHAPES = {
    "export": EXPORT,
    "bare": SCAN_KEY,
    "fragment": f"otpauth://totp/A:b?issuer=A#secret={SCAN_KEY}",
    "label": f"otpauth://totp/A:{SCAN_KEY}?secret={SCAN_KEY}&issuer=A",
}


def _segno_png(text: str) -> bytes:
    buffer = io.BytesIO()
    segno.make_qr(text, error="m").save(buffer, kind="png", scale=4, border=4)
    return buffer.getvalue()


def _leaks(shown: str, text: str) -> list[str]:
    """The pieces of a secret (the key in any case or spacing, the export's data) in ``shown``."""
    data = text.partition("data=")[2]
    compact = shown.upper().replace(" ", "")
    pieces = [piece for piece in (SCAN_KEY, SCAN_KEY[:16], SCAN_KEY[16:]) if piece in compact]
    return pieces + [piece for piece in {data, unquote(data)} if piece and piece in shown]


@pytest.mark.parametrize("text", SECRET_SHAPES.values(), ids=list(SECRET_SHAPES))
def test_a_scan_shows_no_secret_in_any_shape(text: str) -> None:
    """A scan's report hides the secret of an export QR, a bare key, a key in the fragment and a
    key repeated in the label, unless show_secret is asked for."""
    scan = scan_image(_segno_png(text))
    assert scan.zbar == text and scan.agree
    assert _leaks(json.dumps(scan.as_dict(), ensure_ascii=False), text) == []
    assert _leaks(json.dumps([f.message for f in scan.findings]), text) == []
    revealed = json.dumps(scan.as_dict(show_secret=True), ensure_ascii=False)
    assert SCAN_KEY in revealed


def test_a_scanned_export_lists_and_lints_its_accounts() -> None:
    """An export QR is decoded: its accounts are listed (masked) and judged like URIs."""
    scan = scan_image(_segno_png(EXPORT))
    assert scan.uri is None and scan.ok
    (account,) = scan.as_dict()["accounts"]  # type: ignore[misc]
    assert account["name"] == "ACME:alice" and account["secret"] == "GEZD…(160 bits)"
    cut = base64.b64encode(_EXPORT_DATA[:10]).decode()  # the account runs past the end
    damaged = scan_image(_segno_png(f"otpauth-migration://offline?data={quote(cut)}"))
    assert [f.rule for f in damaged.findings] == ["migration-malformed"]
    assert not damaged.ok


def test_a_bare_key_is_named_as_such() -> None:
    """A QR code that holds only a base32 key gets a finding saying so, not just "not otpauth"."""
    rules = [f.rule for f in scan_image(_segno_png(SCAN_KEY)).findings]
    assert rules == ["not-otpauth", "bare-secret"]


@pytest.mark.parametrize("text", SECRET_SHAPES.values(), ids=list(SECRET_SHAPES))
def test_qr_read_prints_no_secret_in_any_shape(
    text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`twofa-sim qr read` (text and --json) prints no secret of any shape without
    --show-secret; an export's accounts are printed one line each."""
    from twofa_sim.cli import main

    path = tmp_path / "code.png"
    path.write_bytes(_segno_png(text))
    for extra in ([], ["--json"]):
        main(["qr", "read", str(path), *extra])
        out, err = capsys.readouterr()
        assert _leaks(out + err, text) == []
    main(["qr", "read", str(path)])
    out = capsys.readouterr().out
    if text == EXPORT:
        assert "account type=totp  issuer=ACME  name=ACME:alice  secret=GEZD…(160 bits)" in out
