"""The Django peers' URL configuration: empty (the target calls its views directly), but
Django resolves redirect targets such as ``otp_required``'s login URL against it."""

from __future__ import annotations

from typing import Any

urlpatterns: list[Any] = []
