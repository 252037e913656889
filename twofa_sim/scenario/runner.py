"""Running scenarios: a fresh world per scenario, every step recorded with its virtual time.

Everything random in a scenario (the world's IDs, secrets and codes, the target's randomness,
hypothesis's draws for ``for_all``) comes from one seed: the scenario's ``given.seed`` if it has
one, else a seed derived from the run's seed and the scenario id. The same seed gives the same
result, byte for byte (no wall-clock time is recorded).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from twofa_sim.core.clock import format_instant, parse_duration
from twofa_sim.core.secret import mask_codes_in_message, mask_phone
from twofa_sim.core.seeding import derive, stream
from twofa_sim.core.verdicts import REFERENCE_ONLY, REFERENCE_TAG, flow_features
from twofa_sim.errors import StepError, StepFailed, StepUnsupported, TwofaSimError
from twofa_sim.scenario.context import (
    DEFAULT_PASSWORD,
    Result,
    Run,
    UserState,
    expand,
    placeholders,
)
from twofa_sim.scenario.declared import PREFIX, declared_policy, policy_names
from twofa_sim.scenario.loader import (
    Scenario,
    StepDef,
    UserSpec,
    iter_steps,
    read_users,
    world_description,
)
from twofa_sim.scenario.overrides import PolicyOverrides, override_keys
from twofa_sim.scenario.steps import check_expect
from twofa_sim.scenario.target import TargetContext, TargetFactory, load_target

__all__ = [
    "PROVIDER_SKIPS",
    "ScenarioResult",
    "StepRecord",
    "provider_skip",
    "run_scenario",
    "scenario_seed",
    "with_provider",
]

PROVIDER_SKIPS: dict[str, dict[str, str]] = {
    "verify": {
        "authy": "needs Authy, which the reference does not use with provider verify",
        "messages-only": "specific to Twilio Messages (the service's own codes and TOTP secrets)",
        "drift": "Verify tracks no clock drift (it does not say which step a code matched)",
    },
}
"""Under a provider, the tags whose scenarios are skipped, and why."""


def provider_skip(scenario: Scenario, provider: str) -> str | None:
    """Why ``scenario`` does not run under ``provider`` (a run option), or None. A scenario that
    names its own ``given.provider`` always runs under it."""
    if "provider" in scenario.given:
        return None
    skips = PROVIDER_SKIPS.get(provider, {})
    return next((f"{tag}: {skips[tag]}" for tag in scenario.tags if tag in skips), None)


def with_provider(scenario: Scenario, provider: str) -> Scenario:
    """``scenario`` with ``given.provider`` set, unless it names one itself."""
    if "provider" in scenario.given:
        return scenario
    world = None if scenario.world is None else replace(scenario.world, provider=provider)
    return replace(scenario, given={**scenario.given, "provider": provider}, world=world)


@dataclass
class StepRecord:
    """What one step did: ``verdict`` is passed, failed, error or skipped."""

    line: int
    action: str
    verdict: str
    t: str
    detail: str = ""
    expected: str = ""
    actual: str = ""
    evidence: list[dict[str, Any]] = field(default_factory=list)
    proves: list[str] | None = None
    """The requirements the step proves as the scenario wrote them (``proves:``); None: the
    step's kind decides."""

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "line": self.line,
            "action": self.action,
            "verdict": self.verdict,
            "t": self.t,
            "detail": self.detail,
        }
        if self.expected or self.actual:
            data["expected"], data["actual"] = self.expected, self.actual
        if self.evidence:
            data["evidence"] = self.evidence
        if self.proves is not None:
            data["proves"] = self.proves
        return data


