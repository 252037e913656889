"""The mutants of the mutation review: one broken rule each, with a probe and likely killers.

A :class:`Mutant` is a :class:`~twofa_sim.reference.ServiceParts` (and, for rules that live in
the service itself, a policy the service is built with: its public constructor argument), the
rule of :data:`~twofa_sim.reference.RULES` it breaks, and a **probe**: a few scenario steps that
pass against the reference and must not against the mutant, proving the mutant is not a no-op.
``killers`` name the library scenarios likely to catch it (tried first, to keep the run short).

Controls are mutants no scenario can observe by design; each says why.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.mutation import parts as p
from twofa_sim.reference import (
    CodeSender,
    FailureGate,
    LoginFlow,
    PendingCodeCheck,
    ServiceParts,
    UserRecord,
)
from twofa_sim.scenario.target import TargetContext
from twofa_sim.scenario.targets.reference import ReferenceTarget

__all__ = ["CONTROLS", "MUTANTS", "PHONE", "Mutant"]

PHONE = "+12015550101"
"""A number libphonenumber accepts (fictional 555-01xx range)."""


@dataclass(frozen=True)
class Mutant:
    name: str
    rule: str
    """The id of the rule it breaks (``twofa_sim.reference.RULES``)."""
    what: str
    parts: ServiceParts = field(default_factory=ServiceParts)
    policy: Mapping[str, Any] = field(default_factory=dict)
    """Policy fields forced on the service (only for rules the service applies itself)."""
    probe: str = ""
    """A scenario document (YAML) that passes on the reference and fails on the mutant."""
    killers: tuple[str, ...] = ()
    control: str = ""
    """For a control: why no scenario can observe it."""

    def target(self) -> type[ReferenceTarget]:
        """The reference target running this mutant (a subclass setting ``parts``)."""
        forced = dict(self.policy)

        def __init__(target: ReferenceTarget, context: TargetContext) -> None:
            if forced:
                context = dataclasses.replace(context, policy={**context.policy, **forced})
            ReferenceTarget.__init__(target, context)

        cls_name = "Mutant_" + self.name.replace("-", "_")
        attrs = {"parts": self.parts, "name": f"mutant:{self.name}", "__init__": __init__}
        return type(cls_name, (ReferenceTarget,), attrs)


def _doc(name: str, steps: str, *, given: str = "", phone: str = "{number: '%s'}") -> str:
    """A probe scenario: alice with one phone, then ``steps`` (YAML list items)."""
    return (
        f"id: probe-{name}\ntitle: probe\ncovers: []\ngiven:\n  start: 2026-03-01T09:00:00Z\n"
        f"  users: [alice, {{name: mallory, registered: false}}]\n"
        f"  phones:\n    - {phone % PHONE}\n{given}steps:\n{steps}"
    )


APP = "{number: '%s', apps: [google-authenticator]}"
AUTHY = "{number: '%s', authy: true}"
SMS_ON = """\
  - submit_phone: {user: alice}
  - advance: 5s
  - enter_code: {user: alice}
  - advance: 1m
"""
TOTP_ON = """\
  - generate_qr: {user: alice}
  - scan_qr: {user: alice, app: google-authenticator}
  - confirm_app: {user: alice}
  - advance: 1m
"""
AUTHY_ON = f"""\
  - submit_phone: {{user: alice}}
  - advance: 3s
  - approve_push: {{phone: '{PHONE}'}}
  - enter_code: {{user: alice}}
  - advance: 1m
"""
LOCK3 = "  policy: {max_consecutive_failures: 3}\n"
SQLITE = "  store: sqlite\n"
WRONG_TOTP_X3 = """\
  - login: {user: alice, expect: second_factor}
  - submit_code: {user: alice, factor: totp, code: '000000', expect: rejected}
  - advance: 5s
  - submit_code: {user: alice, factor: totp, code: '111111', expect: rejected}
  - advance: 5s
  - submit_code: {user: alice, factor: totp, code: '222222', expect: rejected}
"""
LOCKED = """\
  - expect_account: {user: alice, locked: true}
  - advance: 1m
  - login: {user: alice, expect: refused}
"""
TOTP_REPLAY = """\
  - login: {user: alice, expect: second_factor}
  - read_code: {user: alice, from: totp, capture: c}
  - submit_code: {user: alice, factor: totp, code: '{c}', expect: accepted}
  - advance: 5s
  - login: {user: alice, expect: second_factor}
  - submit_code: {user: alice, factor: totp, code: '{c}', expect: replayed}
"""


def _offset(seconds: str, expect: str) -> str:
    """Log in with a code from a phone whose clock is ``seconds`` off, mid-step."""
    return (
        TOTP_ON
        + f"""\
  - advance: 1m15s
  - set_device_clock: {{phone: '{PHONE}', offset: {seconds}}}
  - login: {{user: alice, expect: second_factor}}
  - submit_code: {{user: alice, factor: totp, expect: {expect}}}
"""
    )


def _recovery(steps: str) -> str:
    return (
        SMS_ON
        + "  - regenerate_recovery_codes: {user: alice, capture: r}\n"
        + "  - login: {user: alice, expect: second_factor}\n"
        + "  - submit_code: {user: alice, factor: recovery, code: '{r[0]}', expect: accepted}\n"
        + "  - advance: 1m\n"
        + steps
    )


RECOVERY_REUSED = """\
  - login: {user: alice, expect: second_factor}
  - submit_code: {user: alice, factor: recovery, code: '{r[0]}', expect: replayed}
"""
PUSH_LOGIN = """\
  - login: {user: alice, expect: second_factor}
  - request_code: {user: alice, channel: authy-push}
  - advance: 3s
"""
PUSH_MISMATCH = (
    "  - submit_code: {user: alice, factor: authy-push, code: 'x', expect: number_mismatch}\n"
)
SMS_LOGIN = """\
  - login: {user: alice, expect: second_factor}
  - request_code: {user: alice, channel: sms}
  - advance: 5s
