"""Provider steps: make Twilio or Authy fail and recover, change how SMS are delivered."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from twofa_sim.core.clock import parse_duration
from twofa_sim.scenario.context import Run
from twofa_sim.scenario.steps.fields import DURATION, PROVIDER
from twofa_sim.scenario.steps.spec import StepSpec, step

__all__ = ["STEPS"]


@step(
    "provider_fault",
    "provider",
    "Make a provider fail: http_500, http_503, rate_limit (429), timeout (the work is done, "
    "the answer lost), connection_error, or latency; for a while, a number of times, or until "
    "provider_recover.",
    "- provider_fault: {provider: twilio, kind: http_500, times: 1}",
    fields={
        "provider": PROVIDER,
        "kind": {
            "enum": ["http_500", "http_503", "rate_limit", "timeout", "connection_error", "latency"]
        },
        "times": {"type": "integer", "minimum": 1},
        "for": DURATION,
        "endpoint": {"type": "string"},
        "probability": {"type": "number", "minimum": 0, "maximum": 1},
        "seconds": {"type": "number", "exclusiveMinimum": 0},
    },
    required=("provider", "kind"),
)
def provider_fault(run: Run, args: dict[str, Any]) -> None:
    service = run.world.twilio if args["provider"] == "twilio" else run.world.authy
    until = run.world.now() + parse_duration(args["for"]) if "for" in args else None
    service.faults.add(
        args["kind"],
        endpoint=args.get("endpoint"),
        until=until,
        probability=float(args.get("probability", 1.0)),
        times=args.get("times"),
        seconds=float(args.get("seconds", 0.0)),
    )


@step(
    "provider_recover",
    "provider",
    "Clear every fault of one provider (or of both).",
    "- provider_recover: twilio",
    fields={"provider": PROVIDER},
    shorthand="provider",
)
def provider_recover(run: Run, args: dict[str, Any]) -> None:
    for service in run.world.services:
        if args.get("provider") in (None, service.name):
            service.faults.clear()


@step(
    "sms_delivery",
    "provider",
    "Change how the phone network delivers SMS from now on: delay, jitter, loss, duplicates.",
    "- sms_delivery: {delay: 11m}",
    fields={
        "delay": DURATION,
        "jitter": DURATION,
        "loss": {"type": "number", "minimum": 0, "maximum": 1},
        "duplicate": {"type": "number", "minimum": 0, "maximum": 1},
    },
)
def sms_delivery(run: Run, args: dict[str, Any]) -> None:
    network = run.world.network
    changes: dict[str, float] = {}
    for name in ("delay", "jitter"):
        if name in args:
            changes[name] = parse_duration(args[name])
    for name in ("loss", "duplicate"):
        if name in args:
            changes[name] = float(args[name])
    network.delivery = replace(network.delivery, **changes)


STEPS: tuple[StepSpec, ...] = (provider_fault, provider_recover, sms_delivery)