@dataclass
class ScenarioResult:
    """One scenario's verdict (passed, failed, error) and its steps."""

    scenario: Scenario
    verdict: str
    seed: int | str
    steps: list[StepRecord]
    detail: str = ""
    context: list[str] = field(default_factory=list)
    """The world's last events before a failure: provider exchanges, audit entries."""
    examples: int | None = None
    counterexample: dict[str, Any] | None = None
    drift: list[dict[str, Any]] = field(default_factory=list)
    """TOTP codes typed from drifting phones (the report draws them)."""
    secrets: set[str] = field(default_factory=set, repr=False)
    """Every code and secret the run handled (for leak checks; never written anywhere)."""
    root: Path | None = None
    """The scenario root: ``file`` is recorded relative to it (else as it was named)."""

    @property
    def failed_step(self) -> StepRecord | None:
        return next((s for s in self.steps if s.verdict in ("failed", "error")), None)

    @property
    def file(self) -> str:
        """The scenario's file as results record it: relative to :attr:`root` (``/``
        separated, ``..`` when outside it), so no path of the machine is written."""
        if self.root is None:
            return self.scenario.file
        absolute = Path(os.path.abspath(self.scenario.file)).resolve()
        return Path(os.path.relpath(absolute, self.root)).as_posix()

    def as_dict(self) -> dict[str, Any]:
        s = self.scenario
        data: dict[str, Any] = {
            "id": s.id,
            "title": s.title,
            "file": self.file,
            "line": s.line,
            "covers": list(s.covers),
            "tags": list(s.tags),
            "verdict": self.verdict,
            "seed": self.seed,
            "detail": self.detail,
            "steps": [step.as_dict() for step in self.steps],
        }
        if self.context:
            data["context"] = self.context
        if self.examples is not None:
            data["examples"] = self.examples
        if self.counterexample is not None:
            data["counterexample"] = self.counterexample
        if self.drift:
            data["drift"] = self.drift
        return data


def scenario_seed(run_seed: int, scenario: Scenario) -> int | str:
    """The scenario's own seed: ``given.seed``, else derived from the run's seed and its id."""
    given = scenario.given.get("seed")
    if isinstance(given, int | str) and not isinstance(given, bool):
        return given
    return derive(run_seed, scenario.id)


def run_scenario(
    scenario: Scenario,
    *,
    target: str | TargetFactory = "reference",
    seed: int = 0,
) -> ScenarioResult:
    """Run one scenario against a target; ``for_all`` scenarios run under hypothesis."""
    factory = load_target(target) if isinstance(target, str) else target
    own_seed = scenario_seed(seed, scenario)
    declined = _declined(scenario, factory, own_seed)
    if declined is not None:
        return declined
    if scenario.for_all:
        return _run_property(scenario, factory, own_seed)
    return _run_once(scenario, factory, own_seed, {})


_COST_ONLY_POLICY = frozenset({"code_hash_iterations"})
"""Policy keys that change only what a check costs, never what it answers."""


def _kept_anyway(scenario: Scenario, factory: TargetFactory) -> set[str]:
    """The overrides the target keeps without a setting: the value it declares it runs by
    (``default_policy()``) is the value the scenario asks for (a fixed window of one step each
    way is the window ``totp: {steps_back: 1, steps_forward: 1}`` asks for)."""
    if not scenario.policy:
        return set()
    declared = declared_policy(factory, None).values
    return {
        key
        for key, value in scenario.policy.items
        if key in declared
        and isinstance(value, bool) == isinstance(declared[key], bool)
        and declared[key] == value
    }


