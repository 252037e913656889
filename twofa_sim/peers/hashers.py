"""The password hasher of the Django peers' scenario runs: Django's own PBKDF2-SHA256 hasher at
1,000 rounds (Django's default is 1,000,000: no scenario can observe the cost, and at the
default every login costs half a second). Without Django installed this module defines nothing.
"""

from __future__ import annotations

__all__ = ["ScenarioPasswordHasher"]

SCENARIO_ITERATIONS = 1000

try:
    from django.contrib.auth.hashers import PBKDF2PasswordHasher
except ImportError:  # pragma: no cover - the [django] extra is not installed
    __all__ = []
else:

    class ScenarioPasswordHasher(PBKDF2PasswordHasher):  # type: ignore[misc]
        """Django's PBKDF2 password hasher, salted as usual, at 1,000 rounds."""

        iterations = SCENARIO_ITERATIONS
