"""TOTP and HOTP verifiers: windows, replay protection, drift tracking, resynchronisation."""

from __future__ import annotations

import pytest

from twofa_sim.core.otp import (
    HotpPolicy,
    HotpState,
    HotpVerifier,
    OtpParams,
    Reason,
    TotpPolicy,
    TotpState,
    TotpVerifier,
    hotp,
)
from twofa_sim.errors import OtpParameterError

SEED = b"12345678901234567890"
T = 1_700_000_000.0  # step 56666666, 20 s into it
STEP = 56666666


def code(step: int) -> str:
    return hotp(SEED, step)


def test_current_code_is_accepted_and_state_records_its_step() -> None:
    """RFC 6238: the code of the current step verifies; the state remembers the step."""
    result = TotpVerifier(SEED).verify(code(STEP), T)
    assert result.accepted and bool(result)
    assert (result.reason, result.offset, result.matched) == (Reason.ACCEPTED, 0, STEP)
    assert result.state == TotpState(last_step=STEP, drift=0)


@pytest.mark.parametrize(
    ("back", "forward", "offset", "accepted"),
    [
        (1, 1, -1, True),
        (1, 1, 1, True),
        (1, 1, -2, False),
        (1, 1, 2, False),
        (0, 0, 0, True),
        (0, 0, -1, False),
        (2, 0, -2, True),
        (2, 0, 1, False),
        (0, 3, 3, True),
    ],
)
def test_window_back_and_forward_are_separate(
    back: int, forward: int, offset: int, accepted: bool
) -> None:
    """RFC 6238 5.2: the look-around window, steps back and forward set separately."""
    verifier = TotpVerifier(SEED, policy=TotpPolicy(steps_back=back, steps_forward=forward))
    result = verifier.verify(code(STEP + offset), T)
    assert result.accepted is accepted
    assert result.offset == offset
    if not accepted:
        assert result.reason is Reason.OUTSIDE_WINDOW


def test_outside_window_is_diagnosed_with_its_offset() -> None:
    """A genuine code 5 steps fast is `outside_window` with offset +5, not `wrong_code`."""
    result = TotpVerifier(SEED).verify(code(STEP + 5), T)
    assert (result.reason, result.offset, result.accepted) == (Reason.OUTSIDE_WINDOW, 5, False)
    assert result.state == TotpState()


def test_diagnosis_never_widens_what_is_accepted() -> None:
    """Turning diagnosis off changes only the reason, never the verdict."""
    quiet = TotpVerifier(SEED, policy=TotpPolicy(diagnose_steps=0))
    assert quiet.verify(code(STEP + 5), T).reason is Reason.WRONG_CODE


def test_wrong_and_malformed_codes() -> None:
    """Wrong digits are `wrong_code`; wrong length or non-digits are `malformed`."""
    verifier = TotpVerifier(SEED)
    wrong = next(
        c
        for c in (f"{n:06d}" for n in range(10**6))
        if c not in {code(STEP + d) for d in range(-11, 12)}
    )
    assert verifier.verify(wrong, T).reason is Reason.WRONG_CODE
    fullwidth = "\uff11\uff12\uff13\uff14\uff15\uff16"
    for bad in ["", "12345", "1234567", "12a456", " 12345", fullwidth, "-12345"]:
        assert verifier.verify(bad, T).reason is Reason.MALFORMED


def test_accepted_step_is_never_accepted_again() -> None:
    """RFC 6238 5.2, NIST 800-63B 5.1.4.2, ASVS 6.5.1: a TOTP is usable only once."""
    verifier = TotpVerifier(SEED)
    first = verifier.verify(code(STEP), T)
    again = verifier.verify(code(STEP), T + 5, first.state)
    assert (again.reason, again.accepted, again.state) == (Reason.REPLAYED, False, first.state)


def test_forward_window_code_cannot_be_replayed_after_the_clock_catches_up() -> None:
    """The classic hole: a code accepted from the forward window, replayed one step later."""
    verifier = TotpVerifier(SEED, policy=TotpPolicy(track_drift=False))
    first = verifier.verify(code(STEP + 1), T)
    assert first.accepted
    later = verifier.verify(code(STEP + 1), T + 30, first.state)
    assert later.reason is Reason.REPLAYED


