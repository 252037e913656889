"""What a running scenario holds: its world, its target, captures, and each user's state.

Steps (:mod:`twofa_sim.scenario.steps`) act on a :class:`Run`; an action's answer becomes a
:class:`Result`; a step that finds something other than what the scenario expects raises
:class:`StepFailed` (the scenario failed), a step that cannot run raises :class:`StepError`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from twofa_sim.core.clock import format_duration, parse_duration
from twofa_sim.core.secret import mask_codes, mask_phone
from twofa_sim.errors import (
    InputError,
    ProviderUnavailableError,
    RetryLaterError,
    StepError,
    StepUnsupported,
)
from twofa_sim.scenario.declared import PREFIX, Declared
from twofa_sim.scenario.target import Challenge, Enrollment, Target
from twofa_sim.world.apps import AuthenticatorApp, Phone

__all__ = [
    "APP_ALIASES",
    "DEFAULT_PASSWORD",
    "Result",
    "Run",
    "UserState",
    "expand",
    "placeholders",
]

DEFAULT_PASSWORD = "correct horse battery staple"

APP_ALIASES: dict[str, str] = {
    "google-authenticator": "google-authenticator-2024",
    "authy": "authy-2018",
    "freeotp": "freeotp-2018",
    "microsoft-authenticator": "microsoft-authenticator-2016",
    "duo-mobile": "duo-mobile-2018",
}
"""Short app names a scenario may use, and the profile each one runs."""

_PLACEHOLDER = re.compile(
    r"\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)(?:\[(\d+)\])?\}"
)
"""``{name}``, ``{name[0]}``, or ``{policy.field}`` (:mod:`twofa_sim.scenario.declared`)."""


@dataclass(frozen=True)
class Result:
    """An action's answer, as expectations see it."""

    ok: bool
    reason: str
    status: str = ""
    retry_after: float | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        word = "accepted" if self.ok else "rejected"
        parts = [word if self.reason in ("", word) else f"{word} ({self.reason})"]
        if self.data.get("detail"):
            parts[0] += f": {self.data['detail']}"
        if self.status and self.status != self.reason:
            parts.append(f"status {self.status}")
        if self.retry_after:
            parts.append(f"retry after {format_duration(self.retry_after)}")
        return ", ".join(parts)


@dataclass
class UserState:
    """What the page (and the scenario) remembers for one user between steps."""

    name: str
    password: str
    phone: str | None
    challenge: Challenge | None = None
    login_id: str | None = None
    enrollment: Enrollment | None = None
    recovery: list[str] = field(default_factory=list)
    recovery_used: set[int] = field(default_factory=set)
    """Indexes of the recovery codes this user has had accepted (the user crosses them out)."""
    registered: bool = True


