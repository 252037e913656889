"""Clock steps: move the virtual clock, set it, change how wrong a phone's clock is."""

from __future__ import annotations

from typing import Any, cast

from twofa_sim.core.clock import DeviceClock, parse_duration, parse_instant
from twofa_sim.errors import StepError
from twofa_sim.scenario.context import Run
from twofa_sim.scenario.steps.fields import DURATION, INSTANT, OFFSET, PHONE
from twofa_sim.scenario.steps.spec import StepSpec, step

__all__ = ["STEPS"]


@step(
    "advance",
    "clock",
    "Move the virtual clock (and every phone's) forward.",
    "- advance: 30s",
    fields={"by": DURATION},
    required=("by",),
    shorthand="by",
)
def advance(run: Run, args: dict[str, Any]) -> None:
    by = parse_duration(args["by"])
    if by < 0:
        raise StepError("advance moves forward; use set_time to go back")
    run.world.advance(by)


@step(
    "set_time",
    "clock",
    "Set the virtual clock to an instant (ISO 8601 or Unix seconds).",
    "- set_time: 2026-03-01T09:00:00Z",
    fields={"to": INSTANT},
    required=("to",),
    shorthand="to",
)
def set_time(run: Run, args: dict[str, Any]) -> None:
    run.world.clock.set(parse_instant(args["to"]))


@step(
    "set_device_clock",
    "clock",
    "Change how wrong a phone's clock is from now on: its offset and/or drift.",
    "- set_device_clock: {phone: '+12015550110', offset: 40s, drift_ppm: 20}",
    fields={"phone": PHONE, "offset": OFFSET, "drift_ppm": {"type": "number"}},
)
def set_device_clock(run: Run, args: dict[str, Any]) -> None:
    phone = run.phone(args)
    clock = cast(DeviceClock, phone.clock)
    now = run.world.now()
    clock.offset = parse_duration(args["offset"]) if "offset" in args else clock.error()
    clock.reference = now
    if "drift_ppm" in args:
        clock.drift_ppm = float(args["drift_ppm"])


STEPS: tuple[StepSpec, ...] = (advance, set_time, set_device_clock)
