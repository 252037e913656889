"""Verification reports: what ``twofa-sim run`` writes, re-renders, verifies and compares."""