def test_earlier_step_after_a_later_one_is_stale() -> None:
    """Steps at or before the last accepted are refused: an older unused code is `stale`."""
    verifier = TotpVerifier(SEED, policy=TotpPolicy(track_drift=False))
    first = verifier.verify(code(STEP + 1), T)
    older = verifier.verify(code(STEP), T, first.state)
    assert (older.reason, older.matched) == (Reason.STALE, STEP)


def test_replay_protection_off_reproduces_a_vulnerable_verifier() -> None:
    """With replay protection and drift tracking off (a peer's bug), a code verifies twice."""
    policy = TotpPolicy(replay_protection=False, track_drift=False)
    verifier = TotpVerifier(SEED, policy=policy)
    first = verifier.verify(code(STEP), T)
    assert verifier.verify(code(STEP), T, first.state).accepted


def test_drift_tracking_alone_still_refuses_old_steps() -> None:
    """RFC 6238 6: drift tracking never accepts a step at or before the last accepted one."""
    verifier = TotpVerifier(SEED, policy=TotpPolicy(replay_protection=False, track_drift=True))
    first = verifier.verify(code(STEP), T)
    assert verifier.verify(code(STEP), T, first.state).reason is Reason.REPLAYED
    assert verifier.verify(code(STEP - 1), T, first.state).reason is Reason.STALE


def test_drift_is_capped_by_max_drift_steps() -> None:
    """RFC 6238 6: a limit on how far out of sync a prover may get, however drift walked."""
    verifier = TotpVerifier(SEED, policy=TotpPolicy(max_drift_steps=3))
    state, now = TotpState(), T
    offsets = []
    for _ in range(6):  # a phone that runs further ahead at every login
        offset = (state.drift or 0) + 1
        result = verifier.verify(code(verifier.step(now) + offset), now, state)
        offsets.append((offset, result.reason))
        if result.accepted:
            state = result.state
        now += 300
    assert [r for o, r in offsets if o <= 3] == [Reason.ACCEPTED] * 3
    assert offsets[3] == (4, Reason.OUTSIDE_WINDOW)
    assert state.drift == 3


def test_no_drift_limit_lets_the_window_walk() -> None:
    """max_drift_steps=None: the window follows the drift without bound (django-otp's way)."""
    verifier = TotpVerifier(SEED, policy=TotpPolicy(max_drift_steps=None))
    state, now = TotpState(), T
    for expected in range(1, 16):
        result = verifier.verify(code(verifier.step(now) + expected), now, state)
        assert result.accepted and result.state.drift == expected
        state, now = result.state, now + 300


def test_drift_is_recorded_and_recentres_the_window() -> None:
    """RFC 6238 6: the offset seen at a success centres later windows."""
    verifier = TotpVerifier(SEED)
    first = verifier.verify(code(STEP + 1), T)
    assert first.state.drift == 1
    # The phone keeps running one step fast: +2 is now inside the recentred window.
    later = verifier.verify(code(STEP + 12), T + 10 * 30, first.state)
    assert later.accepted and later.offset == 2 and later.state.drift == 2


def test_without_drift_tracking_the_window_stays_put() -> None:
    """track_drift=False: the same +2 code is outside the window."""
    verifier = TotpVerifier(SEED, policy=TotpPolicy(track_drift=False))
    first = verifier.verify(code(STEP + 1), T)
    assert first.state.drift == 0
    assert verifier.verify(code(STEP + 12), T + 300, first.state).reason is Reason.OUTSIDE_WINDOW


def test_period_digits_algorithm_and_t0_are_honoured() -> None:
    """A verifier for SHA512/8 digits/60 s/T0 accepts exactly that kind of code."""
    params = OtpParams("SHA512", 8, 60, 1000)  # type: ignore[arg-type]
    verifier = TotpVerifier(SEED, params)
    step = (T - 1000) // 60
    good = hotp(SEED, int(step), digits=8, algorithm="SHA512")
    assert verifier.verify(good, T).accepted
    assert verifier.verify(hotp(SEED, int(step), digits=8), T).reason is Reason.WRONG_CODE


def test_state_round_trips_through_a_dict() -> None:
    """The state is a plain value the caller can store and load."""
    state = TotpState(last_step=5, drift=-2)
    assert TotpState.from_dict(state.as_dict()) == state
    hstate = HotpState(counter=9, pending=40, run=1)
    assert HotpState.from_dict(hstate.as_dict()) == hstate
    for bad in ({"last_step": "five"}, {"last_step": True}, {"drift": 1.5}):
        with pytest.raises(OtpParameterError):
            TotpState.from_dict(bad)


