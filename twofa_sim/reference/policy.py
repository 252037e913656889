"""The reference service's one security policy, and the requirement each rule serves.

Every number the service enforces lives here, with the rule it implements, so a scenario can
change one (``SecurityPolicy(sms_code_ttl=300)``) and a report can say why each one is what it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from twofa_sim.core.otp import TotpPolicy
from twofa_sim.errors import InputError

__all__ = [
    "FIELDS",
    "RULES",
    "SecurityPolicy",
    "policy_from",
    "policy_problems",
    "policy_schema",
    "read_overrides",
    "read_policy",
]


@dataclass(frozen=True)
class SecurityPolicy:
    """What the reference service enforces. Defaults follow the standards; see :data:`RULES`."""

    totp: TotpPolicy = field(default_factory=TotpPolicy)
    """Window one step back and forward, replay protection, drift tracking with a limit."""
    sms_code_digits: int = 6
    sms_code_ttl: float = 600.0
    sms_code_attempts: int = 5
    """Wrong guesses one code survives; then it is spent and a new one must be sent."""
    resend_cooldown: float = 30.0
    max_consecutive_failures: int = 10
    """Second-factor failures in a row (across sessions) before the account locks."""
    lockout_duration: float = 3600.0
    backoff_factor: float = 1.0
    """After n failures in a row, the next attempt waits backoff_factor * 2**(n-1) s."""
    backoff_cap: float = 900.0
    push_limit: int = 3
    push_window: float = 600.0
    """At most push_limit OneTouch pushes per user in any push_window seconds."""
    push_ttl: int = 120
    number_matching: bool = True
    """A push counts only once the user types the number it shows on the login page."""
    login_ttl: float = 600.0
    """A login attempt (password done, second factor pending) expires after this long."""
    recovery_codes: int = 10
    recovery_code_length: int = 10
    code_hash_iterations: int = 50_000
    """PBKDF2-HMAC-SHA256 rounds for recovery codes (and the simulated passwords)."""
    confirm_totp: bool = True
    """False reproduces the seed document: a QR secret is active as soon as it is shown."""

    def __post_init__(self) -> None:
        import math

        for item in fields(self):
            value = getattr(self, item.name)
            default = getattr(_DEFAULTS, item.name, None) if _DEFAULTS is not None else None
            if isinstance(default, bool):
                if not isinstance(value, bool):
                    raise InputError(f"{item.name} must be true or false", where=item.name)
                continue
            if isinstance(default, int) and (isinstance(value, bool) or not isinstance(value, int)):
                raise InputError(f"{item.name} must be a whole number", where=item.name)
            if isinstance(default, float):
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise InputError(f"{item.name} must be a number of seconds", where=item.name)
                if not math.isfinite(value):
                    raise InputError(f"{item.name} must be finite", where=item.name)
            if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
                raise InputError(f"{item.name} must not be negative", where=item.name)
        if not 6 <= self.sms_code_digits <= 10:
            raise InputError("SMS codes need 6 to 10 digits (ASVS 6.5.4)", where="sms_code_digits")
        if not 0 < self.sms_code_ttl <= 600:
            raise InputError(
                "an out-of-band code may live at most 10 minutes (ASVS 6.5.5)",
                where="sms_code_ttl",
            )
        if not 1 <= self.max_consecutive_failures <= 100:
            raise InputError(
                "at most 100 consecutive failures (NIST SP 800-63B 5.2.2)",
                where="max_consecutive_failures",
            )
        for name in ("sms_code_attempts", "push_limit", "recovery_codes", "code_hash_iterations"):
            if getattr(self, name) < 1:
                raise InputError(f"{name} must be at least 1", where=name)
        for name in ("push_ttl", "login_ttl", "push_window"):
            if getattr(self, name) <= 0:
                raise InputError(f"{name} must be more than 0 seconds", where=name)
        if self.recovery_code_length < 8:
            raise InputError(
                "recovery codes need at least 8 characters", where="recovery_code_length"
            )

    @classmethod
    def seed_compat(cls) -> SecurityPolicy:
        """The seed document's flow as written: the QR secret is active without confirmation."""
        return cls(confirm_totp=False)


