"""What a person checked about each scenario a peer target does not pass.

``twofa-sim compare`` shows these notes beside the divergences it finds (and the README's "How
common implementations fare" is generated with them). A note says what the implementation
does and how that was confirmed (a probe, a test, its source): the run shows *that* a check
failed, the note says why it is the implementation's behaviour and not the harness's.
``tests/peers/test_reviewed.py`` keeps them honest: every failed scenario of a peer has a note,
and every note names a scenario that fails.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["REVIEWED"]

REVIEWED: Mapping[str, Mapping[str, str]] = {
    "django-otp": {},
}
