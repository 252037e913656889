"""twofa-sim: a test harness and simulation suite for two-factor authentication.

The public API, importable from here (each name is loaded from its module on first use, so
``import twofa_sim`` stays light: the QR decoders load only when a QR function is used)::

    from twofa_sim import VirtualClock, DeviceClock, frozen_system_time      # clocks
    from twofa_sim import totp, hotp, TotpVerifier, TotpPolicy, TotpState     # OTP engine
    from twofa_sim import build_uri, parse_uri, lint_uri                      # otpauth URIs
    from twofa_sim import render_png, decode_image, round_trip, scan_image    # QR codes

Errors live in :mod:`twofa_sim.errors`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    **dict.fromkeys(
        [
            "Clock",
            "DeviceClock",
            "SystemClock",
            "VirtualClock",
            "frozen_system_time",
            "parse_duration",
            "parse_instant",
        ],
        "twofa_sim.core.clock",
    ),
    **dict.fromkeys(
        [
            "Algorithm",
            "HotpPolicy",
            "HotpState",
            "HotpVerifier",
            "OtpParams",
            "Reason",
            "TotpPolicy",
            "TotpState",
            "TotpVerifier",
            "Verification",
            "hotp",
            "totp",
        ],
        "twofa_sim.core.otp",
    ),
    **dict.fromkeys(
        ["decode_secret", "encode_secret", "generate_secret", "mask_secret"],
        "twofa_sim.core.secret",
    ),
    **dict.fromkeys(
        ["Finding", "KeyUri", "build_uri", "lint_uri", "parse_uri"], "twofa_sim.core.keyuri"
    ),
    **dict.fromkeys(["Decoded", "decode_image", "render_png", "round_trip"], "twofa_sim.core.qr"),
    **dict.fromkeys(["Scan", "scan_image"], "twofa_sim.core.scan"),
    "check_vectors": "twofa_sim.core.vectors",
}

__all__ = [
    "Algorithm",
    "Clock",
    "Decoded",
    "DeviceClock",
    "Finding",
    "HotpPolicy",
    "HotpState",
    "HotpVerifier",
    "KeyUri",
    "OtpParams",
    "Reason",
    "Scan",
    "SystemClock",
    "TotpPolicy",
    "TotpState",
    "TotpVerifier",
    "Verification",
    "VirtualClock",
    "__version__",
    "build_uri",
    "check_vectors",
    "decode_image",
    "decode_secret",
    "encode_secret",
    "frozen_system_time",
    "generate_secret",
    "hotp",
    "lint_uri",
    "mask_secret",
    "parse_duration",
    "parse_instant",
    "parse_uri",
    "render_png",
    "round_trip",
    "scan_image",
    "totp",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'twofa_sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from twofa_sim.core.clock import (
        Clock,
        DeviceClock,
        SystemClock,
        VirtualClock,
        frozen_system_time,
        parse_duration,
        parse_instant,
    )
    from twofa_sim.core.keyuri import Finding, KeyUri, build_uri, lint_uri, parse_uri
    from twofa_sim.core.otp import (
        Algorithm,
        HotpPolicy,
        HotpState,
        HotpVerifier,
        OtpParams,
        Reason,
        TotpPolicy,
        TotpState,
        TotpVerifier,
        Verification,
        hotp,
        totp,
    )
    from twofa_sim.core.qr import Decoded, decode_image, render_png, round_trip
    from twofa_sim.core.scan import Scan, scan_image
    from twofa_sim.core.secret import decode_secret, encode_secret, generate_secret, mask_secret
    from twofa_sim.core.vectors import check_vectors
