"""How each QR decoder prepares an image: a ladder of attempts, cheapest first (private).

Screenshots and photos are not clean renders. Each decoder climbs its own ladder of prepared
images and stops on the first rung where it finds anything; neither sees the other's result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Final

from PIL import Image, ImageFilter, ImageOps

_MAX_UPSCALED: Final = 2000  # pixels per side after upscaling; past it costs outrun gains
_MAX_FULL_SIZE: Final = 3000  # bigger images (photos) get only the as-is rung at full size
_MAX_ROTATED: Final = 1400  # the same for zbar's rotated attempts (rotating grows the image)
_MAX_LAST_RESORT: Final = 4000  # the same for the last attempt of all, on big screenshots
_WHITE: Final = 255


def to_gray(image: Image.Image) -> Image.Image:
    """8-bit grayscale, transparency composited on white, wide samples scaled (not clipped)."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        as_float = image.convert("F")
        low, high = (float(v) for v in as_float.getextrema())  # type: ignore[arg-type]
        span = high - low or 1.0
        return as_float.point(lambda v: (v - low) * 255.0 / span).convert("L")
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        ground = Image.new("RGBA", image.size, (_WHITE, _WHITE, _WHITE, _WHITE))
        image = Image.alpha_composite(ground, image.convert("RGBA"))
    if image.mode == "CMYK":
        image = image.convert("RGB")
    return image if image.mode == "L" else image.convert("L")


# --- preparation ladders -------------------------------------------------------------------------
# Each decoder climbs its own ladder of prepared images, cheapest first, and stops on the first
# rung where it finds anything. Measured on renders degraded with tests/qr_degrade.py:
#   as-is           clean renders (always the first and only scan), pages, rotation, JPEG q 20,
#                   blur 1 px, low contrast; zxing also dark mode (it inverts by itself)
#   inverted        zbar: dark mode
#   upscaled 2x     zxing: modules under 2 px; zbar: small symbols turned near 45 degrees
#   sharpened       both: blur 1.5 px on 3-4 px modules
#   otsu            both: washed-out, unevenly lit images
#   rotated         zbar: small symbols off the axes
#   last resort     big screenshots with ~2 px modules: upscale the whole image (about 1 s)
Attempt = tuple[str, Image.Image]
_Step = Callable[[Image.Image], Image.Image | None]


def _reduced(image: Image.Image) -> Image.Image:
    """A photo-sized image shrunk to ~2000 px for the later rungs (its modules are large)."""
    side = max(image.size)
    return image if side <= _MAX_FULL_SIZE else image.reduce(-(-side // _MAX_UPSCALED))


def _upscaled(
    image: Image.Image | None, factor: int, limit: int = _MAX_UPSCALED
) -> Image.Image | None:
    if image is None or max(image.size) * factor > limit:  # past the limit: slow, finds nothing
        return None
    return image.resize((image.width * factor, image.height * factor), Image.Resampling.LANCZOS)


def _sharpen(image: Image.Image | None, radius: int = 2, percent: int = 250) -> Image.Image | None:
    # Restores module edges after blur; radius in pixels, so the default suits 2-6 px modules.
    if image is None:
        return None
    return image.filter(ImageFilter.UnsharpMask(radius=radius, percent=percent, threshold=0))


def _otsu(image: Image.Image) -> Image.Image:
    """Black and white at the threshold that best splits the histogram (Otsu's method)."""
    histogram = image.histogram()
    total, weighted = sum(histogram), sum(value * count for value, count in enumerate(histogram))
    below = below_weighted = 0
    best, threshold = -1.0, 127
    for value, count in enumerate(histogram):
        below, below_weighted = below + count, below_weighted + value * count
        above = total - below
        if below and above:
            gap = below_weighted / below - (weighted - below_weighted) / above
            if below * above * gap * gap > best:
                best, threshold = below * above * gap * gap, value
    return image.point([0 if value <= threshold else _WHITE for value in range(256)])


def _is_light(image: Image.Image) -> bool:
    histogram = image.histogram()
    return sum(histogram[128:]) >= sum(histogram[:128])


def _turned(degrees: int) -> _Step:
    def step(image: Image.Image) -> Image.Image:
        # A small image is upscaled first (its modules need the pixels); rotating grows it.
        image = _upscaled(image, 2, _MAX_ROTATED) or image
        fill = _WHITE if _is_light(image) else 0
        return image.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=fill)

    return step


def _last_resort(stretch: bool) -> _Step:
    def step(image: Image.Image) -> Image.Image | None:
        if max(image.size) * 2 <= _MAX_UPSCALED:  # small: the ordinary rungs had it upscaled
            return None
        double = _upscaled(image, 2, _MAX_LAST_RESORT)
        # Stretching helps zbar with washed-out JPEGs; zxing does better without it.
        return ImageOps.autocontrast(double, cutoff=1) if stretch and double else double

    return step


_BOTH_DECODERS: Final[tuple[tuple[str, _Step], ...]] = (
    ("upscaled 2x", lambda image: _upscaled(image, 2)),
    ("sharpened", _sharpen),
    ("upscaled 2x, sharpened", lambda image: _sharpen(_upscaled(image, 2))),
    ("otsu", _otsu),
)
_ZXING_ONLY: Final[tuple[tuple[str, _Step], ...]] = (
    ("upscaled 3x", lambda image: _upscaled(image, 3)),
    ("upscaled 2x, last resort", _last_resort(stretch=False)),
)
# zbar's costlier rungs, tried in the likelier polarity only.
_ZBAR_ONLY: Final[tuple[tuple[str, _Step], ...]] = (
    ("sharpened harder", lambda image: _sharpen(image, percent=400)),
    ("upscaled 2x, sharpened wider", lambda i: _sharpen(_upscaled(i, 2, _MAX_ROTATED), radius=4)),
    *((f"rotated {degrees}", _turned(degrees)) for degrees in (45, 22, 67)),
    ("upscaled 3x", lambda image: _upscaled(image, 3)),
    ("upscaled 2x, autocontrast, last resort", _last_resort(stretch=True)),
)


def _climb(
    grounds: list[tuple[str, Image.Image]], rungs: tuple[tuple[str, _Step], ...]
) -> Iterator[Attempt]:
    for rung, step in rungs:
        for prefix, ground in grounds:
            prepared = step(ground)
            if prepared is not None:
                yield f"{prefix}{rung}", prepared


def zxing_attempts(gray: Image.Image) -> Iterator[Attempt]:
    yield "as-is", gray
    grounds = [("", _reduced(gray))]
    yield from _climb(grounds, _BOTH_DECODERS + _ZXING_ONLY)


def zbar_attempts(gray: Image.Image) -> Iterator[Attempt]:
    yield "as-is", gray  # alone first: a clean render must cost one scan and nothing more
    yield "inverted, as-is", ImageOps.invert(gray)
    gray = _reduced(gray)
    grounds = [("", gray), ("inverted, ", ImageOps.invert(gray))]
    if not _is_light(gray):  # a mostly dark image is likelier dark mode: inverse first
        grounds.reverse()
    yield from _climb(grounds, _BOTH_DECODERS)
    yield from _climb(grounds[:1], _ZBAR_ONLY)
