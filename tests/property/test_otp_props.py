"""Properties of the OTP engine and verifiers, with pyotp as an independent oracle."""

from __future__ import annotations

import base64

import pyotp
from hypothesis import assume, given
from hypothesis import strategies as st

from twofa_sim.core.otp import (
    MAX_COUNTER,
    Algorithm,
    HotpState,
    HotpVerifier,
    OtpParams,
    Reason,
    TotpPolicy,
    TotpState,
    TotpVerifier,
    hotp,
    totp,
)

keys = st.binary(min_size=14, max_size=80)  # pyotp refuses keys under 112 bits
algorithms = st.sampled_from(list(Algorithm))
digit_counts = st.integers(6, 8)
periods = st.integers(1, 300)
times = st.floats(0, 2**36, allow_nan=False, allow_infinity=False)
counters = st.integers(0, MAX_COUNTER)


def b32(key: bytes) -> str:
    return base64.b32encode(key).decode()


@given(keys, counters, digit_counts, algorithms)
def test_hotp_matches_pyotp(key: bytes, counter: int, digits: int, algorithm: Algorithm) -> None:
    """Our HOTP equals pyotp's (an independent implementation) for any key/counter/params."""
    oracle = pyotp.HOTP(b32(key), digits=digits, digest=algorithm.hashlib_name)
    assert hotp(key, counter, digits=digits, algorithm=algorithm) == oracle.at(counter)


@given(keys, times, digit_counts, algorithms, st.integers(1, 120))  # pyotp allows at most 120 s
def test_totp_matches_pyotp(
    key: bytes, at: float, digits: int, algorithm: Algorithm, period: int
) -> None:
    """Our TOTP equals pyotp's for any key, time, digits, algorithm and period."""
    oracle = pyotp.TOTP(b32(key), digits=digits, digest=algorithm.hashlib_name, interval=period)
    assert totp(key, at, digits=digits, algorithm=algorithm, period=period) == oracle.at(at)


@given(keys, times, digit_counts, algorithms, periods, st.integers(0, 10**9))
def test_code_made_at_t_verifies_at_t(
    key: bytes, at: float, digits: int, algorithm: Algorithm, period: int, t0: int
) -> None:
    """A code made at t verifies at t, for any secret/algorithm/digits/period/T0."""
    at += t0
    params = OtpParams(algorithm, digits, period, t0)
    made = totp(key, at, digits=digits, algorithm=algorithm, period=period, t0=t0)
    result = TotpVerifier(key, params).verify(made, at)
    assert result.accepted and result.offset == 0


@given(
    st.binary(min_size=16, max_size=32),
    st.integers(20, 2**33),
    st.integers(-12, 12),
    st.integers(0, 4),
    st.integers(0, 4),
    st.booleans(),
)
def test_accepted_exactly_inside_the_window(
    key: bytes, step: int, offset: int, back: int, forward: int, track: bool
) -> None:
    """Accepted iff -back <= step difference <= forward (fresh credential)."""
    policy = TotpPolicy(steps_back=back, steps_forward=forward, track_drift=track)
    verifier = TotpVerifier(key, policy=policy)
    submitted = hotp(key, step + offset)
    # A code can collide with a code of another step in the window (1 in 10**6 per step).
    collides = any(
        hotp(key, step + d) == submitted for d in range(-back, forward + 1) if d != offset
    )
    assume(not collides)
    result = verifier.verify(submitted, step * 30 + 7.5)
    assert result.accepted == (-back <= offset <= forward)
    if result.accepted:
        assert result.offset == offset


submissions = st.lists(
    st.tuples(st.integers(0, 90), st.integers(-3, 3)),  # (seconds to advance, device step offset)
    min_size=1,
    max_size=25,
)


@given(st.binary(min_size=16, max_size=20), submissions, st.booleans(), st.booleans())
def test_a_step_is_never_accepted_twice_nor_one_at_or_before_the_last(
    key: bytes, plan: list[tuple[int, int]], track: bool, protect: bool
) -> None:
    """Replay protection (RFC 6238 5.2), or drift tracking alone (RFC 6238 6), never accepts a
    step at or before the last accepted one."""
    policy = TotpPolicy(
        steps_back=2, steps_forward=2, track_drift=track, replay_protection=protect or not track
    )
    verifier = TotpVerifier(key, policy=policy)
    state, now, accepted = TotpState(), 1_800_000_000.0, []
    for advance, device_offset in plan:
        now += advance
        result = verifier.verify(hotp(key, verifier.step(now) + device_offset), now, state)
        if result.accepted:
            assert result.matched is not None
            assert not accepted or result.matched > accepted[-1]
            accepted.append(result.matched)
            state = result.state
        else:
            assert result.state == state
    assert len(accepted) == len(set(accepted))


@given(st.binary(min_size=16, max_size=20), st.lists(st.integers(0, 8), min_size=1, max_size=30))
def test_hotp_counter_only_moves_forward_and_codes_are_single_use(
    key: bytes, presses: list[int]
) -> None:
    """RFC 4226 7.2/7.4: each accepted counter is past the previous; none is accepted twice."""
    verifier = HotpVerifier(key)
    state, token, seen = HotpState(), 0, set()
    for skipped in presses:
        token += skipped  # the user pressed the button without submitting
        result = verifier.verify(hotp(key, token), state)
        if result.accepted:
            assert result.matched not in seen
            assert result.state.counter == result.matched + 1 > state.counter  # type: ignore[operator]
            seen.add(result.matched)
            state = result.state
            # The same code again is never accepted.
            assert verifier.verify(hotp(key, token), state).reason in {
                Reason.REPLAYED,
                Reason.STALE,
            }
        token += 1
