"""Test-suite wide settings: the Hypothesis profiles.

``dev`` (the default) explores more examples; ``ci`` (``make test`` passes
``--hypothesis-profile=ci``) is derandomized so a run is reproducible, has no deadline (two busy
cores must not turn slowness into failures) and keeps no example database.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=200)
settings.register_profile(
    "ci",
    max_examples=100,
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("dev")

pytest_plugins = ["pytester"]

# Broken scenario files on purpose: the loader's tests read them; pytest must not collect them.
collect_ignore = ["bad_inputs"]