@dataclass
class Run:
    """One scenario's world, target and memory."""

    world: Any
    target: Target
    users: dict[str, UserState]
    captures: dict[str, Any] = field(default_factory=dict)
    last: Result | None = None
    push_numbers: dict[str, str] = field(default_factory=dict)
    """The number the latest approved push showed, per phone (what the user types)."""
    evidence: list[dict[str, Any]] = field(default_factory=list)
    secrets_seen: set[str] = field(default_factory=set)
    """Every code and secret the run handled: reports are searched for them."""
    issuer: str = "twofa-sim"
    """The issuer the target writes in its otpauth URIs (how apps name the account)."""
    drift: list[dict[str, Any]] = field(default_factory=list)
    """Each TOTP code typed from a phone whose clock drifts: when, its error, the verdict."""
    totp_secrets: set[str] = field(default_factory=set)
    """TOTP secrets the run saw: a verifier must keep these (RFC 4226 7.5), unlike codes."""
    probes: int = 0
    """Probe users made so far (``expect_acceptance``), for unique names."""
    declared: Declared | None = None
    """The target's declared policy, for ``{policy.NAME}`` (None: the target declares none)."""

    def value(self, name: str, index: int | None) -> Any:
        """A placeholder's value: a captured one, or (``policy.NAME``) the number the target's
        declared policy gives (recorded as evidence, with where it came from)."""
        if name.startswith(PREFIX):
            setting = name[len(PREFIX) :]
            found = None if self.declared is None else self.declared.value(setting)
            if found is None:
                raise StepError(f"the target declares no {setting} and no standard bounds it")
            value, source = found
            self.show("policy", setting=setting, value=value, source=source)
            return value
        value = self.captures[name]
        return value if index is None else value[index]

    # --- who and what ----------------------------------------------------------------------

    def user(self, args: Mapping[str, Any]) -> UserState:
        name = args.get("user")
        if name is None:
            if len(self.users) != 1:
                raise StepError("name the user: this scenario has several (or none)")
            return next(iter(self.users.values()))
        try:
            return self.users[str(name)]
        except KeyError:
            raise StepError(f"no user {name!r} in given.users") from None

    def phone(self, args: Mapping[str, Any], user: UserState | None = None) -> Phone:
        number = args.get("phone")
        if number is None:
            owner = user or (self.user(args) if self.users else None)
            if owner is not None and owner.phone is not None:
                number = owner.phone
            elif len(self.world.phones) == 1:
                number = next(iter(self.world.phones))
            else:
                raise StepError("name the phone: it is not clear which one")
        from twofa_sim.core.phone import parse_e164

        phone: Phone = self.world.phone(parse_e164(str(number)).e164)
        return phone

    def app(self, args: Mapping[str, Any], phone: Phone) -> AuthenticatorApp:
        name = args.get("app")
        if name is None:
            if len(phone.apps) != 1:
                raise StepError(
                    f"name the app: phone {mask_phone(phone.number)} runs {len(phone.apps)}"
                )
            return next(iter(phone.apps.values()))
        profile = APP_ALIASES.get(str(name), str(name))
        try:
            return phone.apps[profile]
        except KeyError:
            raise StepError(f"phone {mask_phone(phone.number)} does not run {name}") from None

    def require(self, feature: str) -> None:
        """Stop this step as ``unsupported`` unless the target declares ``feature``."""
        features: frozenset[str] = getattr(self.target, "features", frozenset())
        if feature not in features:
            name = getattr(self.target, "name", type(self.target).__name__)
            raise StepUnsupported(feature, str(name))

    # --- answers --------------------------------------------------------------------------

    def secret(self, *values: str | None) -> None:
        for value in values:
            if value:
                self.secrets_seen.add(value)

    def show(self, kind: str, **data: Any) -> None:
        """Add evidence to the current step (already masked by the caller)."""
        self.evidence.append({"kind": kind, **data})

    def show_sms(self, phone: Phone, limit: int = 3) -> None:
        for sms in phone.inbox()[-limit:]:
            self.show(
                "sms",
                to=mask_phone(sms.to),
                text=mask_codes(sms.body, reveal=0),
                at=sms.delivered_at,
            )


@contextmanager
def answer_of(run: Run) -> Iterator[list[Result]]:
    """Turn what a target raises for a refusal into a :class:`Result` (see the Target docs)."""
    box: list[Result] = []
    try:
        yield box
    except RetryLaterError as exc:
        box.append(Result(False, exc.reason or "throttled", retry_after=exc.retry_after))
    except ProviderUnavailableError as exc:
        box.append(
            Result(False, "provider_unavailable", data={"detail": mask_codes(str(exc), reveal=0)})
        )
    except InputError as exc:
        box.append(Result(False, "invalid_input", data={"detail": mask_codes(str(exc), reveal=0)}))


def placeholders(value: Any) -> Iterator[tuple[str, int | None]]:
    """Every ``{name}`` / ``{name[0]}`` a value's strings use (``{{`` escapes a brace)."""
    if isinstance(value, str):
        for match in _PLACEHOLDER.finditer(value.replace("{{", "").replace("}}", "")):
            index = match.group(2)
            yield match.group(1), None if index is None else int(index)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from placeholders(item)
    elif isinstance(value, list):
        for item in value:
            yield from placeholders(item)


def expand(value: Any, lookup: Callable[[str, int | None], Any]) -> Any:
    """``value`` with its placeholders filled; a string that is one placeholder becomes the
    captured value itself (a number stays a number)."""
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value)
        if whole:
            index = whole.group(2)
            return lookup(whole.group(1), None if index is None else int(index))

        def one(match: re.Match[str]) -> str:
            index = match.group(2)
            return str(lookup(match.group(1), None if index is None else int(index)))

        parts = value.split("{{")
        filled = [
            "}".join(_PLACEHOLDER.sub(one, piece) for piece in part.split("}}")) for part in parts
        ]
        return "{".join(filled)
    if isinstance(value, Mapping):
        return {key: expand(item, lookup) for key, item in value.items()}
    if isinstance(value, list):
        return [expand(item, lookup) for item in value]
    return value


def seconds(value: Any) -> float:
    """A duration field's value in seconds."""
    return parse_duration(value)