def _declined(scenario: Scenario, factory: TargetFactory, seed: int | str) -> ScenarioResult | None:
    """A scenario the target cannot be asked: ``not_applicable`` (a policy setting it does not
    honour) or ``unsupported`` (a flow feature it does not have). Nothing runs."""
    name = getattr(factory, "name", getattr(factory, "__name__", "target"))
    verdict = detail = ""
    provider = scenario.given.get("provider")
    if provider is not None:
        providers = getattr(factory, "providers", frozenset({"messages"}))
        if provider not in providers:
            verdict = "not_applicable"
            detail = f"target {name} does not send codes through provider {provider}"
    honoured = getattr(factory, "policy_settings", None)
    if scenario.policy is not None:
        keys, policy = list(scenario.policy.keys()), scenario.policy.to_dict()
    else:  # for_all values not drawn yet: the keys as written
        policy = scenario.given.get("policy", {})
        keys = override_keys(policy)
    profiles: frozenset[str] = getattr(factory, "profiles", frozenset())
    if not verdict and REFERENCE_TAG in scenario.tags and REFERENCE_TAG not in profiles:
        verdict, detail = "not_applicable", REFERENCE_ONLY
    if not verdict and honoured is not None and isinstance(policy, Mapping):
        kept = _kept_anyway(scenario, factory)
        missing = [
            key
            for key in keys
            if key not in honoured
            and key.split(".")[0] not in honoured
            and key not in _COST_ONLY_POLICY
            and key not in kept
        ]
        unhonoured = getattr(factory, "unhonoured_policy", None)
        if callable(unhonoured):  # values it has a setting for but cannot take
            missing += [key for key in unhonoured(policy) if key not in missing]
        if missing:
            verdict = "not_applicable"
            detail = f"target {name} has no setting for policy {', '.join(missing)}"
    if not verdict:
        features = getattr(factory, "features", None)
        if features is not None:
            lacking = {
                feature: lines
                for feature, lines in flow_features(scenario.given, scenario.steps).items()
                if feature not in features
            }
            if lacking:
                verdict = "unsupported"
                detail = "; ".join(
                    f"target {name} does not provide {feature} "
                    f"(needed {'by the given phone' if lines[0] == 0 else 'at line'}"
                    + ("" if lines[0] == 0 else f" {', '.join(map(str, sorted(set(lines))))}")
                    + ")"
                    for feature, lines in sorted(lacking.items())
                )
    # after the features: a target without Authy lacks Authy before it lacks a push limit
    if not verdict:
        missing = _undeclared(scenario, factory)
        if missing:
            verdict = "not_applicable"
            detail = (
                f"target {name} declares no {', '.join(missing)} and no cited standard fixes "
                "one: the scenario takes its numbers from the target's policy"
            )
    if not verdict:
        return None
    steps = [
        StepRecord(step.line, step.name, "skipped", "", f"not run: {verdict}", proves=_proves(step))
        for step in scenario.steps
    ]
    return ScenarioResult(scenario, verdict, seed, steps, detail)


def _undeclared(scenario: Scenario, factory: TargetFactory) -> list[str]:
    """The ``{policy.NAME}`` numbers the scenario uses that the target gives no value for."""
    used: list[str] = []
    for step in iter_steps(scenario.steps):
        used += policy_names(name for name, _ in placeholders(dict(step.args)))
    used += policy_names(name for name, _ in placeholders(dict(scenario.for_all)))
    if not used:
        return []
    return declared_policy(factory, scenario.policy).missing(used)


# --- one example ------------------------------------------------------------------------------


def _run_once(
    scenario: Scenario, factory: TargetFactory, seed: int | str, values: Mapping[str, Any]
) -> ScenarioResult:
    def lookup(name: str, index: int | None) -> Any:
        value = values[name]
        return value if index is None else value[index]

    try:
        given = expand(dict(scenario.given), lookup) if values else dict(scenario.given)
    except (KeyError, IndexError) as exc:  # pragma: no cover - the loader checks names
        return _error(scenario, seed, f"given uses an undefined value: {exc}")
    with ExitStack() as stack:
        try:
            typed = None if values else scenario
            overrides = scenario.policy
            if overrides is None:  # for_all values in the policy: read this example's
                overrides = PolicyOverrides.parse(given.get("policy", {}))
            run = stack.enter_context(_world_and_target(given, factory, seed, overrides, typed))
        except TwofaSimError as exc:  # bad input, or a target that fails while set up
            return _error(scenario, seed, f"given: {exc}")
        run.captures.update(values)
        run.declared = declared_policy(factory, overrides)
        records: list[StepRecord] = []
        verdict, detail = _steps(run, scenario.steps, records)
        if verdict == "passed":
            lacking = [r for r in _top(records) if r.verdict == "unsupported"]
            if lacking:
                verdict = "unsupported"
                detail = "; ".join(f"line {r.line}: {r.detail}" for r in lacking)
        remaining = scenario.steps[len(_top(records)) :]
        for step in remaining:
            records.append(
                StepRecord(step.line, step.name, "skipped", "", "not run", proves=_proves(step))
            )
        context = _context(run) if verdict != "passed" else []
        return ScenarioResult(
            scenario,
            verdict,
            seed,
            [_scrub_record(r, run.secrets_seen) for r in records],
            _scrub(detail, run.secrets_seen),
            [_scrub(line, run.secrets_seen) for line in context],
            drift=list(run.drift),
            secrets=set(run.secrets_seen),
        )
    raise AssertionError("unreachable")  # pragma: no cover