"""

SMS_LATER_REPLAY = """\
  - login: {user: alice, expect: second_factor}
  - request_code: {user: alice, channel: sms}
  - advance: 5s
  - read_code: {user: alice, from: sms, capture: c}
  - submit_code: {user: alice, factor: sms, code: '{c}', expect: accepted}
  - advance: 1m
  - login: {user: alice, expect: second_factor}
  - submit_code: {user: alice, factor: sms, code: '{c}', expect: replayed}
"""
TWO_PHONES = "{number: '%s'}\n    - {number: '+12015550102'}"
CHANGE_PHONE = f"""\
  - submit_phone: {{user: alice, phone: '{PHONE}'}}
  - advance: 5s
  - enter_code: {{user: alice, phone: '{PHONE}'}}
  - advance: 1m
  - change_phone: {{user: alice, phone: '+12015550102'}}
  - advance: 5s
"""


def _wrong_sms(times: int, wait: str) -> str:
    return "".join(
        f"  - submit_code: {{user: alice, factor: sms, code: '00000{i}', expect: rejected}}\n"
        f"  - advance: {wait}\n"
        for i in range(times)
    )


def _no_phone(record: UserRecord) -> bool:
    return record.phone is None


def _has_phone(record: UserRecord) -> bool:
    return record.phone is not None


MUTANTS: list[Mutant] = [
    # --- throttle, backoff -----------------------------------------------------------------------
    Mutant(
        "lock-not-enforced",
        "throttle",
        "the lock is recorded but never checked (only the back-off is)",
        ServiceParts(gate=p.LockNotEnforced),
        probe=_doc("lock-not-enforced", TOTP_ON + WRONG_TOTP_X3 + LOCKED, given=LOCK3, phone=APP),
        killers=("lockout-password-guessing", "lockout-brute-force-totp"),
    ),
    Mutant(
        "lock-duration-zero",
        "throttle",
        "the account locks for 0 s",
        ServiceParts(gate=p.with_policy(FailureGate, "LockForZero", lockout_duration=0.0)),
        probe=_doc("lock-duration-zero", TOTP_ON + WRONG_TOTP_X3 + LOCKED, given=LOCK3, phone=APP),
        killers=("lockout-password-guessing", "lockout-brute-force-totp"),
    ),
    Mutant(
        "lock-duration-short",
        "throttle",
        "the account locks for one minute instead of the policy's hour",
        ServiceParts(gate=p.with_policy(FailureGate, "LockForAMinute", lockout_duration=60.0)),
        probe=_doc(
            "lock-duration-short",
            TOTP_ON + WRONG_TOTP_X3 + "  - advance: 2m\n" + LOCKED,
            given=LOCK3,
            phone=APP,
        ),
        killers=("lockout-password-guessing", "lockout-brute-force-totp"),
    ),
    Mutant(
        "lock-one-late",
        "throttle",
        "off by one: locks after limit + 1 failures",
        ServiceParts(gate=p.LocksOneLate),
        probe=_doc("lock-one-late", TOTP_ON + WRONG_TOTP_X3 + LOCKED, given=LOCK3, phone=APP),
        killers=("lockout-brute-force-totp", "lockout-password-guessing"),
    ),
    Mutant(
        "lock-unaudited",
        "audit",
        "locking the account writes no audit entry",
        ServiceParts(gate=p.LockoutUnaudited),
        probe=_doc(
            "lock-unaudited",
            TOTP_ON + WRONG_TOTP_X3 + "  - expect_audit: {event: account.locked, count: 1}\n",
            given=LOCK3,
            phone=APP,
        ),
        killers=("lockout-brute-force-totp", "account-audit-log"),
    ),
    Mutant(
        "lock-untold",
        "throttle",
        "locking the account does not tell the user",
        ServiceParts(gate=p.LockoutUntold),
        probe=_doc(
            "lock-untold",
            TOTP_ON + WRONG_TOTP_X3 + "  - expect_notification: {user: alice, kind: locked}\n",
            given=LOCK3,
            phone=APP,
        ),
        killers=("lockout-brute-force-totp", "account-notified-of-every-change"),
    ),
    Mutant(
        "lock-in-memory",
        "throttle",
        "the lock lives in the process, not the store: a restart lifts it",
        ServiceParts(gate=p.LockInMemory),
        probe=_doc(
            "lock-in-memory",
            TOTP_ON + WRONG_TOTP_X3 + "  - restart:\n" + LOCKED,
            given=LOCK3 + SQLITE,
            phone=APP,
        ),
        killers=("lockout-survives-restart",),
    ),
    Mutant(
        "backoff-missing",
        "backoff",
        "no wait between failures",
        ServiceParts(gate=p.with_policy(FailureGate, "NoBackoff", backoff_factor=0.0)),
        probe=_doc(
            "backoff-missing",
            TOTP_ON
            + """\
  - login: {user: alice, expect: second_factor}
  - submit_code: {user: alice, factor: totp, code: '000000', expect: wrong_code}
  - submit_code: {user: alice, factor: totp, code: '111111', expect: throttled}
""",
            phone=APP,
        ),
        killers=("lockout-backoff-after-wrong-code",),
    ),
    Mutant(
        "password-failures-uncounted",
        "throttle",
        "wrong passwords do not count toward the lock",
        ServiceParts(login=p.PasswordFailuresUncounted),
        probe=_doc(
            "password-failures-uncounted",
            TOTP_ON
            + "  - login: {user: alice, password: x, expect: refused}\n" * 3
            + "  - expect_account: {user: alice, locked: true}\n",
            given=LOCK3,
            phone=APP,
        ),
        killers=("lockout-password-guessing",),
    ),
    Mutant(
        "password-step-unthrottled",
        "throttle",
        "a locked account still gets past the password step",
        ServiceParts(login=p.PasswordStepUnthrottled),
        probe=_doc(
            "password-step-unthrottled", TOTP_ON + WRONG_TOTP_X3 + LOCKED, given=LOCK3, phone=APP
        ),
        killers=("lockout-password-guessing", "lockout-refuses-every-factor"),
    ),
    Mutant(
        "password-resets-count",
        "throttle",
        "the right password clears the count of wrong codes",
        ServiceParts(login=p.PasswordResetsCount),
        probe=_doc(
            "password-resets-count",
            TOTP_ON
            + (
                "  - login: {user: alice, expect: second_factor}\n"
                "  - submit_code: {user: alice, factor: totp, code: '000000', expect: rejected}\n"
                "  - advance: 10s\n"
            )
            * 3
            + "  - expect_account: {user: alice, locked: true}\n",
            given=LOCK3,
            phone=APP,
        ),
        killers=("lockout-brute-force-totp", "lockout-refuses-every-factor"),
    ),
    # --- TOTP ------------------------------------------------------------------------------------
    Mutant(
        "totp-replay-accepted",
        "totp-replay",
        "the last accepted step is not passed to the verifier",
        ServiceParts(totp=p.TotpForgetsUsedStep),
        probe=_doc("totp-replay-accepted", TOTP_ON + TOTP_REPLAY, phone=APP),
        killers=("totp-replay-within-window",),
    ),
    Mutant(
        "totp-stale-accepted",
        "totp-replay",
        "only the very step accepted last is refused; an older code in the window passes",
        ServiceParts(totp=p.TotpAcceptsStale),
        probe=_doc(
            "totp-stale-accepted",
            TOTP_ON
            + """\
  - advance: 5s
  - read_code: {user: alice, from: totp, capture: old}
  - advance: 30s
  - login_with: {user: alice, factor: totp, expect: accepted}
  - login: {user: alice, expect: second_factor}
  - submit_code: {user: alice, factor: totp, code: '{old}', expect: stale}
