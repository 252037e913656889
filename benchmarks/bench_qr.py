"""QR round trip (render a PNG, read it back) against doing the same with the bare libraries.

``round_trip`` renders with segno and reads with *two* decoders (zbar and zxing-cpp), each behind
a ladder of image preparations whose first rung is the untouched image. So three baselines, all
rendering the same URI with the same segno options and reading the same PNG bytes:

* segno + pyzbar, as a user would write it (``pyzbar.decode(Image.open(png))``): the headline
  target, what a one-decoder harness would cost.
* segno + pyzbar + zxingcpp, both called with their defaults: like for like, two decoders each.
* the same, tuned as we tune them (grayscale once, QR format only): what our own code costs on
  top of the libraries' work, with nothing gained from restricting formats.

A fourth figure prices the second decoder as we run it: the tuned pair against tuned segno +
pyzbar alone. (Called bare, with every format enabled, zxingcpp costs far more: about 12 ms on
this image, +40% on segno + pyzbar; restricted to QR codes, well under 1 ms.)
"""

from __future__ import annotations

import io

import segno
import zxingcpp
from PIL import Image
from pyzbar import pyzbar

from benchmarks._harness import Ratio, interleaved
from twofa_sim.core.qr import round_trip

URI = (
    "otpauth://totp/ACME%20Co:alice%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    "&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30"
)
NUMBER = 3


def _png() -> bytes:
    buffer = io.BytesIO()
    segno.make_qr(URI, error="M", boost_error=False).save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()


def _segno_pyzbar() -> object:
    return pyzbar.decode(Image.open(io.BytesIO(_png())))


def _segno_pyzbar_zxing() -> object:
    image = Image.open(io.BytesIO(_png()))
    return pyzbar.decode(image), zxingcpp.read_barcodes(image)


def _segno_pyzbar_tuned() -> object:
    gray = Image.open(io.BytesIO(_png())).convert("L")
    return pyzbar.decode(gray, symbols=[pyzbar.ZBarSymbol.QRCODE])


def _segno_pyzbar_zxing_tuned() -> object:
    gray = Image.open(io.BytesIO(_png())).convert("L")
    return (
        pyzbar.decode(gray, symbols=[pyzbar.ZBarSymbol.QRCODE]),
        zxingcpp.read_barcodes(
            gray, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
        ),
    )


def _ours() -> object:
    return round_trip(URI)


def run() -> list[Ratio]:
    assert round_trip(URI).identical, "the benchmark URI must round-trip before it is timed"
    assert [s.data.decode() for s in pyzbar.decode(Image.open(io.BytesIO(_png())))] == [URI]
    ours, bare_zbar, bare_both, tuned_both, tuned_zbar = interleaved(
        _ours,
        _segno_pyzbar,
        _segno_pyzbar_zxing,
        _segno_pyzbar_zxing_tuned,
        _segno_pyzbar_tuned,
        number=NUMBER,
    )
    return [
        Ratio("qr round_trip (zbar+zxing)", ours, bare_zbar, 1.15, "at_most", "segno+pyzbar"),
        Ratio(
            "qr round_trip, like for like",
            ours,
            bare_both,
            1.15,
            "at_most",
            "segno+pyzbar+zxingcpp",
        ),
        Ratio(
            "qr round_trip, vs tuned libraries",
            ours,
            tuned_both,
            0,
            "info",
            "tuned segno+pyzbar+zxingcpp",
        ),
        Ratio(
            "qr second decoder (zxing, QR only) costs",
            tuned_both,
            tuned_zbar,
            0,
            "info",
            "tuned segno+pyzbar",
        ),
    ]