def _proves(step: StepDef) -> list[str] | None:
    return None if step.proves is None else list(step.proves)


def _top(records: list[StepRecord]) -> list[StepRecord]:
    return [r for r in records if not r.action.startswith("  ")]


@contextmanager
def _world_and_target(
    given: Mapping[str, Any],
    factory: TargetFactory,
    seed: int | str,
    overrides: PolicyOverrides,
    typed: Scenario | None = None,
) -> Iterator[Run]:
    """The world and target of one run: from the scenario's world, users and store as the loader
    read them (``typed``), else (a for_all example) from ``given`` itself; the target is given
    ``overrides`` (durations in seconds)."""
    from twofa_sim.world import World

    freeze = bool(getattr(factory, "reads_system_time", False))
    if typed is not None and typed.world is not None:
        spec = typed.world
        if "seed" not in given:
            spec = replace(spec, seed=seed)
        if freeze:
            spec = replace(spec, freeze_system_time=True)
        world = World(spec)
    else:
        description = world_description(given)
        description.setdefault("seed", seed)
        if freeze:
            description["freeze_system_time"] = True
        world = World(description)
    store = typed.store if typed is not None else str(given.get("store", "memory"))
    workdir: Path | None = None
    with ExitStack() as stack:
        if store == "sqlite":
            workdir = Path(tempfile.mkdtemp(prefix="twofa-sim-"))
            stack.callback(shutil.rmtree, workdir, ignore_errors=True)
        stack.enter_context(world)
        context = TargetContext.for_world(
            world,
            policy=overrides.to_dict(),
            store=store,
            workdir=workdir,
        )
        target = factory(context)
        closer = getattr(target, "close", None)
        if callable(closer):
            stack.callback(closer)
        users = _users(
            typed.users if typed is not None and typed.users is not None else read_users(given),
            world,
        )
        run = Run(world=world, target=target, users=users, issuer=context.issuer)
        for user in users.values():
            if user.registered:
                target.register(user.name, user.password)
        yield run


def _users(specs: Sequence[UserSpec], world: Any) -> dict[str, UserState]:
    only_phone = next(iter(world.phones)) if len(world.phones) == 1 else None
    return {
        spec.name: UserState(
            spec.name,
            DEFAULT_PASSWORD if spec.password is None else spec.password,
            spec.phone or only_phone,
            registered=spec.registered,
        )
        for spec in specs
    }


def _steps(
    run: Run, steps: Sequence[StepDef], records: list[StepRecord], indent: str = ""
) -> tuple[str, str]:
    """Run steps in order until an action fails or errs; (verdict, detail). A failed
    expectation is soft (recorded, and the steps after it still run: they do not depend on it);
    a step the target cannot support is recorded as ``unsupported`` and the scenario goes on."""
    first: tuple[str, str] | None = None
    for step in steps:
        verdict, detail = _step(run, step, records, indent)
        if verdict in ("passed", "unsupported"):
            continue
        if verdict == "failed" and step.spec.kind == "expect" and not indent:
            first = first or (verdict, detail)
            continue
        return first or (verdict, detail)
    return first or ("passed", "")


