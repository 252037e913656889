"""What authenticator apps do with non-default ``algorithm``, ``digits`` and ``period`` values.

Most apps fail silently: they accept a QR code whose parameters they do not support and show codes
that never verify. This module loads, from ``data/authenticator_apps.json``, one
:class:`AppProfile` per app, platform and period of time, saying for each parameter whether a
non-default value is :attr:`Support.HONOURED`, :attr:`Support.IGNORED` (the app silently uses the
default, so its codes are wrong) or :attr:`Support.REFUSED` (the scan is rejected), with the source
and the date of the report. ``None`` means the sources do not say.

>>> profile("google-authenticator-android-2012").support("digits")
<Support.IGNORED: 'ignored'>
>>> [p.label for p in profiles_with("algorithm", Support.REFUSED)]
['Google Authenticator (Android, 2023)']
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib.resources import files
from typing import Literal, get_args

from twofa_sim.errors import InputError

__all__ = [
    "PARAMETERS",
    "AppProfile",
    "Behaviour",
    "Parameter",
    "Source",
    "Support",
    "load_profiles",
    "parse_profiles",
    "profile",
    "profiles_with",
]

Parameter = Literal["algorithm", "digits", "period"]
PARAMETERS: tuple[Parameter, ...] = get_args(Parameter)

_DATA_FILE = "authenticator_apps.json"


class Support(StrEnum):
    """What an app does when a URI asks for a non-default value of a parameter."""

    HONOURED = "honoured"
    IGNORED = "ignored"
    """The scan succeeds but the app uses the default value: its codes are silently wrong."""
    REFUSED = "refused"
    """The app rejects the scan."""


@dataclass(frozen=True)
class Source:
    """Where a behaviour was reported: ``id`` is a short reference such as ``owner/repo#123``."""

    id: str
    title: str
    url: str


@dataclass(frozen=True)
class Behaviour:
    """One app's handling of one parameter, as reported (``support`` is None if nobody said)."""

    support: Support | None
    reported: str
    sources: tuple[Source, ...]
    note: str = ""


@dataclass(frozen=True)
class AppProfile:
    """An authenticator app on a platform over a span of years, and what it does per parameter."""

    id: str
    app: str
    platform: str | None
    since: int
    until: int
    algorithm: Behaviour
    digits: Behaviour
    period: Behaviour
    note: str = ""

    @property
    def when(self) -> str:
        """The years the profile covers, e.g. ``2012-2018`` or ``2023``."""
        return str(self.since) if self.since == self.until else f"{self.since}-{self.until}"

    @property
    def label(self) -> str:
        """How a report names the profile, e.g. ``Google Authenticator (Android, 2012-2018)``."""
        details = ", ".join(part for part in (self.platform, self.when) if part)
        return f"{self.app} ({details})"

    @property
    def sources(self) -> tuple[Source, ...]:
        """Every source behind the profile, each once, in the order first cited."""
        seen: dict[str, Source] = {}
        for parameter in PARAMETERS:
            for source in self.behaviour(parameter).sources:
                seen.setdefault(source.id, source)
        return tuple(seen.values())

    def behaviour(self, parameter: Parameter) -> Behaviour:
        """The reported behaviour for ``algorithm``, ``digits`` or ``period``."""
        behaviour: Behaviour = getattr(self, parameter)
        return behaviour

    def support(self, parameter: Parameter) -> Support | None:
        """Shorthand for ``behaviour(parameter).support``."""
        return self.behaviour(parameter).support


@cache
def load_profiles() -> tuple[AppProfile, ...]:
    """Every app profile shipped with twofa-sim, in file order (read once, then cached)."""
    text = files("twofa_sim").joinpath("data", _DATA_FILE).read_text(encoding="utf-8")
    return parse_profiles(json.loads(text), where=_DATA_FILE)


def profile(profile_id: str) -> AppProfile:
    """The shipped profile with this id; :class:`InputError` names the known ids otherwise."""
    for candidate in load_profiles():
        if candidate.id == profile_id:
            return candidate
    known = ", ".join(p.id for p in load_profiles())
    raise InputError(f"no authenticator app profile {profile_id!r}", hint=f"known: {known}")


