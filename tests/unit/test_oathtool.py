"""Cross-check random codes against oathtool (OATH Toolkit), an independent C implementation."""

from __future__ import annotations

import random
import shutil
import subprocess

import pytest

from twofa_sim.core.otp import hotp, totp

OATHTOOL = shutil.which("oathtool")
pytestmark = pytest.mark.skipif(
    OATHTOOL is None, reason="oathtool is not installed (Debian: apt-get install oathtool)"
)


def oathtool(*args: str) -> str:
    assert OATHTOOL is not None
    out = subprocess.run([OATHTOOL, *args], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_random_hotp_codes_match_oathtool() -> None:
    """HOTP for random keys, counters (past 2**32) and digit counts equals oathtool's."""
    rng = random.Random(4226)
    for _ in range(25):
        key = rng.randbytes(rng.choice([16, 20, 32]))
        counter = rng.choice([rng.randrange(1000), rng.randrange(2**32, 2**48)])
        digits = rng.choice([6, 7, 8])
        expected = oathtool("--hotp", f"--digits={digits}", f"--counter={counter}", key.hex())
        assert hotp(key, counter, digits=digits) == expected


def test_random_totp_codes_match_oathtool() -> None:
    """TOTP for random keys, times, algorithms, digits and periods equals oathtool's."""
    rng = random.Random(6238)
    for _ in range(25):
        key = rng.randbytes(rng.choice([20, 32, 64]))
        at = rng.randrange(0, 2**34)
        algorithm = rng.choice(["SHA1", "SHA256", "SHA512"])
        digits = rng.choice([6, 7, 8])
        period = rng.choice([15, 30, 60, 90])
        stamp = f"@{at}"
        expected = oathtool(
            f"--totp={algorithm.lower()}",
            f"--digits={digits}",
            f"--time-step-size={period}s",
            f"--now={stamp}",
            key.hex(),
        )
        assert totp(key, at, digits=digits, algorithm=algorithm, period=period) == expected