def _step(run: Run, step: StepDef, records: list[StepRecord], indent: str) -> tuple[str, str]:
    t = format_instant(run.world.now())
    record = StepRecord(step.line, indent + step.name, "passed", t, proves=_proves(step))
    records.append(record)
    run.evidence = record.evidence
    try:
        if step.name == "repeat":
            return _repeat(run, step, record, records, indent)
        args = expand(dict(step.args), run.value)
        result = step.spec.run(run, args)
        _record_drift(run, step.name, args, result)
        if step.spec.action and result is not None:
            run.last = result
            expected = args.get("expect")
            if expected is None:
                if not result.ok:
                    raise StepFailed(
                        f"{step.name} was refused: {result.describe()}",
                        expected="accepted (write expect: to allow otherwise)",
                        actual=result.describe(),
                    )
            else:
                unchecked = check_expect(
                    expected, result, reasons=getattr(run.target, "reports_reasons", True)
                )
                if unchecked:
                    run.show("reason_not_checked", note=unchecked)
            record.detail = result.describe()
        else:
            record.detail = "ok"
    except StepUnsupported as exc:
        record.verdict, record.detail = "unsupported", str(exc)
        return "unsupported", f"{step.name}: {exc}"
    except StepFailed as exc:
        record.verdict, record.detail = "failed", exc.detail
        record.expected, record.actual = exc.expected, exc.actual
        return "failed", f"{step.name}: {exc.detail}"
    except (StepError, TwofaSimError, KeyError, IndexError, ValueError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        if isinstance(exc, KeyError | IndexError):
            message = f"no such value: {message}"
        record.verdict, record.detail = "error", str(message)
        return "error", f"{step.name}: {message}"
    except Exception as exc:
        record.verdict = "error"
        record.detail = f"{type(exc).__name__}: {exc}"
        return "error", f"{step.name}: the target raised {record.detail}"
    return "passed", ""


_TOTP_STEPS = frozenset({"login_with", "submit_code", "confirm_app"})


def _record_drift(run: Run, name: str, args: Mapping[str, Any], result: Result | None) -> None:
    """For the report's drift chart: a TOTP code typed while some phone's clock drifts."""
    if result is None or name not in _TOTP_STEPS:
        return
    if name != "confirm_app" and args.get("factor") != "totp":
        return
    for phone in run.world.phones.values():
        if getattr(phone.clock, "drift_ppm", 0):
            run.drift.append(
                {
                    "t": format_instant(run.world.now()),
                    "phone": mask_phone(phone.number),
                    "error_s": round(float(phone.clock.error()), 3),
                    "accepted": result.ok,
                }
            )


def _repeat(
    run: Run, step: StepDef, record: StepRecord, records: list[StepRecord], indent: str
) -> tuple[str, str]:
    times = int(expand(step.args["times"], run.value))
    outer = run.captures.get("i")
    try:
        for round_ in range(1, times + 1):
            run.captures["i"] = round_
            inner: list[StepRecord] = []
            verdict, detail = _steps(run, step.substeps, inner, indent + "  ")
            if verdict != "passed":
                record.verdict = verdict
                failed = next(r for r in inner if r.verdict == verdict)
                record.detail = f"round {round_} of {times}: {failed.detail}"
                record.expected, record.actual = failed.expected, failed.actual
                records.extend(inner)
                return verdict, f"repeat, round {round_}: {detail}"
        record.detail = f"{times} rounds"
        return "passed", ""
    finally:
        if outer is None:
            run.captures.pop("i", None)
        else:
            run.captures["i"] = outer


def _context(run: Run, limit: int = 6) -> list[str]:
    """The world's last events: what the providers received, what the audit log says."""
    lines: list[str] = []
    exchanges = sorted(
        (e for service in run.world.services for e in service.exchanges), key=lambda e: e.at
    )
    for exchange in exchanges[-limit:]:
        lines.append(
            f"{format_instant(exchange.at)} {exchange.provider} {exchange.endpoint} -> "
            f"{exchange.status}"
        )
    if "audit" in getattr(run.target, "features", ()):
        try:
            events = list(run.target.audit_events())[-limit:]
        except Exception:
            events = []
        for event in events:
            reason = event.details.get("reason")
            lines.append(
                f"{format_instant(event.at)} audit {event.event} {event.outcome}"
                + (f" ({reason})" if reason else "")
                + (f" user={event.user}" if event.user else "")
            )
    return lines


def _error(scenario: Scenario, seed: int | str, detail: str) -> ScenarioResult:
    return ScenarioResult(scenario, "error", seed, [], mask_codes_in_message(detail))


def _scrub(text: str, secrets: Iterable[str]) -> str:
    """Every code and secret the run handled, masked where it stands as a whole token (texts
    from outside, SMS bodies, are masked at the source with :func:`mask_codes`)."""
    import re

    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 2 and secret in text:
            token = re.compile(rf"(?<![0-9A-Za-z]){re.escape(secret)}(?![0-9A-Za-z])")
            text = token.sub("••••••", text)
    return text


def _scrub_record(record: StepRecord, secrets: set[str]) -> StepRecord:
    record.detail = _scrub(record.detail, secrets)
    record.expected = _scrub(record.expected, secrets)
    record.actual = _scrub(record.actual, secrets)
    return record


# --- properties -------------------------------------------------------------------------------


def _strategies(for_all: Mapping[str, Mapping[str, Any]]) -> Any:
    from hypothesis import strategies as st

    drawn: dict[str, Any] = {}
    for name, spec in for_all.items():
        if "between" in spec:
            low, high = (parse_duration(v) for v in spec["between"])
            drawn[name] = st.floats(low, high, allow_nan=False, allow_infinity=False)
        elif "integers" in spec:
            low_i, high_i = spec["integers"]
            drawn[name] = st.integers(int(low_i), int(high_i))
        else:
            drawn[name] = st.sampled_from(list(spec["choice"]))
    return st.fixed_dictionaries(drawn)


def _run_property(scenario: Scenario, factory: TargetFactory, seed: int | str) -> ScenarioResult:
    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis.errors import NoSuchExample

    tried = 0
    last: list[ScenarioResult] = []

    def fails(values: dict[str, Any]) -> bool:
        nonlocal tried
        tried += 1
        result = _run_once(scenario, factory, seed, values)
        last[:] = [result]
        return result.verdict in ("failed", "error")

    rng = stream(seed, "for_all")
    declared = declared_policy(factory, scenario.policy)

    def number(name: str, index: int | None) -> Any:
        found = declared.value(name[len(PREFIX) :])
        assert found is not None  # checked before anything runs (_undeclared)
        return found[0]

    try:
        with _draws_from_the_seed_only():
            minimal = find(
                _strategies(expand(dict(scenario.for_all), number)),
                fails,
                settings=settings(
                    max_examples=scenario.examples,
                    database=None,
                    deadline=None,
                    suppress_health_check=list(HealthCheck),
                    phases=[Phase.explicit, Phase.generate, Phase.shrink],
                ),
                random=rng,
            )
    except NoSuchExample:
        passed = last[0] if last else _run_once(scenario, factory, seed, {})
        passed.examples = tried
        return passed
    result = _run_once(scenario, factory, seed, minimal)
    result.examples = tried
    result.counterexample = {k: _plain(v) for k, v in minimal.items()}
    shown = ", ".join(f"{k}={_plain(v)!r}" for k, v in minimal.items())
    result.detail = (
        f"falsified after {tried} examples; smallest counter-example: {shown} (seed {seed}); "
        + result.detail
    )
    return result


@contextmanager
def _draws_from_the_seed_only() -> Iterator[None]:
    """Keep hypothesis from mixing the literals of loaded modules into a scenario's draws.

    Hypothesis (6.131 and later) draws, now and then, a constant found in the source of any
    "local" module imported so far (every module outside site-packages and the standard
    library: an editable twofa-sim, a user's target adapter). The values a scenario draws
    would then depend on which modules happen to be loaded and on every literal in them: the
    same seed would give another results.json after an unrelated edit, under ``--jobs``
    (whatever a worker ran before), or from a wheel instead of a checkout. There is no setting
    for it; for the draw, the pool of local constants is empty (hypothesis's own constants
    stay). If hypothesis changes these internals, draws go on as they were.
    """
    from hypothesis.internal.conjecture import providers

    found = getattr(providers, "_get_local_constants", None)
    cache = getattr(getattr(providers, "CONSTANTS_CACHE", None), "cache", None)
    make = getattr(providers, "Constants", None)
    if found is None or make is None or cache is None or not hasattr(cache, "clear"):
        yield
        return
    empty = make()
    setattr(providers, "_get_local_constants", lambda: empty)  # noqa: B010
    cache.clear()
    try:
        yield
    finally:
        setattr(providers, "_get_local_constants", found)  # noqa: B010
        cache.clear()


def _plain(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