def test_policies_refuse_negative_sizes() -> None:
    """Policy sizes are whole numbers >= 0 (resync needs at least one code)."""
    with pytest.raises(OtpParameterError, match="steps_back"):
        TotpPolicy(steps_back=-1)
    with pytest.raises(OtpParameterError, match="resync"):
        HotpPolicy(resync_codes=0)


# --- HOTP ------------------------------------------------------------------------------------


def test_hotp_accepts_within_look_ahead_and_moves_the_counter() -> None:
    """RFC 4226 7.2/7.4: the server counter moves past the matched counter."""
    verifier = HotpVerifier(SEED, policy=HotpPolicy(look_ahead=3))
    result = verifier.verify(code(3))
    assert (result.accepted, result.offset, result.state) == (True, 3, HotpState(counter=4))
    assert verifier.verify(code(4), result.state).offset == 0


def test_hotp_code_is_never_accepted_twice() -> None:
    """RFC 4226 7.2: a used counter is behind the server counter for good."""
    verifier = HotpVerifier(SEED)
    state = verifier.verify(code(0)).state
    assert verifier.verify(code(0), state).reason is Reason.REPLAYED
    state = verifier.verify(code(2), state).state
    assert verifier.verify(code(1), state).reason is Reason.STALE


def test_hotp_far_ahead_needs_consecutive_codes() -> None:
    """RFC 4226 7.4: beyond the look-ahead, resync needs consecutive codes."""
    verifier = HotpVerifier(SEED, policy=HotpPolicy(look_ahead=5, resync_window=100))
    first = verifier.verify(code(40))
    assert (first.reason, first.accepted) == (Reason.RESYNC_PENDING, False)
    assert first.state == HotpState(counter=0, pending=40, run=1)
    second = verifier.verify(code(41), first.state)
    assert second.accepted and second.resynchronised
    assert second.state == HotpState(counter=42)


def test_hotp_non_consecutive_code_restarts_the_resync() -> None:
    """A far code that is not the next one does not complete a resync."""
    verifier = HotpVerifier(SEED)
    first = verifier.verify(code(40))
    skipped = verifier.verify(code(42), first.state)
    assert skipped.reason is Reason.RESYNC_PENDING and skipped.state.pending == 42


def test_hotp_wrong_code_breaks_a_resync_run() -> None:
    """A wrong code between the resync codes clears the pending resync."""
    verifier = HotpVerifier(SEED)
    first = verifier.verify(code(40))
    wrong = next(
        f"{n:06d}" for n in range(10**6) if f"{n:06d}" not in {code(c) for c in range(120)}
    )
    after = verifier.verify(wrong, first.state)
    assert after.reason is Reason.WRONG_CODE and after.state == HotpState(counter=0)
    assert verifier.verify(code(41), after.state).reason is Reason.RESYNC_PENDING


def test_hotp_three_code_resync() -> None:
    """resync_codes=3 needs three consecutive codes."""
    verifier = HotpVerifier(SEED, policy=HotpPolicy(resync_codes=3))
    state = HotpState()
    for counter in (50, 51):
        result = verifier.verify(code(counter), state)
        assert result.reason is Reason.RESYNC_PENDING
        state = result.state
    final = verifier.verify(code(52), state)
    assert final.accepted and final.state.counter == 53


def test_hotp_explicit_resynchronise() -> None:
    """Resynchronise from codes entered together; too few codes is a usage error."""
    verifier = HotpVerifier(SEED)
    result = verifier.resynchronise([code(70), code(71)])
    assert result.accepted and result.state == HotpState(counter=72)
    assert not verifier.resynchronise([code(70), code(72)]).accepted
    with pytest.raises(OtpParameterError, match="2 consecutive"):
        verifier.resynchronise([code(70)])


def test_hotp_beyond_resync_window_is_wrong() -> None:
    """Codes beyond the resync window are not searched: `wrong_code`."""
    verifier = HotpVerifier(SEED, policy=HotpPolicy(resync_window=20))
    assert verifier.verify(code(30)).reason is Reason.WRONG_CODE
