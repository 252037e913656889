"""A phone whose clock drifts, day after day, logging in through the reference service.

The experiment behind ``twofa-sim drift``. A user enrolls an authenticator app on day 0 with the
phone's clock right; from then on the phone gains ``ppm`` parts per million (50 ppm: 4.32 s a
day) and the user logs in ``logins_per_day`` times a day at seeded random moments: password,
then the code the app shows at the phone's time, through
:class:`~twofa_sim.reference.ReferenceService`. Nothing sleeps: the world's virtual clock jumps
from one login to the next.

Run without drift tracking, logins start failing once the phone is more than the window ahead
(``steps_forward`` periods); with tracking (RFC 6238 section 6) the verifier re-centres its window
on the drift it saw at each success, so logins keep passing until the phone passes
``max_drift_steps`` periods (or forever without a limit). An idle gap, no logins for a while,
lets the phone run further ahead than the window in one jump: the tracked window no longer
reaches it, and since the verifier only re-centres on a success, it never catches up.

Each login is also checked against the closed form (:func:`twofa_sim.labs.skew.acceptance` for the
window the verifier used): ``chance`` is the probability that a login at a uniformly random
moment with that clock error passes; a login accepted at chance 0, or refused by the window at
chance 1, is a contradiction (:attr:`DriftMode.contradictions`).

>>> result = run_drift(ppm=50, days=3, tracking="off")
>>> [day.accepted for day in result.modes[0].days]
[2, 2, 2]
>>> round(result.prediction.window_edge_day, 2)  # 30 s ahead at 4.32 s a day
6.94
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any, Literal

from twofa_sim.core.seeding import stream
from twofa_sim.errors import InputError

__all__ = [
    "DayRecord",
    "DriftMode",
    "DriftResult",
    "GapOutcome",
    "LoginRecord",
    "Prediction",
    "run_drift",
]

PERIOD = 30
"""The reference service's TOTP step (its enrollment URIs use the default)."""
DAY = 86_400.0
Tracking = Literal["on", "off", "both"]
# What the verifier judged: every other reason (locked, throttled) refused the login before the
# code was looked at, so the closed form says nothing about it.
_WINDOW_VERDICTS = frozenset({"accepted", "outside_window", "wrong_code"})
_USER, _PASSWORD, _PHONE, _APP = (
    "alice",
    "correct horse",
    "+15551230001",
    "google-authenticator-2024",
)


@dataclass(frozen=True)
class LoginRecord:
    """One login: when, how far the phone's clock was ahead, and the service's verdict."""

    at_s: float
    """Seconds since enrollment."""
    error_s: float
    """How far the phone's clock was ahead of the server (negative: behind)."""
    outcome: str
    """``accepted``, or the service's reason for refusing (``outside_window``...)."""
    step_offset: int
    """The phone's time step minus the server's: the step whose code was typed."""
    drift_steps: int
    """The drift the verifier remembers after this login (steps; 0 when it does not track)."""
    chance: float
    """The closed form's probability that a login with this error passes the window the
    verifier used (centred on the drift it had learnt before this login)."""

    @property
    def accepted(self) -> bool:
        return self.outcome == "accepted"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DayRecord:
    """One day of one run: the phone's error at the day's start and that day's logins."""

    day: int
    error_s: float
    logins: tuple[LoginRecord, ...]
    idle: bool
    """The day falls in the idle gap: no logins."""
    drift_steps: int
    """The drift the verifier remembers at the end of the day (steps)."""

    @property
    def accepted(self) -> int:
        return sum(login.accepted for login in self.logins)

    @property
    def refused(self) -> int:
        return len(self.logins) - self.accepted

    def as_dict(self) -> dict[str, Any]:
        return {
            "day": self.day,
            "error_s": self.error_s,
            "idle": self.idle,
            "accepted": self.accepted,
            "refused": self.refused,
            "drift_steps": self.drift_steps,
            "logins": [login.as_dict() for login in self.logins],
        }