""",
            phone=APP,
        ),
        killers=("totp-older-code-after-newer",),
    ),
    Mutant(
        "window-forward-widened",
        "totp-window",
        "the window accepts one step more ahead (one side only)",
        ServiceParts(
            totp=p.with_totp_window(
                "ForwardPlusOne", lambda t: {"steps_forward": t.steps_forward + 1}
            )
        ),
        probe=_doc("window-forward-widened", _offset("65s", "outside_window"), phone=APP),
        killers=(
            "clock-window-one-step-each-side",
            "clock-device-offset-outside-window",
            "clock-device-offset-within-window-property",
        ),
    ),
    Mutant(
        "window-back-widened",
        "totp-window",
        "the window accepts one step more behind (one side only)",
        ServiceParts(
            totp=p.with_totp_window("BackPlusOne", lambda t: {"steps_back": t.steps_back + 1})
        ),
        probe=_doc("window-back-widened", _offset("-65s", "outside_window"), phone=APP),
        killers=(
            "clock-window-one-step-each-side",
            "clock-device-offset-outside-window",
            "clock-device-offset-within-window-property",
        ),
    ),
    Mutant(
        "window-back-narrowed",
        "totp-window",
        "off by one: no step behind is accepted",
        ServiceParts(
            totp=p.with_totp_window(
                "BackMinusOne", lambda t: {"steps_back": max(0, t.steps_back - 1)}
            )
        ),
        probe=_doc("window-back-narrowed", _offset("-20s", "accepted"), phone=APP),
        killers=("clock-window-one-step-each-side", "totp-late-typing-property"),
    ),
    Mutant(
        "window-forward-narrowed",
        "totp-window",
        "off by one: no step ahead is accepted",
        ServiceParts(
            totp=p.with_totp_window(
                "ForwardMinusOne", lambda t: {"steps_forward": max(0, t.steps_forward - 1)}
            )
        ),
        probe=_doc("window-forward-narrowed", _offset("20s", "accepted"), phone=APP),
        killers=("clock-window-one-step-each-side", "clock-drift-limit"),
    ),
    Mutant(
        "drift-unlimited",
        "totp-drift",
        "drift is tracked without a limit",
        ServiceParts(
            totp=p.with_totp_window("DriftUnlimited", lambda t: {"max_drift_steps": None})
        ),
        probe=_doc(
            "drift-unlimited",
            _offset("20s", "accepted")
            + f"""\
  - advance: 1m
  - set_device_clock: {{phone: '{PHONE}', offset: 65s}}
  - login: {{user: alice, expect: second_factor}}
  - submit_code: {{user: alice, factor: totp, expect: outside_window}}
""",
            given="  policy: {totp: {max_drift_steps: 1}}\n",
            phone=APP,
        ),
        killers=("clock-drift-limit",),
    ),
    Mutant(
        "drift-untracked",
        "totp-drift",
        "the drift seen at a success is not remembered",
        ServiceParts(totp=p.with_totp_window("DriftUntracked", lambda t: {"track_drift": False})),
        probe=_doc(
            "drift-untracked",
            _offset("20s", "accepted")
            + f"""\
  - advance: 1m
  - set_device_clock: {{phone: '{PHONE}', offset: 65s}}
  - login: {{user: alice, expect: second_factor}}
  - submit_code: {{user: alice, factor: totp, expect: accepted}}
""",
            phone=APP,
        ),
        killers=("clock-drift-tracked-over-months",),
    ),
    Mutant(
        "drift-in-memory",
        "totp-drift",
        "the drift seen at a success is remembered in the process: a restart forgets it",
        ServiceParts(totp=p.TotpDriftInMemory),
        probe=_doc(
            "drift-in-memory",
            _offset("20s", "accepted")
            + f"""\
  - restart:
  - advance: 1m
  - set_device_clock: {{phone: '{PHONE}', offset: 65s}}
  - login: {{user: alice, expect: second_factor}}
  - submit_code: {{user: alice, factor: totp, expect: accepted}}
""",
            given=SQLITE,
            phone=APP,
        ),
        killers=("clock-drift-survives-restart",),
    ),
    Mutant(
        "totp-failures-uncounted",
        "throttle",
        "wrong app codes do not count toward the lock",
        ServiceParts(totp=p.TotpFailuresUncounted),
        probe=_doc(
            "totp-failures-uncounted", TOTP_ON + WRONG_TOTP_X3 + LOCKED, given=LOCK3, phone=APP
        ),
        killers=("lockout-brute-force-totp",),
    ),
    Mutant(
        "totp-success-keeps-count",
        "throttle",
        "a right app code does not clear the failure count",
        ServiceParts(totp=p.TotpSuccessKeepsCount),
        probe=_doc(
            "totp-success-keeps-count",
            TOTP_ON
            + """\
  - login: {user: alice, expect: second_factor}
  - submit_code: {user: alice, factor: totp, code: '000000', expect: rejected}
  - advance: 5s
  - submit_code: {user: alice, factor: totp, code: '111111', expect: rejected}
  - advance: 5s
  - submit_code: {user: alice, factor: totp, expect: accepted}
  - advance: 1m
  - login: {user: alice, expect: second_factor}
  - submit_code: {user: alice, factor: totp, code: '000000', expect: rejected}
  - advance: 5s
  - expect_account: {user: alice, locked: false}