_DEFAULTS: SecurityPolicy | None = None
_DEFAULTS = SecurityPolicy()
"""The defaults, whose types say what each field must be."""

RULES: dict[str, tuple[str, str]] = {
    "totp-window": ("RFC 6238 5.2", "accept at most one step back and one forward"),
    "totp-replay": (
        "RFC 6238 5.2; ASVS 5.0 6.5.1",
        "an accepted time step is never accepted again",
    ),
    "totp-drift": ("RFC 6238 6", "remember the drift seen at each success, within a limit"),
    "totp-confirm": (
        "peer practice (Fortify#201)",
        "a new QR secret is active only once confirmed",
    ),
    "secret-csprng": ("ASVS 5.0 6.5.3; RFC 4226 R6", "160-bit secrets from a CSPRNG"),
    "oob-entropy": ("ASVS 5.0 6.5.4", "SMS codes of at least 6 random digits"),
    "oob-ttl": ("ASVS 5.0 6.5.5; NIST 800-63B 5.1.3.2", "SMS codes expire within 10 minutes"),
    "oob-single-use": ("ASVS 5.0 6.5.1", "an SMS code works once"),
    "oob-bound": ("ASVS 5.0 6.6.2", "a code is bound to the request that sent it"),
    "oob-hashed": ("ASVS 4.0.3 2.7.5", "only a hash of a code is stored"),
    "oob-rate-limit": ("ASVS 5.0 6.6.3, 2.4.1", "attempts per code and resends are limited"),
    "throttle": ("NIST 800-63B 5.2.2; RFC 4226 7.3", "consecutive failures lock the account"),
    "backoff": ("RFC 4226 7.3 (django-otp)", "exponential back-off between failures"),
    "push-rate-limit": ("ASVS 5.0 6.6.4", "pushes are rate limited against push bombing"),
    "push-number-matching": ("NIST 800-63B 5.1.3.1", "a push counts only with the matching number"),
    "push-approval": (
        "NIST 800-63B 5.1.3.1",
        "only an explicit approval in the app approves a push (fail closed); a denial is told",
    ),
    "login-bound": (
        "ASVS 5.0 6.6.2; NIST 800-63B 5.1.3.2",
        "a second factor completes only its own login attempt, once, within its lifetime",
    ),
    "no-enumeration": (
        "ASVS 5.0 6.3.8",
        "an unknown user and a wrong password get the same answer, in the same time",
    ),
    "recovery-hashed": ("ASVS 5.0 6.5.2", "recovery codes stored salted and hashed, single use"),
    "notify-change": ("ASVS 5.0 6.3.7; NIST 800-63B 6.1.2.1", "the user is told of factor changes"),
    "notify-replay": ("ASVS 4.0.3 2.8.5", "a replayed code is logged and the user told"),
    "audit": ("ASVS 5.0 16.3.1", "every authentication event logged, no secrets"),
    "phone-validated": ("ASVS 5.0 6.6.1", "SMS only to a number verified first"),
    "oob-no-email": (
        "NIST 800-63B 5.1.3; ASVS 5.0 6.3.6",
        "e-mail is never a second factor, though Verify offers an e-mail channel",
    ),
}
"""Rule id -> (requirement, what the service does). Every audit event names the rule it applies
(``details["rule"]``; ``audit`` for an event that only records), and every
:class:`~twofa_sim.reference.verdicts.Outcome` the service answers names the rule that decided."""