def profiles_with(parameter: Parameter, support: Support) -> tuple[AppProfile, ...]:
    """The shipped profiles whose handling of ``parameter`` is ``support``, in file order."""
    return tuple(p for p in load_profiles() if p.support(parameter) is support)


# -- validation of the JSON document ---------------------------------------------------------


def parse_profiles(document: object, *, where: str) -> tuple[AppProfile, ...]:
    """Profiles from a decoded JSON document; :class:`InputError` names the bad field."""
    root = _mapping(document, where)
    raw_sources = _mapping(root.get("sources"), f"{where}: sources")
    sources = {
        key: Source(
            id=key,
            title=_text(entry, "title", f"{where}: sources.{key}"),
            url=_text(entry, "url", f"{where}: sources.{key}"),
        )
        for key, entry in raw_sources.items()
    }
    raw_profiles = root.get("profiles")
    if not isinstance(raw_profiles, list) or not raw_profiles:
        raise InputError("'profiles' must be a non-empty list").at(where)
    profiles = tuple(
        _profile(entry, sources, f"{where}: profiles[{index}]")
        for index, entry in enumerate(raw_profiles)
    )
    ids = [p.id for p in profiles]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise InputError(f"duplicate profile ids: {', '.join(duplicates)}").at(where)
    return profiles


def _profile(entry: object, sources: dict[str, Source], where: str) -> AppProfile:
    fields = _mapping(entry, where)
    since = _year(fields, "since", where)
    until = _year(fields, "until", where)
    if until < since:
        raise InputError(f"'until' ({until}) is before 'since' ({since})").at(where)
    platform = fields.get("platform")
    if platform is not None and not (isinstance(platform, str) and platform):
        raise InputError("'platform' must be a non-empty string or null").at(where)
    note = fields.get("note", "")
    if not isinstance(note, str):
        raise InputError("'note' must be a string").at(where)
    algorithm, digits, period = (
        _behaviour(fields.get(name), sources, f"{where}.{name}") for name in PARAMETERS
    )
    return AppProfile(
        id=_text(fields, "id", where),
        app=_text(fields, "app", where),
        platform=platform,
        since=since,
        until=until,
        algorithm=algorithm,
        digits=digits,
        period=period,
        note=note,
    )


def _behaviour(entry: object, sources: dict[str, Source], where: str) -> Behaviour:
    fields = _mapping(entry, where)
    raw_support = fields.get("support")
    if raw_support is None:
        support = None
    elif isinstance(raw_support, str) and raw_support in {s.value for s in Support}:
        support = Support(raw_support)
    else:
        choices = ", ".join(s.value for s in Support)
        raise InputError(f"'support' must be one of {choices} or null").at(where)
    refs = fields.get("sources")
    if not isinstance(refs, list) or not refs:
        raise InputError("'sources' must be a non-empty list of source ids").at(where)
    unknown = [ref for ref in refs if not isinstance(ref, str) or ref not in sources]
    if unknown:
        raise InputError(
            f"unknown source ids: {', '.join(map(repr, unknown))}",
            hint="declare them under the top-level 'sources'",
        ).at(where)
    note = fields.get("note", "")
    if not isinstance(note, str):
        raise InputError("'note' must be a string").at(where)
    return Behaviour(
        support=support,
        reported=_text(fields, "reported", where),
        sources=tuple(sources[ref] for ref in refs),
        note=note,
    )


def _mapping(value: object, where: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise InputError("expected a JSON object").at(where)
    return value


def _text(fields: object, key: str, where: str) -> str:
    value = _mapping(fields, where).get(key)
    if not isinstance(value, str) or not value:
        raise InputError(f"'{key}' must be a non-empty string").at(where)
    return value


def _year(fields: dict[str, object], key: str, where: str) -> int:
    value = fields.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not 2000 <= value <= 2100:
        raise InputError(f"'{key}' must be a year such as 2018").at(where)
    return value
