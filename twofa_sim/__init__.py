"""twofa-sim: a test harness and simulation suite for two-factor authentication."""

from __future__ import annotations

__version__ = "0.1.0"