""",
            given=LOCK3,
            phone=APP,
        ),
        killers=("lockout-success-resets-count",),
    ),
    Mutant(
        "totp-refusal-unaudited",
        "audit",
        "a refused app code writes no audit entry",
        ServiceParts(totp=p.TotpRefusalUnaudited),
        probe=_doc(
            "totp-refusal-unaudited",
            TOTP_ON
            + "  - login: {user: alice, expect: second_factor}\n"
            + "  - submit_code: {user: alice, factor: totp, code: '000000', expect: rejected}\n"
            + "  - expect_audit: {event: login.totp, outcome: failed, count: 1}\n",
            phone=APP,
        ),
        killers=(
            "account-audit-refusals-and-chain",
            "account-audit-log",
        ),
    ),
    Mutant(
        "old-secret-still-valid",
        "totp-confirm",
        "a user's earlier secret keeps working after a new QR code is confirmed",
        ServiceParts(totp=p.TotpOldSecretStillValid),
        probe=_doc(
            "old-secret-still-valid",
            TOTP_ON
            + """\
  - login_with: {user: alice, factor: totp, expect: accepted}
  - advance: 1m
  - read_code: {user: alice, from: totp, capture: old}
  - generate_qr: {user: alice}
  - scan_qr: {user: alice, app: google-authenticator}
  - confirm_app: {user: alice}
  - login: {user: alice, expect: second_factor}
  - submit_code: {user: alice, factor: totp, code: '{old}', expect: rejected}
""",
            phone=APP,
        ),
        killers=("qr-regenerated-kills-old-secret",),
    ),
    Mutant(
        "unconfirmed-secret-active",
        "totp-confirm",
        "a QR secret is active as soon as it is shown (policy confirm_totp off)",
        policy={"confirm_totp": False},
        probe=_doc(
            "unconfirmed-secret-active",
            "  - generate_qr: {user: alice}\n"
            "  - expect_account: {user: alice, two_factor: false}\n",
            phone=APP,
        ),
        killers=("qr-unconfirmed-secret-not-active", "qr-confirm-wrong-code"),
    ),
    Mutant(
        "totp-used-step-in-memory",
        "totp-replay",
        "the last accepted step lives in the process: after a restart a used code works again",
        ServiceParts(totp=p.TotpUsedStepInMemory),
        probe=_doc(
            "totp-used-step-in-memory",
            TOTP_ON + TOTP_REPLAY.replace("  - advance: 5s\n", "  - restart:\n"),
            given=SQLITE,
            phone=APP,
        ),
        killers=("totp-replay-after-restart",),
    ),
    # --- SMS codes -------------------------------------------------------------------------------
    Mutant(
        "sms-never-expires",
        "oob-ttl",
        "SMS codes never expire",
        ServiceParts(sender=p.SmsNeverExpires),
        probe=_doc(
            "sms-never-expires",
            "  - submit_phone: {user: alice}\n  - advance: 11m\n"
            "  - enter_code: {user: alice, expect: expired}\n",
        ),
        killers=("phone-code-expired", "login-sms-code-expired"),
    ),
    Mutant(
        "sms-ttl-over-bound",
        "oob-ttl",
        "SMS codes live 15 minutes (the policy says 10; the standards allow at most 10)",
        ServiceParts(sender=p.SmsLivesFifteenMinutes),
        probe=_doc(
            "sms-ttl-over-bound",
            "  - submit_phone: {user: alice}\n  - advance: 11m\n"
            "  - enter_code: {user: alice, expect: expired}\n",
        ),
        killers=("phone-code-expired", "login-sms-code-expired"),
    ),
    Mutant(
        "sms-reusable",
        "oob-single-use",
        "an accepted SMS code stays live",
        ServiceParts(pending_codes=p.SmsCodeReusable),
        probe=_doc(
            "sms-reusable",
            """\
  - submit_phone: {user: alice}
  - advance: 5s
  - read_code: {user: alice, from: sms, capture: c}
  - enter_code: {user: alice, code: '{c}', expect: accepted}
  - enter_code: {user: alice, code: '{c}', expect: rejected}
""",
        ),
        killers=("phone-sms-code-replay", "providers-sms-duplicated"),
    ),
    Mutant(
        "sms-used-in-memory",
        "oob-single-use",
        "spent SMS codes are remembered in the process: after a restart a used code works again",
        ServiceParts(pending_codes=p.SmsUsedInMemory),
        probe=_doc(
            "sms-used-in-memory",
            """\
  - submit_phone: {user: alice}
  - advance: 5s
  - read_code: {user: alice, from: sms, capture: c}
  - enter_code: {user: alice, code: '{c}', expect: accepted}
  - restart:
  - enter_code: {user: alice, code: '{c}', expect: rejected}
""",
            given=SQLITE,
        ),
        killers=("phone-code-replay-after-restart",),
    ),
    Mutant(
        "sms-not-bound-to-login",
        "oob-bound",
        "a login takes the user's newest login code, whichever login it was sent for",
        ServiceParts(login=p.SmsBoundToUserNotLogin),
        probe=_doc(
            "sms-not-bound-to-login",
            SMS_ON
            + SMS_LOGIN
            + """\
  - read_code: {user: alice, from: sms, capture: a}
  - login: {user: alice, expect: second_factor}
  - submit_code: {user: alice, factor: sms, code: '{a}', expect: rejected}
