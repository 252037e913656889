"""The package's public API and the secret helpers' masking."""

from __future__ import annotations

import subprocess
import sys

import twofa_sim
from twofa_sim.core.secret import mask_secret, redact_uri


def test_every_public_name_resolves() -> None:
    """Every name in twofa_sim.__all__ can be imported from the package."""
    for name in twofa_sim.__all__:
        assert getattr(twofa_sim, name) is not None
    assert set(twofa_sim.__all__) == {"__version__", *twofa_sim._EXPORTS}


def test_importing_the_package_is_light() -> None:
    """`import twofa_sim` loads no QR decoder or image library (a pytest plugin imports it)."""
    code = (
        "import sys, twofa_sim; "
        "print(sorted(m for m in ('zxingcpp', 'PIL', 'segno') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_masking_shows_four_characters_and_the_size() -> None:
    """Masked secrets keep 4 characters (20 bits) and say how big the key is."""
    assert mask_secret("gezd gnbv gy3t qojq gezd gnbv gy3t qojq") == "GEZD…(160 bits)"
    assert mask_secret("not base32!") == "…(not base32, 11 characters)"


def test_redact_uri_masks_every_secret_parameter() -> None:
    """Every secret= value in a URI is masked, whatever its case or position."""
    text = "otpauth://totp/a?SECRET=GEZDGNBVGY3TQOJQ&x=1&secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    redacted = redact_uri(text)
    assert "GEZDGNBVGY3TQOJQ" not in redacted
    assert redacted.count("GEZD…") == 2


def test_an_error_message_keeps_addresses_and_times_but_never_a_code() -> None:
    """Rule: a setup error names the loopback service and the times it compared (before,
    every digit run was dots, ports and years included), and still hides every code and any
    otpauth secret."""
    from twofa_sim.core.secret import mask_codes_in_message

    text = (
        "POST http://127.0.0.1:34165/reset: the service's clock reads 1970-01-01T00:00:00Z, "
        "the virtual clock 2026-03-01T09:00:00.250Z; code 482913, code:123456, "
        "localhost:4829130 otpauth://totp/X:a?secret=JBSWY3DPEHPK3PXP"
    )
    masked = mask_codes_in_message(text)
    assert "http://127.0.0.1:34165/reset" in masked
    assert "1970-01-01T00:00:00Z" in masked and "2026-03-01T09:00:00.250Z" in masked
    for code in ("482913", "123456", "4829130", "JBSWY3DPEHPK3PXP"):
        assert code not in masked