FIELDS: dict[str, str] = {
    "totp.steps_back": "time steps behind the server's that a TOTP code may be from (RFC 6238 5.2)",
    "totp.steps_forward": "time steps ahead of the server's that a TOTP code may be from",
    "totp.replay_protection": "refuse a TOTP step at or before the last accepted one",
    "totp.track_drift": "centre the window on the drift seen at the last success (RFC 6238 6)",
    "totp.max_drift_steps": "never accept a step further than this from the server's, whatever "
    "the drift (null: no limit)",
    "totp.diagnose_steps": "how far to look to say outside_window instead of wrong_code "
    "(changes no verdict)",
    "sms_code_digits": "digits of an SMS code (6 to 10; ASVS 5.0 6.5.4)",
    "sms_code_ttl": "seconds an SMS code lives (at most 600: ASVS 5.0 6.5.5)",
    "sms_code_attempts": "wrong guesses one SMS code survives before it is spent",
    "resend_cooldown": "seconds before another code may be sent to a number",
    "max_consecutive_failures": "second-factor (and password) failures in a row before the "
    "account locks (1 to 100: NIST SP 800-63B 5.2.2)",
    "lockout_duration": "seconds the account stays locked",
    "backoff_factor": "after n failures in a row, the next attempt waits backoff_factor * "
    "2**(n-1) seconds (0: no back-off)",
    "backoff_cap": "the longest back-off wait, in seconds",
    "push_limit": "Authy pushes per user within push_window",
    "push_window": "seconds over which push_limit counts",
    "push_ttl": "seconds a push stays answerable",
    "number_matching": "a push counts only once the number it shows is typed on the login page",
    "login_ttl": "seconds a login attempt (password done, second factor pending) lives",
    "recovery_codes": "recovery codes per set",
    "recovery_code_length": "characters of a recovery code (at least 8)",
    "code_hash_iterations": "PBKDF2 rounds for recovery codes and passwords (cost only)",
    "confirm_totp": "a new QR secret is active only once confirmed with a code",
    "seed_compat": "true: the seed document's flow (a QR secret active as soon as shown)",
}
"""Every ``given.policy`` field (``totp.*`` inside ``totp:``) and what it sets: the names a
scenario overrides and ``{policy.NAME}`` reads."""


def policy_schema() -> dict[str, Any]:
    """The JSON Schema of ``given.policy``, made from :class:`SecurityPolicy` and
    :class:`~twofa_sim.core.otp.TotpPolicy` (so editors complete and explain the fields)."""

    def one(name: str, value: Any) -> dict[str, Any]:
        schema: dict[str, Any]
        if isinstance(value, bool):
            schema = {"type": "boolean"}
        elif isinstance(value, int):
            schema = {"type": "integer", "minimum": 0}
        elif isinstance(value, float):
            schema = {
                "type": ["number", "string"],
                "format": "duration",
                "description": "",
            }
        else:  # None: an optional whole number
            schema = {"type": ["integer", "null"], "minimum": 0}
        schema["description"] = FIELDS.get(name, "")
        return schema

    window = TotpPolicy()
    totp: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "description": "the TOTP window and its rules",
        "properties": {
            item.name: one(f"totp.{item.name}", getattr(window, item.name))
            for item in fields(TotpPolicy)
        },
    }
    base = SecurityPolicy()
    properties: dict[str, Any] = {
        item.name: totp if item.name == "totp" else one(item.name, getattr(base, item.name))
        for item in fields(SecurityPolicy)
    }
    properties["seed_compat"] = {"type": "boolean", "description": FIELDS["seed_compat"]}
    return {
        "type": "object",
        "additionalProperties": False,
        "description": "reference policy settings to override (durations as 5m or seconds); "
        "a target without a setting makes the scenario not applicable",
        "properties": properties,
    }


# --- a scenario's ``given.policy`` -----------------------------------------------------------


def policy_from(overrides: Mapping[str, Any], where: str = "given.policy") -> SecurityPolicy:
    """A :class:`SecurityPolicy` from a scenario's overrides; durations may be written ``5m``;
    ``totp`` is a mapping of :class:`~twofa_sim.core.otp.TotpPolicy` fields; ``seed_compat: true``
    starts from the seed document's behaviour. Raises the first of :func:`policy_problems`."""
    policy, problems = read_policy(overrides, where)
    if problems:
        raise problems[0]
    assert policy is not None
    return policy


def policy_problems(overrides: Mapping[str, Any], where: str = "given.policy") -> list[InputError]:
    """Every problem of a scenario's policy overrides, each located (``where`` names the field:
    ``given.policy.totp.steps_bak``) with a hint; empty when the policy is good."""
    return read_policy(overrides, where)[1]


def read_policy(
    overrides: Mapping[str, Any], where: str = "given.policy"
) -> tuple[SecurityPolicy | None, list[InputError]]:
    """(the policy or None, every problem): see :func:`policy_from`."""
    policy, _plain, problems = _read(overrides, where)
    return policy, problems