""",
        ),
        killers=(
            "login-sms-code-not-for-a-later-login",
            "login-sms-code-bound-to-its-login",
        ),
    ),
    Mutant(
        "sms-replay-not-recognised",
        "notify-replay",
        "a spent SMS code typed at a later login is a wrong code, not a replay (unlogged, untold)",
        ServiceParts(pending_codes=p.SmsReplayNotRecognised),
        probe=_doc("sms-replay-not-recognised", SMS_ON + SMS_LATER_REPLAY),
        killers=("login-sms-code-reused-on-later-login",),
    ),
    Mutant(
        "sms-spent-codes-in-memory",
        "oob-single-use",
        "spent SMS codes are remembered in the process: after a restart a reuse is not a replay",
        ServiceParts(pending_codes=p.SmsSpentCodesInMemory),
        probe=_doc(
            "sms-spent-codes-in-memory",
            SMS_ON + SMS_LATER_REPLAY.replace("  - advance: 1m\n", "  - restart:\n"),
            given=SQLITE,
        ),
        killers=("login-sms-code-reused-on-later-login",),
    ),
    Mutant(
        "sms-failures-uncounted",
        "throttle",
        "wrong SMS codes do not count toward the lock (only toward the code's own attempts)",
        ServiceParts(pending_codes=p.CodeFailuresUncounted),
        probe=_doc(
            "sms-failures-uncounted",
            SMS_ON
            + SMS_LOGIN
            + _wrong_sms(3, "10s")
            + "  - expect_account: {user: alice, locked: true}\n",
            given=LOCK3,
        ),
        killers=(
            "lockout-wrong-sms-codes-count",
            "lockout-sms-code-attempt-limit",
        ),
    ),
    Mutant(
        "sms-attempts-unlimited",
        "oob-rate-limit",
        "an SMS code survives any number of wrong guesses",
        ServiceParts(
            pending_codes=p.with_policy(
                PendingCodeCheck, "UnlimitedAttempts", sms_code_attempts=10**6
            )
        ),
        probe=_doc(
            "sms-attempts-unlimited",
            SMS_ON
            + SMS_LOGIN
            + _wrong_sms(5, "1m")
            + "  - submit_code: {user: alice, factor: sms, expect: rejected}\n",
        ),
        killers=("lockout-sms-code-attempt-limit",),
    ),
    Mutant(
        "sms-code-in-clear",
        "oob-hashed",
        "the pending SMS code is kept in clear next to its hash",
        ServiceParts(sender=p.SmsCodeKeptInClear),
        probe=_doc(
            "sms-code-in-clear",
            "  - submit_phone: {user: alice}\n  - advance: 5s\n"
            "  - read_code: {user: alice, from: sms, capture: c}\n"
            "  - expect_stored: {no_codes: true}\n",
        ),
        killers=("account-codes-stored-hashed",),
    ),
    Mutant(
        "sms-code-fixed",
        "oob-entropy",
        "every SMS code is 000000 (a test code left in production)",
        ServiceParts(sender=p.SmsCodeFixed),
        probe=_doc(
            "sms-code-fixed",
            "  - submit_phone: {user: alice}\n  - advance: 5s\n"
            "  - enter_code: {user: alice, code: '000000', expect: rejected}\n",
        ),
        killers=("phone-resend-cooldown",),
    ),
    Mutant(
        "sms-code-four-digits",
        "oob-entropy",
        "SMS codes of four digits (10,000 values, under the standards' 20 bits)",
        ServiceParts(sender=p.SmsCodeFourDigits),
        probe=_doc(
            "sms-code-four-digits",
            "  - submit_phone: {user: alice}\n  - advance: 5s\n"
            "  - expect_inbox: {user: alice, codes: 1, code_digits_at_least: 6}\n",
        ),
        killers=("phone-sms-code-six-digits",),
    ),
    Mutant(
        "new-code-resets-count",
        "throttle",
        "sending a new SMS code clears the failure count",
        ServiceParts(sender=p.NewCodeResetsCount),
        probe=_doc(
            "new-code-resets-count",
            SMS_ON
            + SMS_LOGIN
            + _wrong_sms(2, "31s")
            + "  - request_code: {user: alice, channel: sms}\n  - advance: 5s\n"
            + _wrong_sms(1, "5s")
            + "  - expect_account: {user: alice, locked: true}\n",
            given=LOCK3,
        ),
        killers=("lockout-new-code-keeps-count",),
    ),
    Mutant(
        "cooldown-in-memory",
        "oob-rate-limit",
        "the resend cooldown is timed in the process: a restart lifts it",
        ServiceParts(sender=p.CooldownInMemory),
        probe=_doc(
            "cooldown-in-memory",
            "  - submit_phone: {user: alice}\n  - restart:\n  - advance: 5s\n"
            "  - submit_phone: {user: alice, expect: rejected}\n",
            given=SQLITE,
        ),
        killers=("phone-resend-cooldown-survives-restart",),
    ),
    Mutant(
        "pushes-counted-in-memory",
        "push-rate-limit",
        "recent pushes are counted in the process: a restart resets the push limit",
        ServiceParts(sender=p.PushesCountedInMemory),
        probe=_doc(
            "pushes-counted-in-memory",
            "  - submit_phone: {user: alice}\n  - advance: 31s\n" * 3
            + "  - restart:\n  - submit_phone: {user: alice, expect: rejected}\n",
            given=SQLITE,
            phone=AUTHY,
        ),
        killers=("authy-push-limit-survives-restart",),
    ),
    Mutant(
        "resend-cooldown-missing",
        "oob-rate-limit",
        "codes can be resent at once, any number of times",
        ServiceParts(sender=p.with_policy(CodeSender, "NoCooldown", resend_cooldown=0.0)),
        probe=_doc(
            "resend-cooldown-missing",
            "  - submit_phone: {user: alice}\n  - advance: 5s\n"
            "  - submit_phone: {user: alice, expect: rejected}\n",
        ),
        killers=("phone-resend-cooldown",),
    ),
    # --- Authy -----------------------------------------------------------------------------------
    Mutant(
        "authy-token-reusable",
        "oob-single-use",
        "an Authy app token is not remembered after use (Authy accepts it twice)",
        ServiceParts(pending_codes=p.AuthyTokenReusable),
        probe=_doc(
            "authy-token-reusable",
            AUTHY_ON
            + """\
  - login: {user: alice, expect: second_factor}
  - read_code: {user: alice, from: authy-app, capture: t}
  - submit_code: {user: alice, factor: authy-app, code: '{t}', expect: accepted}
  - login: {user: alice, expect: second_factor}
  - submit_code: {user: alice, factor: authy-app, code: '{t}', expect: replayed}
