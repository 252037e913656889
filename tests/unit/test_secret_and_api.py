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
