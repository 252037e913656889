"""TOTP and HOTP verifiers driven by explicit policies; public through :mod:`twofa_sim.core.otp`.

What the policies implement, and where it comes from:

- look-around window, steps back and forward set separately (RFC 6238 section 5.2 recommends at
  most one step back for network delay);
- replay protection: an accepted TOTP step or HOTP counter is never accepted again for the same
  credential, nor any step before it (RFC 6238 section 5.2; NIST SP 800-63B 5.1.4.2;
  ASVS 5.0 6.5.1);
- drift tracking: the step offset seen at each success is remembered and later windows are centred
  on it (RFC 6238 section 6);
- HOTP look-ahead, and resynchronisation beyond it that needs consecutive codes (RFC 4226 7.4);
- constant-time comparison: every candidate in the window is computed and compared with
  :func:`hmac.compare_digest`, whether or not an earlier one matched.

The hot path computes HMACs from hash states keyed once per verifier (pyotp, the oracle the
property tests compare against, is about 3.5-4x slower per candidate it computes: it decodes the
base32 secret and keys the HMAC again for each). Keep one verifier per credential to pay the
keying once (the reference service's TOTP check does).
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar

from twofa_sim.core._codes import (
    MAX_COUNTER,
    OtpParams,
    Time,
    check_counter,
    floor_step,
    key_bytes,
    truncate,
)
from twofa_sim.errors import OtpParameterError

__all__ = [
    "HotpPolicy",
    "HotpState",
    "HotpVerifier",
    "Reason",
    "TotpPolicy",
    "TotpState",
    "TotpVerifier",
    "Verification",
]


class Reason(StrEnum):
    """Why a code was accepted or rejected."""

    ACCEPTED = "accepted"
    WRONG_CODE = "wrong_code"
    """Not the code of any step (or counter) the verifier looked at."""
    REPLAYED = "replayed"
    """The code of the last accepted step or counter, submitted again."""
    STALE = "stale"
    """The code of a step or counter before the last accepted one."""
    OUTSIDE_WINDOW = "outside_window"
    """A genuine code, but for a time step outside the window (``offset`` says which)."""
    MALFORMED = "malformed"
    """Not exactly ``digits`` ASCII digits."""
    RESYNC_PENDING = "resync_pending"
    """HOTP: a genuine code beyond the look-ahead; the next consecutive code(s) resynchronise."""


def _non_negative(owner: object, **fields: int) -> None:
    for name, value in fields.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise OtpParameterError(
                f"{type(owner).__name__}.{name} must be a whole number >= 0, not {value!r}",
                where=name,
            )


@dataclass(frozen=True, slots=True)
class TotpPolicy:
    """How a TOTP verifier decides.

    ``steps_back``/``steps_forward``: how many time steps before and after the expected one are
    accepted. ``replay_protection``: refuse any step at or before the last accepted one.
    ``track_drift``: centre the window on the step offset seen at the last success, and (RFC 6238
    section 6) likewise never accept a step at or before the last accepted one, so turning replay
    protection off reproduces a vulnerable verifier only with drift tracking off too.
    ``max_drift_steps``: however the drift has moved the window, never accept a step further than
    this from the verifier's own (RFC 6238 section 6 recommends such a limit; ``None``: no limit).
    ``diagnose_steps``: on a rejection, look this many steps further each way to say
    ``outside_window`` (and by how much) instead of ``wrong_code``; it never changes what is
    accepted.
    """

    steps_back: int = 1
    steps_forward: int = 1
    replay_protection: bool = True
    track_drift: bool = True
    max_drift_steps: int | None = 10
    diagnose_steps: int = 10

    def __post_init__(self) -> None:
        _non_negative(
            self,
            steps_back=self.steps_back,
            steps_forward=self.steps_forward,
            diagnose_steps=self.diagnose_steps,
        )
        if self.max_drift_steps is not None:
            _non_negative(self, max_drift_steps=self.max_drift_steps)


@dataclass(frozen=True, slots=True)
class TotpState:
    """What a TOTP verifier remembers about one credential: the last accepted step and the drift."""

    last_step: int | None = None
    drift: int = 0

    def as_dict(self) -> dict[str, int | None]:
        return {"last_step": self.last_step, "drift": self.drift}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> TotpState:
        last, drift = data.get("last_step"), data.get("drift", 0)
        if (last is not None and type(last) is not int) or type(drift) is not int:
            raise OtpParameterError(f"not a TOTP state: {dict(data)!r}")
        return cls(last, drift)


@dataclass(frozen=True, slots=True)
class HotpPolicy:
    """How an HOTP verifier decides.

    ``look_ahead``: a code for any of the next ``look_ahead`` counters after the expected one is
    accepted (RFC 4226 7.4 parameter *s*). ``resync_window``: beyond the look-ahead and up to this
    many counters ahead, a code is accepted only as part of ``resync_codes`` consecutive codes
    (RFC 4226 7.4: "the system MAY require the user to send a sequence of (say, 2, 3) HOTP values").
    ``diagnose_back``: how far back to look to say ``replayed``/``stale`` instead of ``wrong_code``.
    """

    look_ahead: int = 5
    resync_window: int = 100
    resync_codes: int = 2
    diagnose_back: int = 10

    def __post_init__(self) -> None:
        _non_negative(
            self,
            look_ahead=self.look_ahead,
            resync_window=self.resync_window,
            resync_codes=self.resync_codes,
            diagnose_back=self.diagnose_back,
        )
        if self.resync_codes < 1:
            raise OtpParameterError("HotpPolicy.resync_codes must be at least 1", where="resync")


@dataclass(frozen=True, slots=True)
class HotpState:
    """What an HOTP verifier remembers: the next expected counter and any resync in progress."""

    counter: int = 0
    pending: int | None = None
    """The counter of the last code seen beyond the look-ahead, while a resync is in progress."""
    run: int = 0
    """How many consecutive codes, ending at ``pending``, have been seen."""

    def as_dict(self) -> dict[str, int | None]:
        return {"counter": self.counter, "pending": self.pending, "run": self.run}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> HotpState:
        counter, pending, run = data.get("counter", 0), data.get("pending"), data.get("run", 0)
        if (
            type(counter) is not int
            or (pending is not None and type(pending) is not int)
            or type(run) is not int
        ):
            raise OtpParameterError(f"not an HOTP state: {dict(data)!r}")
        return cls(counter, pending, run)


S = TypeVar("S", TotpState, HotpState)


@dataclass(slots=True)
class Verification(Generic[S]):
    """The verdict on one code, and the credential state to store afterwards.

    A result to read, not to change (it is not frozen only because a frozen dataclass costs more
    to build than the HMACs of a whole verification).

    ``offset``: TOTP, matched step minus the verifier's current step (positive: the code came from a
    clock ahead of ours); HOTP, matched counter minus the expected counter. ``matched``: the step or
    counter the code belongs to, when one was found. ``candidates``: how many codes were computed.
    """

    reason: Reason
    state: S
    offset: int | None = None
    matched: int | None = None
    resynchronised: bool = False
    candidates: int = 0

    @property
    def accepted(self) -> bool:
        return self.reason is Reason.ACCEPTED

    def __bool__(self) -> bool:
        return self.reason is Reason.ACCEPTED


_FRESH_TOTP = TotpState()
_FRESH_HOTP = HotpState()


class _Engine:
    """A key, hash and digit count, fixed once: computes and compares candidate codes fast.

    The HMAC's inner and outer hash states are keyed once (RFC 2104: H(K^opad, H(K^ipad, m))) and
    copied per candidate, which costs about a third of a one-shot :func:`hmac.digest` under
    OpenSSL 3, whose per-call set-up dominates for 8-byte messages.
    """

    __slots__ = ("_hash", "_inner", "_key", "_mod", "_outer", "params")

    def __init__(self, secret: bytes | str, params: OtpParams | None) -> None:
        self._key = key_bytes(secret)
        self.params = params if params is not None else OtpParams()
        self._hash = self.params.algorithm.hashlib_name
        self._mod = 10**self.params.digits
        self._inner, self._outer = _keyed_pads(self._key, self._hash)

    def code(self, counter: int) -> str:
        """The code for a counter or time step."""
        check_counter(counter)
        return truncate(
            hmac.digest(self._key, counter.to_bytes(8, "big"), self._hash), self.params.digits
        )

    def _submitted(self, code: str) -> bytes | None:
        """The code as 4 comparable bytes, or None when malformed."""
        if len(code) != self.params.digits or not code.isascii() or not code.isdigit():
            return None
        return int(code).to_bytes(4, "big")

    def _matches(self, submitted: bytes, first: int, last: int) -> list[int]:
        """Every counter in ``first..last`` whose code equals ``submitted``; all are compared."""
        inner_copy, outer_copy, mod, found = self._inner.copy, self._outer.copy, self._mod, []
        if first < 0:
            first = 0
        if last > MAX_COUNTER:
            last = MAX_COUNTER
        for counter in range(first, last + 1):
            digest = inner_copy()
            digest.update(counter.to_bytes(8, "big"))
            mac_state = outer_copy()
            mac_state.update(digest.digest())
            mac = mac_state.digest()
            number = (_word_at(mac, mac[-1] & 0x0F)[0] & 0x7FFFFFFF) % mod
            if _compare_digest(_word(number), submitted):
                found.append(counter)
        return found


_WORD = struct.Struct(">I")
_word, _word_at = _WORD.pack, _WORD.unpack_from
"""RFC 4226 5.3: a 4-byte big-endian word, written, and read at an offset (dynamic truncation)."""
_compare_digest = hmac.compare_digest


def _keyed_pads(key: bytes, name: str) -> tuple[Any, Any]:
    """The HMAC inner and outer hash objects after absorbing the padded key (RFC 2104)."""
    block = hashlib.new(name).block_size
    if len(key) > block:
        key = hashlib.new(name, key).digest()
    key = key.ljust(block, b"\0")
    inner = hashlib.new(name, key.translate(_IPAD))
    outer = hashlib.new(name, key.translate(_OPAD))
    return inner, outer


_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))


def _span(first: int, last: int) -> int:
    return max(0, min(last, MAX_COUNTER) - max(first, 0) + 1)


class TotpVerifier(_Engine):
    """Verifies TOTP codes for one secret under one policy.

    >>> verifier = TotpVerifier(b"12345678901234567890")
    >>> result = verifier.verify("287082", at=59)
    >>> result.accepted, result.offset, result.state
    (True, 0, TotpState(last_step=1, drift=0))
    >>> verifier.verify("287082", at=60, state=result.state).reason
    <Reason.REPLAYED: 'replayed'>
    """

    __slots__ = ("policy",)

    def __init__(
        self,
        secret: bytes | str,
        params: OtpParams | None = None,
        policy: TotpPolicy | None = None,
    ) -> None:
        super().__init__(secret, params)
        self.policy = policy if policy is not None else TotpPolicy()

    def step(self, at: Time) -> int:
        """The time step of instant ``at`` (RFC 6238 T)."""
        return floor_step(at, self.params.period, self.params.t0)

    def code_at(self, at: Time) -> str:
        """The code this verifier expects at instant ``at`` (drift not applied)."""
        step = self.step(at)
        if step < 0:
            raise OtpParameterError(
                f"time {float(at):g} is before T0 ({self.params.t0})", where="at"
            )
        return self.code(step)

    def verify(
        self, code: str, at: Time, state: TotpState = _FRESH_TOTP
    ) -> Verification[TotpState]:
        """Judge ``code`` submitted at instant ``at`` for a credential in ``state``."""
        submitted = self._submitted(code)
        if submitted is None:
            return Verification(Reason.MALFORMED, state)
        policy, params = self.policy, self.params
        now = floor_step(at, params.period, params.t0)
        track = policy.track_drift
        centre = now + state.drift if track else now
        first, last = centre - policy.steps_back, centre + policy.steps_forward
        limit = policy.max_drift_steps
        if limit is not None:
            if first < now - limit:
                first = now - limit
            if last > now + limit:
                last = now + limit
        floor = state.last_step if policy.replay_protection or track else None
        matches = self._matches(submitted, first, last)
        computed = _span(first, last)
        if matches:
            fresh = matches if floor is None else [s for s in matches if s > floor]
            if fresh:
                # Two steps in the window sharing a code (1 in 10**digits): take the nearer one.
                step = fresh[0] if len(fresh) == 1 else min(fresh, key=lambda s: abs(s - centre))
                prior = state.last_step
                last_step = step if prior is None or step > prior else prior
                new_state = TotpState(last_step, step - now if track else state.drift)
                return Verification(Reason.ACCEPTED, new_state, step - now, step, False, computed)
        if not matches and policy.diagnose_steps:
            low = centre - policy.steps_back - policy.diagnose_steps
            high = centre + policy.steps_forward + policy.diagnose_steps
            if first > last:  # the drift limit left no window at all: search the whole span
                first, last = high + 1, high
            matches = self._matches(submitted, low, first - 1)
            matches += self._matches(submitted, last + 1, high)
            computed += _span(low, first - 1) + _span(last + 1, high)
        if not matches:
            return Verification(Reason.WRONG_CODE, state, candidates=computed)
        old = [s for s in matches if floor is not None and s <= floor]
        if old:
            step = max(old)
            reason = Reason.REPLAYED if step == floor else Reason.STALE
            return Verification(reason, state, step - now, step, False, computed)
        step = min(matches, key=lambda s: abs(s - centre))
        return Verification(Reason.OUTSIDE_WINDOW, state, step - now, step, False, computed)


class HotpVerifier(_Engine):
    """Verifies HOTP codes for one secret under one policy (RFC 4226 section 7).

    >>> verifier = HotpVerifier(b"12345678901234567890")
    >>> result = verifier.verify("359152", HotpState(counter=0))  # counter 2: within look-ahead
    >>> result.accepted, result.offset, result.state.counter
    (True, 2, 3)
    """

    __slots__ = ("policy",)

    def __init__(
        self,
        secret: bytes | str,
        params: OtpParams | None = None,
        policy: HotpPolicy | None = None,
    ) -> None:
        super().__init__(secret, params)
        self.policy = policy if policy is not None else HotpPolicy()

    def verify(self, code: str, state: HotpState = _FRESH_HOTP) -> Verification[HotpState]:
        """Judge ``code`` for a credential in ``state``; a success moves the counter past it."""
        submitted = self._submitted(code)
        if submitted is None:
            return Verification(Reason.MALFORMED, state)
        policy, expected = self.policy, state.counter
        ahead = expected + policy.look_ahead
        matches = self._matches(submitted, expected, ahead)
        computed = _span(expected, ahead)
        if matches:
            counter = matches[0]
            return Verification(
                Reason.ACCEPTED,
                HotpState(counter + 1),
                counter - expected,
                counter,
                False,
                computed,
            )
        far = expected + max(policy.resync_window, policy.look_ahead)
        matches = self._matches(submitted, ahead + 1, far)
        computed += _span(ahead + 1, far)
        if matches:
            counter = matches[0]
            consecutive = state.pending is not None and counter == state.pending + 1
            run = state.run + 1 if consecutive else 1
            if run >= policy.resync_codes:
                return Verification(
                    Reason.ACCEPTED,
                    HotpState(counter + 1),
                    counter - expected,
                    counter,
                    True,
                    computed,
                )
            pending = HotpState(expected, counter, run)
            return Verification(
                Reason.RESYNC_PENDING, pending, counter - expected, counter, False, computed
            )
        back = max(expected - policy.diagnose_back, 0)
        matches = self._matches(submitted, back, expected - 1)
        computed += _span(back, expected - 1)
        if matches:
            counter = matches[-1]
            reason = Reason.REPLAYED if counter == expected - 1 else Reason.STALE
            return Verification(reason, state, counter - expected, counter, False, computed)
        # A wrong code breaks a run of consecutive resync codes.
        reset = state if state.pending is None else HotpState(expected)
        return Verification(Reason.WRONG_CODE, reset, candidates=computed)

    def resynchronise(
        self, codes: Sequence[str], state: HotpState = _FRESH_HOTP
    ) -> Verification[HotpState]:
        """Resynchronise from consecutive codes, entered at once (RFC 4226 7.4).

        Accepts when ``codes`` (at least ``resync_codes`` of them) are the codes of consecutive
        counters starting within ``resync_window`` of the expected counter; the counter then moves
        past the last of them.
        """
        if len(codes) < self.policy.resync_codes:
            raise OtpParameterError(
                f"resynchronisation needs {self.policy.resync_codes} consecutive codes, "
                f"got {len(codes)}",
                where="codes",
            )
        submitted = [self._submitted(code) for code in codes]
        if any(s is None for s in submitted):
            return Verification(Reason.MALFORMED, state)
        expected = state.counter
        far = expected + max(self.policy.resync_window, self.policy.look_ahead)
        starts = self._matches(submitted[0] or b"", expected, far)
        computed = _span(expected, far)
        for start in starts:
            ok = True
            for index, value in enumerate(submitted[1:], start=1):
                computed += 1
                ok &= bool(self._matches(value or b"", start + index, start + index))
            if ok:
                counter = start + len(codes) - 1
                return Verification(
                    Reason.ACCEPTED,
                    HotpState(counter + 1),
                    start - expected,
                    counter,
                    True,
                    computed,
                )
        return Verification(Reason.WRONG_CODE, state, candidates=computed)