""",
            phone=AUTHY,
        ),
        killers=("authy-app-token-replay",),
    ),
    Mutant(
        "push-number-off",
        "push-number-matching",
        "pushes carry no number to match (policy number_matching off in the sender)",
        ServiceParts(sender=p.with_policy(CodeSender, "NoNumberMatching", number_matching=False)),
        probe=_doc(
            "push-number-off",
            AUTHY_ON + PUSH_LOGIN + f"  - approve_push: {{phone: '{PHONE}'}}\n" + PUSH_MISMATCH,
            phone=AUTHY,
        ),
        killers=("authy-push-verify", "authy-push-number-must-match"),
    ),
    Mutant(
        "push-number-not-compared",
        "push-number-matching",
        "the push shows a number, but what the user types is never compared",
        ServiceParts(pending_codes=p.PushNumberNotCompared),
        probe=_doc(
            "push-number-not-compared",
            AUTHY_ON + PUSH_LOGIN + f"  - approve_push: {{phone: '{PHONE}'}}\n" + PUSH_MISMATCH,
            phone=AUTHY,
        ),
        killers=("authy-push-number-must-match",),
    ),
    Mutant(
        "push-approval-not-required",
        "push-approval",
        "a push still pending counts as approved",
        ServiceParts(pending_codes=p.authy_read_as("PendingIsApproved", {"pending": "approved"})),
        probe=_doc(
            "push-approval-not-required",
            AUTHY_ON
            + PUSH_LOGIN
            + "  - submit_code: {user: alice, factor: authy-push, code: '00', "
            + "expect: push_pending}\n",
            phone=AUTHY,
        ),
        killers=("login-with-authy-push", "authy-push-verify"),
    ),
    Mutant(
        "push-denial-approves",
        "push-approval",
        "fail open: a denied push counts as approved",
        ServiceParts(pending_codes=p.authy_read_as("DeniedIsApproved", {"denied": "approved"})),
        probe=_doc(
            "push-denial-approves",
            AUTHY_ON
            + PUSH_LOGIN
            + f"  - deny_push: {{phone: '{PHONE}'}}\n"
            + "  - submit_code: {user: alice, factor: authy-push, code: '00', "
            + "expect: push_denied}\n",
            phone=AUTHY,
        ),
        killers=("authy-push-denied",),
    ),
    Mutant(
        "push-never-expires",
        "oob-ttl",
        "a push stays answerable for months",
        ServiceParts(sender=p.with_policy(CodeSender, "PushForever", push_ttl=10**7)),
        probe=_doc(
            "push-never-expires",
            AUTHY_ON + PUSH_LOGIN + "  - advance: 3m\n"
            "  - submit_code: {user: alice, factor: authy-push, code: '00', expect: expired}\n",
            phone=AUTHY,
        ),
        killers=("authy-push-expires",),
    ),
    Mutant(
        "push-rate-limit-missing",
        "push-rate-limit",
        "pushes are not rate limited (push bombing)",
        ServiceParts(sender=p.with_policy(CodeSender, "NoPushLimit", push_limit=10**6)),
        probe=_doc(
            "push-rate-limit-missing",
            "  - submit_phone: {user: alice}\n  - advance: 31s\n" * 3
            + "  - submit_phone: {user: alice, expect: rejected}\n",
            phone=AUTHY,
        ),
        killers=("authy-push-bombing-limited",),
    ),
    # --- recovery codes --------------------------------------------------------------------------
    Mutant(
        "recovery-reusable",
        "recovery-hashed",
        "a recovery code is not marked used",
        ServiceParts(recovery=p.RecoveryReusable),
        probe=_doc("recovery-reusable", _recovery(RECOVERY_REUSED)),
        killers=("recovery-code-single-use", "login-with-recovery-code"),
    ),
    Mutant(
        "recovery-used-in-memory",
        "recovery-hashed",
        "spent recovery codes are remembered in the process: after a restart one works again",
        ServiceParts(recovery=p.RecoveryUsedInMemory),
        probe=_doc(
            "recovery-used-in-memory", _recovery("  - restart:\n" + RECOVERY_REUSED), given=SQLITE
        ),
        killers=("recovery-code-single-use-after-restart",),
    ),
    Mutant(
        "recovery-failures-uncounted",
        "throttle",
        "wrong recovery codes do not count toward the lock",
        ServiceParts(recovery=p.RecoveryFailuresUncounted),
        probe=_doc(
            "recovery-failures-uncounted",
            SMS_ON
            + "  - regenerate_recovery_codes: {user: alice, capture: r}\n"
            + "  - login: {user: alice, expect: second_factor}\n"
            + (
                "  - submit_code: {user: alice, factor: recovery, code: 'AAAAA-AAAAA', "
                "expect: rejected}\n"
                "  - advance: 10s\n"
            )
            * 3
            + "  - expect_account: {user: alice, locked: true}\n",
            given=LOCK3,
        ),
        killers=("recovery-guessing-locks",),
    ),
    Mutant(
        "recovery-replay-silent",
        "notify-replay",
        "a spent recovery code typed again is refused but neither logged nor told",
        ServiceParts(recovery=p.RecoveryReplaySilent),
        probe=_doc(
            "recovery-replay-silent",
            _recovery(RECOVERY_REUSED + "  - expect_notification: {user: alice, kind: replay}\n"),
        ),
        killers=("recovery-code-single-use",),
    ),
    Mutant(
        "recovery-use-untold",
        "notify-change",
        "using a recovery code does not tell the user",
        ServiceParts(recovery=p.RecoveryUseUntold),
        probe=_doc(
            "recovery-use-untold",
            _recovery("  - expect_notification: {user: alice, kind: recovery_used, count: 1}\n"),
        ),
        killers=("recovery-code-single-use",),
    ),
    # --- the replay alarm ------------------------------------------------------------------------
    Mutant(
        "replay-unaudited",
        "notify-replay",
        "a replayed code is refused but not logged",
        ServiceParts(alarm=p.ReplayUnaudited),
        probe=_doc(
            "replay-unaudited",
            TOTP_ON + TOTP_REPLAY + "  - expect_audit: {event: replay.rejected, count: 1}\n",
            phone=APP,
        ),
        killers=("totp-replay-within-window", "recovery-code-single-use"),
    ),
    Mutant(
        "replay-untold",
        "notify-replay",
        "a replayed code is refused but the user is not told",
        ServiceParts(alarm=p.ReplayUntold),
        probe=_doc(
            "replay-untold",
            TOTP_ON + TOTP_REPLAY + "  - expect_notification: {user: alice, kind: replay}\n",
            phone=APP,
        ),
        killers=("totp-replay-within-window",),
    ),
    Mutant(
        "replay-uncounted",
        "throttle",
        "a replayed code does not count as a failure",
        ServiceParts(alarm=p.ReplayUncounted),
        probe=_doc(
            "replay-uncounted",
            TOTP_ON
            + TOTP_REPLAY
            + "  - advance: 5s\n"
            + "  - submit_code: {user: alice, factor: totp, code: '{c}', expect: replayed}\n"
            + "  - expect_account: {user: alice, locked: true}\n",
            given="  policy: {max_consecutive_failures: 2}\n",
            phone=APP,
        ),
        killers=("lockout-replays-count",),
    ),
    # --- the enrollment steps (AccountFlow) ------------------------------------------------------
    Mutant(
        "phone-changed-before-confirmed",
        "phone-validated",
        "a new number replaces the verified one as soon as it is typed, before its code",
        ServiceParts(account=p.PhoneChangedBeforeConfirmed),
        probe=_doc(
            "phone-changed-before-confirmed",
            CHANGE_PHONE + f"  - expect_account: {{user: alice, phone: '{PHONE}'}}\n",
            phone=TWO_PHONES,
        ),
        killers=("phone-change-number",),
    ),
    Mutant(
        "two-factor-on-untold",
        "notify-change",
        "turning two-factor on (a first phone verified) does not tell the user",
        ServiceParts(account=p.untold("TwoFactorOnUntold", "confirm_phone", when=_no_phone)),
        probe=_doc(
            "two-factor-on-untold",
            SMS_ON + "  - expect_notification: {user: alice, kind: factor_changed, count: 1}\n",
        ),
        killers=("account-notified-of-every-change",),
    ),
    Mutant(
        "phone-change-untold",
        "notify-change",
        "changing the phone number does not tell the user",
        ServiceParts(account=p.untold("PhoneChangeUntold", "confirm_phone", when=_has_phone)),
        probe=_doc(
            "phone-change-untold",
            CHANGE_PHONE
            + "  - enter_code: {user: alice, phone: '+12015550102'}\n"
            + "  - expect_notification: {user: alice, kind: factor_changed, count: 2}\n",
            phone=TWO_PHONES,
        ),
        killers=("phone-change-number",),
    ),
    Mutant(
        "app-added-untold",
        "notify-change",
        "adding an authenticator app does not tell the user",
        ServiceParts(account=p.untold("AppAddedUntold", "confirm_totp")),
        probe=_doc(
            "app-added-untold",
            TOTP_ON + "  - expect_notification: {user: alice, kind: factor_changed, count: 1}\n",
            phone=APP,
        ),
        killers=("account-notified-of-every-change",),
    ),
    Mutant(
        "recovery-codes-untold",
        "notify-change",
        "making new recovery codes does not tell the user",
        ServiceParts(account=p.untold("RecoveryCodesUntold", "generate_recovery_codes")),
        probe=_doc(
            "recovery-codes-untold",
            SMS_ON
            + "  - regenerate_recovery_codes: {user: alice}\n"
            + "  - expect_notification: {user: alice, kind: factor_changed, count: 2}\n",
        ),
        killers=("account-notified-of-every-change",),
    ),
    Mutant(
        "disable-untold",
        "notify-change",
        "turning two-factor off does not tell the user",
        ServiceParts(account=p.untold("DisableUntold", "disable_two_factor")),
        probe=_doc(
            "disable-untold",
            SMS_ON
            + "  - disable_two_factor: {user: alice}\n"
            + "  - expect_notification: {user: alice, kind: factor_changed, count: 2}\n",
        ),
        killers=("account-disable-two-factor",),
    ),
    Mutant(
        "qr-revokes-active-secret",
        "totp-confirm",
        "a regenerated QR code revokes the active secret before the new one is confirmed",
        ServiceParts(account=p.QrRevokesActiveSecret),
        probe=_doc(
            "qr-revokes-active-secret",
            TOTP_ON
            + "  - generate_qr: {user: alice}\n  - advance: 30s\n"
            + "  - login: {user: alice, expect: second_factor}\n"
            + "  - submit_code: {user: alice, factor: totp, expect: accepted}\n",
            phone=APP,
        ),
        killers=("qr-regenerate-unscanned-keeps-old",),
    ),
    Mutant(
        "recovery-codes-in-clear",
        "recovery-hashed",
        "each recovery code is kept in clear next to its hash",
        ServiceParts(account=p.RecoveryCodesInClear),
        probe=_doc(
            "recovery-codes-in-clear",
            SMS_ON
            + "  - regenerate_recovery_codes: {user: alice, capture: r}\n"
            + "  - expect_stored: {no_codes: true}\n",
            given=SQLITE,
        ),
        killers=("account-codes-stored-hashed",),
    ),
    Mutant(
        "recovery-old-codes-kept",
        "recovery-hashed",
        "new recovery codes are added to the old ones instead of replacing them",
        ServiceParts(account=p.RecoveryOldCodesKept),
        probe=_doc(
            "recovery-old-codes-kept",
            SMS_ON
            + "  - regenerate_recovery_codes: {user: alice, capture: old}\n"
            + "  - regenerate_recovery_codes: {user: alice}\n"
            + "  - login: {user: alice, expect: second_factor}\n"
            + "  - submit_code: {user: alice, factor: recovery, code: '{old[0]}', "
            + "expect: rejected}\n",
        ),
        killers=("recovery-regenerated-codes-replace-old",),
    ),
    Mutant(
        "disable-while-locked",
        "throttle",
        "a locked account can still turn two-factor off with the password",
        ServiceParts(account=p.DisableWhileLocked),
        probe=_doc(
            "disable-while-locked",
            TOTP_ON + WRONG_TOTP_X3 + "  - disable_two_factor: {user: alice, expect: rejected}\n",
            given=LOCK3,
            phone=APP,
        ),
        killers=("lockout-refuses-every-factor",),
    ),
    Mutant(
        "confirm-ignores-backoff",
        "backoff",
        "confirming a new authenticator does not wait out the back-off: wrong codes at once",
        ServiceParts(account=p.ConfirmIgnoresBackoff),
        probe=_doc(
            "confirm-ignores-backoff",
            "  - generate_qr: {user: alice}\n"
            "  - scan_qr: {user: alice, app: google-authenticator}\n"
            "  - confirm_app: {user: alice, code: '000000', expect: rejected}\n"
            "  - confirm_app: {user: alice, expect: rejected}\n",
            phone=APP,
        ),
        killers=("qr-confirm-wrong-code",),
    ),
    Mutant(
        "disable-without-password",
        "throttle",
        "turning two-factor off takes any password",
        ServiceParts(account=p.DisableWithoutPassword),
        probe=_doc(
            "disable-without-password",
            SMS_ON + "  - disable_two_factor: {user: alice, password: x, expect: rejected}\n",
        ),
        killers=("account-disable-two-factor",),
    ),
    # --- the store: the audit log ----------------------------------------------------------------
    Mutant(
        "audit-in-process",
        "audit",
        "the audit log is kept in the process: a restart loses every entry",
        ServiceParts(store=p.AuditInProcess),
        probe=_doc(
            "audit-in-process",
            SMS_ON
            + "  - login: {user: alice, password: x, expect: refused}\n  - restart:\n"
            + "  - expect_audit: {event: login.password, outcome: failed, count: 1}\n",
            given=SQLITE,
        ),
        killers=("account-audit-across-restarts",),
    ),
    Mutant(
        "audit-first-event-only",
        "audit",
        "an operation keeps only its first audit entry (one row per transaction)",
        ServiceParts(store=p.AuditFirstEventOnly),
        probe=_doc(
            "audit-first-event-only",
            TOTP_ON
            + "  - login: {user: alice, expect: second_factor}\n"
            + "  - submit_code: {user: alice, factor: totp, code: '000000', expect: rejected}\n"
            + "  - expect_audit: {event: login.verify, outcome: failed, count: 1}\n",
            phone=APP,
        ),
        killers=("account-audit-log",),
    ),
    Mutant(
        "audit-lost-on-error",
        "audit",
        "an operation that is refused with an error (a push over the limit) writes no entry",
        ServiceParts(store=p.AuditLostOnError),
        probe=_doc(
            "audit-lost-on-error",
            "  - submit_phone: {user: alice}\n  - advance: 31s\n" * 3
            + "  - submit_phone: {user: alice, expect: rejected}\n"
            + "  - expect_audit: {event: push.refused, at_least: 1}\n",
            phone=AUTHY,
        ),
        killers=("authy-push-bombing-limited",),
    ),
    # --- the login steps -------------------------------------------------------------------------
    Mutant(
        "second-factor-skipped",
        "login-bound",
        "the password alone logs in",
        ServiceParts(login=p.SecondFactorSkipped),
        probe=_doc(
            "second-factor-skipped",
            SMS_ON + "  - login: {user: alice, expect: second_factor}\n",
        ),
        killers=("login-with-sms", "login-with-totp"),
    ),
    Mutant(
        "login-never-expires",
        "login-bound",
        "a half-finished login (password done) never expires",
        ServiceParts(login=p.with_policy(LoginFlow, "LoginForever", login_ttl=1e9)),
        probe=_doc(
            "login-never-expires",
            TOTP_ON
            + "  - login: {user: alice, expect: second_factor}\n  - advance: 11m\n"
            + "  - submit_code: {user: alice, factor: totp, expect: login_expired}\n",
            phone=APP,
        ),
        killers=("login-half-finished-expires",),
    ),
    Mutant(
        "login-second-factor-reusable",
        "login-bound",
        "a completed login attempt takes more second factors",
        ServiceParts(login=p.LoginSecondFactorReusable),
        probe=_doc(
            "login-second-factor-reusable",
            TOTP_ON
            + "  - login: {user: alice, expect: second_factor}\n"
            + "  - submit_code: {user: alice, factor: totp, expect: accepted}\n  - advance: 30s\n"
            + "  - submit_code: {user: alice, factor: totp, expect: rejected}\n",
            phone=APP,
        ),
        killers=("login-second-factor-once",),
    ),
    Mutant(
        "unknown-user-told",
        "no-enumeration",
        "an unknown user gets a different answer from a wrong password",
        ServiceParts(login=p.UnknownUserTold),
        probe=_doc("unknown-user-told", "  - login: {user: mallory, expect: bad_credentials}\n"),
        killers=("account-unknown-user-same-answer",),
    ),
    Mutant(
        "login-refusals-unlogged",
        "audit",
        "refused logins (wrong password, wrong code) write no audit entry",
        ServiceParts(login=p.LoginRefusalsUnlogged),
        probe=_doc(
            "login-refusals-unlogged",
            SMS_ON
            + "  - login: {user: alice, password: x, expect: refused}\n"
            + "  - expect_audit: {event: login.password, outcome: failed, count: 1}\n",
        ),
        killers=("account-audit-log",),
    ),
]

CONTROLS: list[Mutant] = [
    Mutant(
        "control-verifier-cache-of-one",
        "totp-window",
        "keeps one TOTP verifier instead of 4096",
        ServiceParts(totp=p.TotpVerifierCacheOfOne),
        control="a cache: only the CPU cost of a verification changes, never a verdict",
    ),
    Mutant(
        "control-unknown-user-costs-nothing",
        "no-enumeration",
        "an unknown user's login skips the password hash",
        ServiceParts(passwords=p.UnknownUserCostsNothing),
        control=(
            "a timing difference in CPU time: scenarios run on a virtual clock and see answers, "
            "not how long the service computed (the answer is the same)"
        ),
    ),
]
