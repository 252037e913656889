"""Make clean QR images look like screenshots and photos (pure Pillow), for the QR tests.

Each function takes a :class:`PIL.Image.Image` and returns a new one; none touches its input.
Compose them: ``jpeg(rotate(scale(img, 0.5), 30), quality=40)``.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFilter, ImageOps

__all__ = ["blur", "invert", "jpeg", "low_contrast", "place_in_page", "rotate", "scale"]

_WHITE = 255


def _gray(image: Image.Image) -> Image.Image:
    return image if image.mode == "L" else image.convert("L")


def place_in_page(
    image: Image.Image,
    *,
    size: tuple[int, int] = (1600, 1000),
    at: tuple[int, int] = (900, 260),
) -> Image.Image:
    """Paste ``image`` into a white "web page" with headings, paragraphs, buttons and rules."""
    page = Image.new("L", size, _WHITE)
    draw = ImageDraw.Draw(page)
    draw.rectangle((0, 0, size[0], 70), fill=40)  # a dark navigation bar
    draw.text((30, 25), "ACME Co  |  Account  |  Security  |  Sign out", fill=230)
    draw.text((60, 110), "Two-factor authentication", fill=0, font_size=36)
    for row in range(22):
        y = 190 + row * 30
        words = " ".join(["lorem ipsum dolor sit amet, consectetur"] * (1 + row % 3))
        draw.text((60, y), f"{row + 1}. {words}", fill=30 + (row * 7) % 90)
    draw.rectangle((60, 880, 300, 940), outline=0, width=3)
    draw.text((110, 900), "Save and continue", fill=0)
    draw.line((0, 960, size[0], 960), fill=120, width=2)
    page.paste(_gray(image), at)
    return page


def scale(image: Image.Image, factor: float) -> Image.Image:
    """Resize by ``factor`` with area averaging, as a browser or a screenshot tool would."""
    width = max(1, round(image.width * factor))
    height = max(1, round(image.height * factor))
    return _gray(image).resize((width, height), Image.Resampling.BOX)


def rotate(image: Image.Image, degrees: float) -> Image.Image:
    """Rotate counter-clockwise by ``degrees``, growing the canvas and filling it with white."""
    return _gray(image).rotate(
        degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=_WHITE
    )


def jpeg(image: Image.Image, quality: int = 30) -> Image.Image:
    """Round-trip through JPEG at ``quality`` (ringing and blocks around every module edge)."""
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=quality)
    with Image.open(io.BytesIO(buffer.getvalue())) as decoded:
        return decoded.convert("L")


def blur(image: Image.Image, radius: float = 1.0) -> Image.Image:
    """Gaussian blur of ``radius`` pixels (an out-of-focus photo)."""
    return _gray(image).filter(ImageFilter.GaussianBlur(radius))


def low_contrast(image: Image.Image, *, dark: int = 110, light: int = 170) -> Image.Image:
    """Squeeze black to ``dark`` and white to ``light`` (a washed-out screen photo)."""
    lut = [dark + (light - dark) * value // 255 for value in range(256)]
    return _gray(image).point(lut)


def invert(image: Image.Image) -> Image.Image:
    """Light modules on a dark ground (dark mode)."""
    return ImageOps.invert(_gray(image))