def read_overrides(
    overrides: Any, where: str = "given.policy"
) -> tuple[dict[str, Any] | None, list[InputError]]:
    """A scenario's overrides checked (as :func:`read_policy` does) and written plainly: the
    keys as written, durations in seconds (``5m`` -> ``300.0``), ``totp`` a mapping of the window
    fields it sets, ``seed_compat`` as written; (None, every problem) when they are wrong."""
    if not isinstance(overrides, Mapping):
        return None, [InputError("policy takes a mapping of settings", where=where)]
    _policy, plain, problems = _read(overrides, where)
    return (None if problems else plain), problems


def _read(
    overrides: Mapping[str, Any], where: str
) -> tuple[SecurityPolicy | None, dict[str, Any], list[InputError]]:
    """(the policy or None, the overrides written plainly, every problem)."""
    from twofa_sim.core.otp import TotpPolicy

    problems: list[InputError] = []
    values = _settings(overrides, SecurityPolicy, "policy", where, problems, extra=("seed_compat",))
    plain: dict[str, Any] = dict(values)
    if "seed_compat" in overrides:
        if not isinstance(overrides["seed_compat"], bool):
            problems.append(InputError("must be true or false", where=f"{where}.seed_compat"))
        plain["seed_compat"] = overrides["seed_compat"]
    if overrides.get("seed_compat") is True:
        values.setdefault("confirm_totp", False)
    if "totp" in values:
        totp = values["totp"]
        if not isinstance(totp, Mapping):
            problems.append(
                InputError("totp takes a mapping of window settings", where=f"{where}.totp")
            )
            del values["totp"]
        else:
            window = _settings(totp, TotpPolicy, "TOTP", f"{where}.totp", problems)
            plain["totp"] = dict(window)
            try:
                values["totp"] = TotpPolicy(**window)
            except InputError as exc:
                problems.append(_located(exc, f"{where}.totp"))
                del values["totp"]
    if problems:
        return None, plain, problems
    try:
        return SecurityPolicy(**values), plain, []
    except InputError as exc:
        return None, plain, [_located(exc, where)]


def _settings(
    given: Mapping[str, Any],
    kind: type[Any],
    what: str,
    where: str,
    problems: list[InputError],
    extra: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The fields of dataclass ``kind`` that ``given`` sets, type-checked and with durations
    read; each problem appended to ``problems``."""
    from dataclasses import fields

    from twofa_sim.core.clock import parse_duration

    known = {f.name: f for f in fields(kind)}
    base = kind()
    values: dict[str, Any] = {}
    for key, value in given.items():
        here = f"{where}.{key}"
        if key in extra:
            continue
        if key not in known:
            from difflib import get_close_matches

            close = get_close_matches(str(key), [*known, *extra], n=1)
            if not close:  # the words in another order: drift_tracking for track_drift
                by_words = {_words(name): name for name in [*known, *extra]}
                close = [by_words[w] for w in get_close_matches(_words(str(key)), by_words, n=1)]
            problems.append(
                InputError(
                    f"no {what} setting {key!r}",
                    where=here,
                    hint=f"did you mean {close[0]!r}?"
                    if close
                    else f"settings: {', '.join([*known, *extra])}",
                )
            )
            continue
        current = getattr(base, key)
        if value is None and "None" in str(known[key].type):
            pass
        elif isinstance(current, bool):
            if not isinstance(value, bool):
                problems.append(InputError("must be true or false", where=here))
                continue
        elif isinstance(current, float) and isinstance(value, str):
            try:
                value = parse_duration(value)
            except InputError as exc:
                problems.append(_located(exc, here, replace=True))
                continue
        elif isinstance(current, int) and (isinstance(value, bool) or not isinstance(value, int)):
            problems.append(
                InputError(
                    f"must be a whole number, not {value!r}",
                    where=here,
                    hint="a whole number in digits, like 3",
                )
            )
            continue
        values[key] = value
    return values


def _words(name: str) -> str:
    return "_".join(sorted(name.split("_")))


def _located(exc: InputError, where: str, *, replace: bool = False) -> InputError:
    """``exc`` with ``where`` in front of its own location (or instead of it)."""
    located = where if replace else f"{where}.{exc.where or ''}".rstrip(".")
    return InputError(exc.what, where=located, hint=exc.hint)