@dataclass(frozen=True)
class GapOutcome:
    """What the first login after the idle gap met."""

    day: int
    jump_s: float
    """How much further ahead the phone was than at the last login before the gap."""
    outcome: str
    recovered_day: int | None
    """The first later day with an accepted login (``None``: never, within the run)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "day": self.day,
            "jump_s": self.jump_s,
            "jump_steps": self.jump_s / PERIOD,
            "outcome": self.outcome,
            "recovered_day": self.recovered_day,
        }


@dataclass(frozen=True)
class DriftMode:
    """One run, with drift tracking on or off."""

    tracking: bool
    days: tuple[DayRecord, ...]
    gap: GapOutcome | None
    sentence: str
    """The run in one sentence."""

    @property
    def logins(self) -> list[LoginRecord]:
        return [login for day in self.days for login in day.logins]

    @property
    def first_refused_day(self) -> int | None:
        return next((d.day for d in self.days if d.refused), None)

    @property
    def last_accepted_day(self) -> int | None:
        return next((d.day for d in reversed(self.days) if d.accepted), None)

    @property
    def contradictions(self) -> list[LoginRecord]:
        """Logins whose verdict the closed form rules out (none, when all is well)."""
        return [
            login
            for login in self.logins
            if login.outcome in _WINDOW_VERDICTS
            and (
                (login.accepted and login.chance == 0.0)
                or (not login.accepted and login.chance == 1.0)
            )
        ]

    def summary(self) -> dict[str, Any]:
        logins = self.logins
        refused = next((login for login in logins if not login.accepted), None)
        return {
            "logins": len(logins),
            "accepted": sum(login.accepted for login in logins),
            "first_refused_day": self.first_refused_day,
            "first_refused_error_s": None if refused is None else refused.error_s,
            "last_accepted_day": self.last_accepted_day,
            "final_drift_steps": self.days[-1].drift_steps if self.days else 0,
            "contradictions": len(self.contradictions),
            "after_gap": None if self.gap is None else self.gap.as_dict(),
            "sentence": self.sentence,
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "tracking": self.tracking,
            "summary": self.summary(),
            "days": [day.as_dict() for day in self.days],
        }


@dataclass(frozen=True)
class Prediction:
    """What the closed form predicts for a phone gaining ``rate_s_per_day`` seconds a day.

    The days at which the error reaches the edge of full acceptance (some logins start to fail)
    and the point of no acceptance (all fail), for a fresh window and for the drift limit a
    tracking verifier never goes past; ``None`` when never (no drift, or no limit).
    """

    rate_s_per_day: float
    window_edge_s: float
    window_zero_s: float
    window_edge_day: float | None
    window_zero_day: float | None
    limit_edge_s: float | None
    limit_zero_s: float | None
    limit_edge_day: float | None
    limit_zero_day: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DriftResult:
    """Everything ``twofa-sim drift`` prints or draws: the settings, each run, the prediction."""

    ppm: float
    days: int
    logins_per_day: int
    steps_back: int
    steps_forward: int
    max_drift_steps: int | None
    idle_from: int | None
    idle_days: float
    seed: int
    modes: tuple[DriftMode, ...]
    prediction: Prediction
    period: int = PERIOD

    def mode(self, tracking: bool) -> DriftMode | None:
        return next((m for m in self.modes if m.tracking is tracking), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ppm": self.ppm,
            "period": self.period,
            "days": self.days,
            "logins_per_day": self.logins_per_day,
            "window": {"steps_back": self.steps_back, "steps_forward": self.steps_forward},
            "max_drift_steps": self.max_drift_steps,
            "idle_gap": None
            if self.idle_from is None
            else {"from_day": self.idle_from, "days": self.idle_days},
            "seed": self.seed,
            "prediction": self.prediction.as_dict(),
            "modes": [mode.as_dict() for mode in self.modes],
        }


def run_drift(
    *,
    ppm: float,
    days: int = 365,
    logins_per_day: int = 2,
    steps_back: int = 1,
    steps_forward: int = 1,
    tracking: Tracking = "both",
    max_drift_steps: int | None = 10,
    idle_gap: float = 0.0,
    idle_from: int | None = None,
    seed: int = 0,
) -> DriftResult:
    """Run the experiment and return plain data (see the module's docstring).

    ``idle_gap`` (seconds) of no logins starts at the beginning of day ``idle_from`` (by default
    the middle of the run) and must end before the run does.
    """
    _check(ppm, days, logins_per_day, steps_back, steps_forward, max_drift_steps, idle_gap)
    if idle_gap > 0:
        idle_from = days // 2 if idle_from is None else idle_from
        if not 0 < idle_from < days:
            raise InputError(
                f"the idle gap must start on a day after enrollment and before the run ends "
                f"(1 to {days - 1}), not {idle_from}",
                where="idle_from",
            )
        if idle_from * DAY + idle_gap >= days * DAY:
            raise InputError(
                f"an idle gap of {idle_gap / DAY:g} days from day {idle_from} leaves no login "
                f"after it in a run of {days} days",
                where="idle_gap",
                hint="lengthen --days, shorten the gap or start it earlier",
            )
    else:
        idle_from = None
    gap = None if idle_from is None else (idle_from * DAY, idle_from * DAY + idle_gap)
    wanted = {"on": (True,), "off": (False,), "both": (False, True)}[tracking]
    modes = tuple(
        _run_mode(
            ppm, days, logins_per_day, steps_back, steps_forward, on, max_drift_steps, gap, seed
        )
        for on in wanted
    )
    prediction = _predict(ppm, steps_back, steps_forward, max_drift_steps)
    return DriftResult(
        ppm=float(ppm),
        days=days,
        logins_per_day=logins_per_day,
        steps_back=steps_back,
        steps_forward=steps_forward,
        max_drift_steps=max_drift_steps,
        idle_from=idle_from,
        idle_days=idle_gap / DAY,
        seed=seed,
        modes=modes,
        prediction=prediction,
    )


def _check(
    ppm: float,
    days: int,
    per_day: int,
    steps_back: int,
    steps_forward: int,
    limit: int | None,
    idle_gap: float,
) -> None:
    if isinstance(ppm, bool) or not isinstance(ppm, int | float) or not math.isfinite(ppm):
        raise InputError(f"the drift must be a finite number of ppm, not {ppm!r}", where="ppm")
    if abs(ppm) > 100_000:
        raise InputError("a drift beyond 100,000 ppm (10 %) is not a clock", where="ppm")
    for name, value, low in (
        ("days", days, 1),
        ("logins_per_day", per_day, 1),
        ("steps_back", steps_back, 0),
        ("steps_forward", steps_forward, 0),
        ("max_drift_steps", 0 if limit is None else limit, 0),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise InputError(f"{name} must be a whole number >= {low}, not {value!r}", where=name)
    if not math.isfinite(idle_gap) or idle_gap < 0:
        raise InputError("the idle gap must be a duration >= 0", where="idle_gap")


def _moments(days: int, per_day: int, seed: int) -> Iterator[float]:
    """Login moments (seconds since enrollment): one in each equal slice of each day, at a
    seeded random point of it, so the phase inside a time step is uniform as the model assumes.
    The same seed gives the same moments with tracking on and off."""
    rng = stream(seed, "drift")
    slice_s = DAY / per_day
    for day in range(days):
        for index in range(per_day):
            yield day * DAY + (index + rng.random()) * slice_s


def _run_mode(
    ppm: float,
    days: int,
    per_day: int,
    steps_back: int,
    steps_forward: int,
    tracking: bool,
    limit: int | None,
    gap: tuple[float, float] | None,
    seed: int,
) -> DriftMode:
    from twofa_sim.core.otp import TotpPolicy
    from twofa_sim.reference import SecurityPolicy
    from twofa_sim.world import World

    world = World(
        {
            "seed": seed,
            "phones": [{"number": _PHONE, "drift_ppm": ppm, "apps": [_APP]}],
        }
    )
    policy = SecurityPolicy(
        totp=TotpPolicy(
            steps_back=steps_back,
            steps_forward=steps_forward,
            track_drift=tracking,
            max_drift_steps=limit,
        ),
        code_hash_iterations=1000,
    )
    phone = world.phone(_PHONE)
    device = phone.clock
    start = world.now()
    records: dict[int, list[LoginRecord]] = {day: [] for day in range(days)}
    drift_at_end: dict[int, int] = {}
    with world:
        service = world.reference_service(policy=policy)
        service.register(_USER, _PASSWORD)
        app = phone.app()
        scan = app.scan(service.generate_qr(_USER).png)
        if scan.account is None:  # pragma: no cover - the reference QR always scans
            raise RuntimeError(f"the app could not scan the enrollment QR: {scan.reason}")
        issuer, name = scan.account.issuer, scan.account.name
        confirmed = service.confirm_totp(_USER, app.code(issuer, name))
        if not confirmed.ok:  # pragma: no cover - the clock is right at enrollment
            raise RuntimeError(f"enrollment was refused: {confirmed.reason}")
        drift = _learnt(service)
        for moment in _moments(days, per_day, seed):
            if gap is not None and gap[0] <= moment < gap[1]:
                continue
            world.clock.set(start + moment)
            server_now, phone_now = world.now(), device.now()
            error = phone_now - server_now
            step_offset = math.floor(phone_now / PERIOD) - math.floor(server_now / PERIOD)
            chance = _chance(error, drift if tracking else 0, steps_back, steps_forward, limit)
            outcome = _login(service, app.code(issuer, name))
            drift = _learnt(service)
            day = int(moment // DAY)
            records[day].append(LoginRecord(moment, error, outcome, step_offset, drift, chance))
            drift_at_end[day] = drift
    day_records = []
    last_drift = 0
    for day in range(days):
        last_drift = drift_at_end.get(day, last_drift)
        idle = gap is not None and gap[0] <= day * DAY and (day + 1) * DAY <= gap[1]
        error = ppm * 1e-6 * day * DAY
        day_records.append(DayRecord(day, error, tuple(records[day]), idle, last_drift))
    mode_days = tuple(day_records)
    gap_outcome = _gap_outcome(mode_days, gap)
    sentence = _sentence(
        tracking, mode_days, gap_outcome, steps_forward if ppm >= 0 else steps_back, limit
    )
    return DriftMode(tracking, mode_days, gap_outcome, sentence)


def _login(service: Any, code: str) -> str:
    """Password, then the app's code: ``accepted`` or the reason for refusing."""
    first = service.login(_USER, _PASSWORD)
    if first.status != "second_factor":
        return str(first.reason or first.status)
    outcome = service.verify_login(_USER, first.login_id, "totp", code)
    return str(outcome.reason)


def _learnt(service: Any) -> int:
    credential = service.record(_USER).totp
    return 0 if credential is None else int(credential.drift)


def _chance(
    error: float, drift: int, steps_back: int, steps_forward: int, limit: int | None
) -> float:
    """The closed form for the window the verifier uses: steps ``drift - steps_back`` to ``drift +
    steps_forward`` around its own, cut to the drift limit."""
    from twofa_sim.labs.skew import acceptance

    low, high = drift - steps_back, drift + steps_forward
    if limit is not None:
        low, high = max(low, -limit), min(high, limit)
    if low > high:
        return 0.0
    # skew.acceptance takes a window around step 0: shift the error so the window starts there.
    return acceptance(error - low * PERIOD, period=PERIOD, steps_back=0, steps_forward=high - low)


def _gap_outcome(days: tuple[DayRecord, ...], gap: tuple[float, float] | None) -> GapOutcome | None:
    if gap is None:
        return None
    before = [login for day in days for login in day.logins if login.at_s < gap[0]]
    after = [login for day in days for login in day.logins if login.at_s >= gap[1]]
    if not after:  # pragma: no cover - run_drift refuses a gap that ends the run
        return None
    first = after[0]
    jump = first.error_s - (before[-1].error_s if before else 0.0)
    recovered = next((int(login.at_s // DAY) for login in after[1:] if login.accepted), None)
    if first.accepted:
        recovered = int(first.at_s // DAY)
    return GapOutcome(int(first.at_s // DAY), jump, first.outcome, recovered)


def _sentence(
    tracking: bool,
    days: tuple[DayRecord, ...],
    gap: GapOutcome | None,
    reach: int,
    limit: int | None,
) -> str:
    logins = [login for day in days for login in day.logins]
    accepted = sum(login.accepted for login in logins)
    label = "with drift tracking" if tracking else "without drift tracking"
    refused = next((login for login in logins if not login.accepted), None)
    if refused is None:
        text = f"{label}: all {len(logins)} logins accepted over {len(days)} days"
        if tracking and days:
            text += f" (the verifier learnt a drift of {days[-1].drift_steps:+d} steps)"
    else:
        day = int(refused.at_s // DAY)
        text = (
            f"{label}: the first login refused was on day {day}, with the phone "
            f"{refused.error_s:+.1f} s off ({refused.outcome})"
        )
        if gap is not None and day == gap.day:
            text += ", the first login after the idle gap"
        elif tracking and limit is not None and abs(refused.step_offset) > limit:
            text += f", past the drift limit of {_steps(limit)} ({limit * PERIOD} s)"
        elif not tracking:
            text += f", past the window's {_steps(reach)} ({reach * PERIOD} s)"
        else:
            index = logins.index(refused)
            previous = logins[index - 1] if index else None
            learnt = previous.drift_steps if previous else 0
            gained = refused.error_s - (previous.error_s if previous else 0.0)
            text += (
                f": its code was {refused.step_offset - learnt:+d} steps from the drift learnt "
                f"at the last login, beyond the window (drift is learnt in whole steps, and the "
                f"phone had gained {gained:+.1f} s since)"
            )
        text += f"; {accepted} of {len(logins)} logins accepted"
    if gap is None:
        return text + "."
    moved = f"{gap.jump_s:+.0f} s, {gap.jump_s / PERIOD:+.1f} steps,"
    if not tracking:
        return text + (
            f". After the idle gap the first login was {_reason(gap.outcome)}: without "
            "tracking the window never moves, so a gap changes nothing."
        )
    text += (
        f". After the idle gap the phone was {moved} further off than at the last login "
        f"before it, and the window reaches {_steps(reach)} past the drift the verifier learnt: "
        f"the first login was {_reason(gap.outcome)}"
    )
    if gap.outcome == "accepted":
        return text + ", and the window re-centred."
    if gap.recovered_day is None:
        return text + ", and so was every later one (the window re-centres only on a success)."
    return text + f"; a login passed again on day {gap.recovered_day}."


def _reason(outcome: str) -> str:
    if outcome == "accepted":
        return "accepted"
    if outcome == "wrong_code":
        return "refused (wrong_code: further off than the verifier looks)"
    return f"refused ({outcome})"


def _steps(count: int) -> str:
    return f"{count} step{'' if count == 1 else 's'}"


def _predict(ppm: float, steps_back: int, steps_forward: int, limit: int | None) -> Prediction:
    rate = ppm * 1e-6 * DAY
    reach = steps_forward if ppm >= 0 else steps_back
    edge, zero = reach * PERIOD, (reach + 1) * PERIOD
    limit_edge = None if limit is None else float(limit * PERIOD)
    limit_zero = None if limit is None else float((limit + 1) * PERIOD)

    def day_of(seconds: float | None) -> float | None:
        return None if seconds is None or rate == 0 else seconds / abs(rate)

    return Prediction(
        rate_s_per_day=rate,
        window_edge_s=float(edge),
        window_zero_s=float(zero),
        window_edge_day=day_of(edge),
        window_zero_day=day_of(zero),
        limit_edge_s=limit_edge,
        limit_zero_s=limit_zero,
        limit_edge_day=day_of(limit_edge),
        limit_zero_day=day_of(limit_zero),
    )
