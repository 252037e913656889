"""The scenario runner's speed targets: the library, the runner's overhead, ``--jobs``, memory.

Six figures (the issues' targets), all against the reference target, memory store:

* **Library on one core** (absolute: at most 10 s). Wall time of
  ``run_all(load_paths(["scenarios"]), jobs=1)``: loading (YAML, schema, checks) and running every
  bundled scenario, ``for_all`` properties included. Best of two runs; the first also pays the
  imports the library needs (hypothesis). The figure is a :class:`Ratio` of that time to the
  10 s budget with target 1.0. Scenarios and steps per second (steps as results.json counts
  them: every step record, skipped and repeated ones included) and the per-file load time are
  printed beside it. Another person may be adding files to ``scenarios/`` while this runs: a file
  that does not load is left out and named, and the scenario count is printed, so figures from
  different days are comparable only at the same count.

* **Library per scenario** (at most 100 ms): the same best time divided by the number of
  scenarios, so that figures taken with different library sizes compare.

* **Runner overhead** (at most 1.3x). One representative scenario, written inline below
  (:data:`SCENARIO`: the steps QA writes most - SMS enrollment, QR generation, a scan with Google
  Authenticator, confirmation, a TOTP login, the same code replayed and refused, an audit
  expectation), run through :func:`run_scenario`, against a baseline that does the same work
  with no runner: the same world description (same seed, start, phone and app), a
  :class:`ReferenceTarget` built from the same :class:`TargetContext` (same seeded random stream,
  so the same secrets and codes; the same PBKDF2 iterations, :data:`SCENARIO_HASH_ITERATIONS`,
  since both sides go through ``ReferenceTarget``), and the same target calls and phone/app
  reads in the same order (the SMS code read from the phone, the QR PNG decoded by the app, codes
  computed by the app at the phone's clock). The baseline skips only what the runner adds: YAML
  fields and templating, user/phone resolution, step records, evidence (masked SMS, the PNG in
  base64, URI lint), expectation checks and secret scrubbing. The YAML is loaded once, outside
  the timed region. The two sides alternate, one run per sample, best of 30 each. A check before
  timing proves both sides handled the same codes and secret.

* **Parallel speed-up** (``jobs=2`` at least 1.6x faster than ``jobs=1``). 400 scenarios: the
  library's scenarios without ``for_all`` (the property ones run tens of examples under
  hypothesis and would take the total past two minutes), repeated in library order with unique
  ids (``dataclasses.replace(id=...)``; a scenario without ``given.seed`` thus gets its own seed,
  same work). Both sides call :func:`run_all` on the same list, so both pay for building
  results; ``jobs=2`` also pays for starting the pool and pickling scenarios and results both
  ways, which is what a user pays. One run each (``jobs=2`` first), timed with
  :func:`~twofa_sim.core.clock.real_monotonic`. On a two-core machine the figure is only as good as
  the second core is free: compare it with the load average. To read it on a busy machine, the
  CPU time of each side is printed, with the share of a core each got and an estimate of the
  speed-up on two idle cores (all the CPU time of the jobs=2 run split over the two cores, or
  the parent's alone if longer) - an aid, not the figure.

* **Peak memory** of that ``jobs=2`` run (under 400 MB each; MB are 10^6 bytes). ``ru_maxrss``
  (KiB on Linux) of ``RUSAGE_SELF`` (the parent) and ``RUSAGE_CHILDREN`` (the largest reaped
  child: the pool's workers are this process's only children). The parent's figure is its
  high-water mark since it started, so it includes the figures before (and other ``bench_*``
  modules under ``python -m benchmarks``): an upper bound; the value before the run is printed
  too. A worker's RSS includes the pages it shares with the parent it was forked from.

* **Loading a file at the size cap** (at most 1.5x): :func:`load_scenarios` on a generated
  file just under :data:`~twofa_sim.files.MAX_SCENARIO_BYTES` against ``yaml.load`` with
  libyaml's ``CSafeLoader`` on the same text, alternated, best of four; the per-byte time at
  100 KB and at the cap is printed beside it (1.0: linear).

The whole module takes 75-90 s on the development machine (two cores, shared, load 3-5); the
400-scenario runs are most of it.
"""

from __future__ import annotations

import gc
import itertools
import resource
import tempfile
from dataclasses import replace
from pathlib import Path

from benchmarks._harness import Ratio, interleaved
from twofa_sim.core.clock import real_monotonic
from twofa_sim.errors import ScenarioFileError
from twofa_sim.files import MAX_SCENARIO_BYTES
from twofa_sim.scenario.context import DEFAULT_PASSWORD
from twofa_sim.scenario.loader import Scenario, find_files, load_paths, load_scenarios
from twofa_sim.scenario.results import RunResult, run_all
from twofa_sim.scenario.runner import run_scenario
from twofa_sim.scenario.target import TargetContext
from twofa_sim.scenario.targets.reference import ReferenceTarget
from twofa_sim.world import SMS_FROM, World

LIBRARY = Path(__file__).resolve().parent.parent / "scenarios"
LIBRARY_BUDGET = 10.0  # seconds, the target for the bundled library on one core
LIBRARY_RUNS = 2
PER_SCENARIO_BUDGET = 0.1  # seconds per bundled scenario, loading included
LOADING_TARGET = 1.5  # loading a scenario file: at most this many times yaml.CSafeLoader's time
OVERHEAD_ROUNDS = 15  # x 2 samples per round = best of 30 single runs per side
PARALLEL_SCENARIOS = 400
MEMORY_BUDGET_KIB = 400e6 / 1024  # 400 MB; ru_maxrss is in KiB on Linux

USER = "alice"
PHONE = "+15551230001"
SCENARIO = """\
id: bench-representative
title: SMS enrollment, QR generated, scanned and confirmed, a TOTP login, the code replayed
given:
  start: 2026-03-01T09:00:00Z
  seed: 7
  users: [alice]
  phones:
    - {number: "+15551230001", apps: [google-authenticator]}
steps:
  - submit_phone: {user: alice}
  - advance: 5s
  - enter_code: {user: alice}
  - expect_account: {user: alice, two_factor: true, factors: [sms]}
  - generate_qr: {user: alice}
  - scan_qr: {user: alice, app: google-authenticator}
  - confirm_app: {user: alice}
  - advance: 30s
  - login: {user: alice, expect: second_factor}
  - read_code: {user: alice, from: totp, capture: code}
  - submit_code: {user: alice, factor: totp, code: "{code}"}
  - expect_logged_in: {user: alice, logged_in: true}
  - advance: 5s
  - login: {user: alice, expect: second_factor}
  - submit_code: {user: alice, factor: totp, code: "{code}", expect: replayed}
  - expect_logged_in: {user: alice, logged_in: false}
  - expect_audit: {event: replay.rejected, user: alice, count: 1}
"""
# What the runner builds the world from for SCENARIO (world_description(given) with the app
# alias resolved); the baseline writes it out itself. _check() proves both sides agree.
WORLD = {
    "start": "2026-03-01T09:00:00Z",
    "seed": 7,
    "phones": [{"number": PHONE, "apps": ["google-authenticator-2024"]}],
}
APP = "google-authenticator-2024"


# --- 1. the library on one core ---------------------------------------------------------------


def _load_library() -> tuple[list[Scenario], int]:
    """The library's scenarios and how many files they came from; files that do not load (the
    library may be half-edited) are left out and named."""
    files = find_files([LIBRARY])
    try:
        return load_paths([LIBRARY]), len(files)
    except ScenarioFileError as exc:
        bad = sorted({problem.file for problem in exc.problems})
        print(f"     library: {len(bad)} file(s) do not load, left out: {', '.join(bad)}")
        good = [f for f in files if str(f) not in bad]
        return load_paths(good), len(good)


def _library() -> tuple[list[Ratio], list[Scenario]]:
    best = best_load = float("inf")
    run: RunResult | None = None
    scenarios: list[Scenario] = []
    files = 0
    for _ in range(LIBRARY_RUNS):
        start = real_monotonic()
        scenarios, files = _load_library()
        loaded = real_monotonic()
        run = run_all(scenarios, jobs=1)
        took = real_monotonic() - start
        best_load = min(best_load, loaded - start)
        best = min(best, took)
    assert run is not None
    steps = sum(len(result.steps) for result in run.results)
    count = len(run.results)
    print(
        f"     library: {count} scenarios in {files} files, {steps} steps; "
        f"{run.count('passed')} passed, {run.count('failed')} failed, {run.count('error')} errors"
    )
    print(
        f"     library: {count / best:,.1f} scenarios per second, {steps / best:,.0f} steps per "
        f"second (loading included; best of {LIBRARY_RUNS}: {best:.2f} s)"
    )
    print(f"     library: loading {best_load * 1e3 / max(files, 1):.1f} ms per file")
    ratio = Ratio(
        f"library ({count} scenarios), one core, wall time",
        best,
        LIBRARY_BUDGET,
        1.0,
        "at_most",
        f"{LIBRARY_BUDGET:g} s budget",
    )
    # Per scenario, so that figures taken with different library sizes compare.
    per_scenario = Ratio(
        "library per scenario, one core, wall time",
        best / max(count, 1),
        PER_SCENARIO_BUDGET,
        1.0,
        "at_most",
        f"{PER_SCENARIO_BUDGET * 1e3:g} ms budget per scenario",
    )
    print(f"     library: {best / max(count, 1) * 1e3:.1f} ms per scenario")
    return [ratio, per_scenario], scenarios


# --- 2. the runner's overhead -----------------------------------------------------------------


def _direct() -> tuple[set[str], str]:
    """SCENARIO's work with no runner: the same world, target, calls and reads, in order."""
    with World(WORLD) as world:
        context = TargetContext(
            clock=world.clock,
            twilio_account_sid=world.twilio.account_sid,
            twilio_auth_token=world.twilio.auth_token,
            authy_api_key=world.authy.api_key,
            sms_from=SMS_FROM,
            random=world.rng.stream("target").randbytes,
            policy={},
            store="memory",
            workdir=None,
            world=world,
        )
        target = ReferenceTarget(context)
        try:
            target.register(USER, DEFAULT_PASSWORD)
            phone = world.phone(PHONE)
            app = phone.apps[APP]
            # submit_phone, advance, enter_code (the code the phone shows), expect_account
            challenge = target.start_phone_verification(USER, PHONE, "push")
            world.advance(5)
            sms_code = phone.latest_code()
            assert sms_code is not None
            assert target.confirm_phone(USER, challenge.request_id, sms_code).ok
            account = target.account(USER)
            assert account.two_factor
            assert sorted(account.factors) == ["sms"]
            # generate_qr, scan_qr (a real decode), confirm_app (the app's code now)
            enrollment = target.generate_qr(USER)
            assert app.scan(enrollment.png).accepted
            first = app.code(context.issuer, USER)
            assert target.confirm_totp(USER, first).ok
            # advance, login, read_code, submit_code, expect_logged_in
            world.advance(30)
            login = target.login(USER, DEFAULT_PASSWORD)
            assert login.status == "second_factor"
            assert login.login_id is not None
            code = app.code(context.issuer, USER)
            assert target.verify_login(USER, login.login_id, "totp", code).ok
            assert target.logged_in(USER, login.login_id)
            # advance, login, the same code again (replayed), expect_logged_in, expect_audit
            world.advance(5)
            again = target.login(USER, DEFAULT_PASSWORD)
            assert again.status == "second_factor"
            assert again.login_id is not None
            replay = target.verify_login(USER, again.login_id, "totp", code)
            assert not replay.ok
            assert replay.reason == "replayed"
            assert not target.logged_in(USER, again.login_id)
            events = [
                e for e in target.audit_events() if e.event == "replay.rejected" and e.user == USER
            ]
            assert len(events) == 1
        finally:
            target.close()
    return {sms_code, first, code}, enrollment.uri


def _check(scenario: Scenario) -> None:
    """Both sides do the same work: the runner passes, and handled the same codes and secret."""
    from twofa_sim.core.keyuri import parse_uri
    from twofa_sim.scenario.loader import world_description

    expected = world_description(scenario.given)
    assert expected == WORLD, f"the baseline's world differs from the scenario's: {expected}"
    result = run_scenario(scenario)
    assert result.verdict == "passed", result.detail
    codes, uri = _direct()
    secret = parse_uri(uri).secret
    missing = (codes | {secret}) - result.secrets
    assert not missing, "the runner and the baseline did not handle the same codes and secret"


def _overhead(scenario: Scenario) -> Ratio:
    _check(scenario)  # also warms both paths

    def ours() -> None:
        run_scenario(scenario)

    mine, bare = interleaved(ours, _direct, number=1, rounds=OVERHEAD_ROUNDS)
    steps = len(scenario.steps)
    print(
        f"     representative scenario: {1 / mine:,.1f} runs per second, "
        f"{steps / mine:,.0f} steps per second (runner); {(mine - bare) * 1e3 / steps:.2f} ms "
        f"of runner per step"
    )
    return Ratio(
        f"runner overhead ({steps} steps, one scenario)", mine, bare, 1.3, "at_most", "direct calls"
    )


def _representative() -> Scenario:
    with tempfile.TemporaryDirectory(prefix="twofa-sim-bench-") as scratch:
        path = Path(scratch) / "representative.scenario.yaml"
        path.write_text(SCENARIO, encoding="utf-8")
        best = float("inf")
        for _ in range(5):
            start = real_monotonic()
            (scenario,) = load_scenarios(path)
            best = min(best, real_monotonic() - start)
    print(f"     representative scenario: loading {best * 1e3:.1f} ms (one file, best of 5)")
    return scenario


# --- 5. loading a file at the size cap -------------------------------------------------------


def _big_scenario(size: int) -> str:
    """A valid scenario file of about ``size`` bytes: many small expectation steps."""
    head = (
        "id: big\ntitle: A file at the size cap\ngiven:\n  users: [alice]\n"
        "  phones: [{number: '+15551230001', apps: [google-authenticator]}]\nsteps:\n"
    )
    step = "  - expect_inbox: {user: alice, count: 0, last_contains: hello}\n"
    return head + step * ((size - len(head)) // len(step))


def _loading() -> Ratio:
    """Loading a scenario file of the largest size allowed against PyYAML (libyaml) reading the
    same text: the loader's checks, marks and schema validation cost a small constant on top,
    and the per-byte time at 100 KB and at the cap shows it stays linear."""
    import yaml

    with tempfile.TemporaryDirectory(prefix="twofa-sim-bench-") as scratch:
        times: dict[int, float] = {}
        ratio = 0.0
        for size in (100_000, MAX_SCENARIO_BYTES - 1024):
            path = Path(scratch) / f"big{size}.scenario.yaml"
            text = _big_scenario(size)
            path.write_text(text, encoding="utf-8")
            ours, theirs = interleaved(
                lambda p=path: load_scenarios(p),
                lambda t=text: yaml.load(t, yaml.CSafeLoader),
                number=1,
                rounds=2,
            )
            times[size] = ours
            ratio = ours / theirs
            print(
                f"     loading {size / 1e6:.2f} MB: {ours:.2f} s "
                f"({ours / size * 1e9:.0f} ns per byte), yaml.CSafeLoader {theirs:.2f} s"
            )
    small, large = sorted(times)
    per_byte = (times[large] / large) / (times[small] / small)
    print(f"     loading: per-byte time at the cap / at 100 KB = {per_byte:.2f} (1.0 is linear)")
    return Ratio(
        "loading a 1 MiB scenario file",
        ratio,
        1.0,
        LOADING_TARGET,
        "at_most",
        "yaml.CSafeLoader on the same text",
    )


# --- 3 and 4. jobs=2, and its memory ----------------------------------------------------------


def _cpu(who: int) -> float:
    """CPU seconds (user + system) of this process, or of its reaped children."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _parallel(library: list[Scenario]) -> list[Ratio]:
    light = [s for s in library if not s.for_all]
    scenarios = [
        replace(scenario, id=f"{scenario.id}.copy{n}")
        for n, scenario in zip(range(PARALLEL_SCENARIOS), itertools.cycle(light), strict=False)
    ]
    gc.collect()
    parent_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu_self, cpu_children = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
    start = real_monotonic()
    two = run_all(scenarios, jobs=2)
    jobs2 = real_monotonic() - start
    parent_cpu = _cpu(resource.RUSAGE_SELF) - cpu_self
    workers_cpu = _cpu(resource.RUSAGE_CHILDREN) - cpu_children
    parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    verdicts = {v: two.count(v) for v in ("passed", "failed", "error")}
    del two
    gc.collect()
    cpu_self = _cpu(resource.RUSAGE_SELF)
    start = real_monotonic()
    one = run_all(scenarios, jobs=1)
    jobs1 = real_monotonic() - start
    one_cpu = _cpu(resource.RUSAGE_SELF) - cpu_self
    assert {v: one.count(v) for v in verdicts} == verdicts, "jobs=1 and jobs=2 disagree"
    print(
        f"     {PARALLEL_SCENARIOS} scenarios ({len(light)} of the library's, no for_all, "
        f"repeated): jobs=1 {jobs1:.2f} s, jobs=2 {jobs2:.2f} s; "
        + ", ".join(f"{n} {v}" for v, n in verdicts.items())
    )
    # What two idle cores would give: the CPU time of the parent (pickling and unpickling) and
    # the workers split over two cores, or the parent's alone if longer. An estimate for reading
    # the figure on a busy machine, not the figure.
    both = parent_cpu + workers_cpu
    ideal = max(both / 2, parent_cpu)
    print(
        f"     CPU time: jobs=1 {one_cpu:.2f} s ({one_cpu / jobs1:.0%} of a core); jobs=2 parent "
        f"{parent_cpu:.2f} s + workers {workers_cpu:.2f} s ({both / jobs2:.0%} of a core), "
        f"{both / one_cpu - 1:+.0%} work; on two idle cores about {one_cpu / ideal:.1f}x "
        "(estimate)"
    )
    print(
        f"     peak RSS: parent {parent * 1024 / 1e6:.0f} MB ({parent_before * 1024 / 1e6:.0f} MB "
        f"before the jobs=2 run), largest worker {workers * 1024 / 1e6:.0f} MB"
    )
    return [
        Ratio(
            f"jobs=2 vs jobs=1, {PARALLEL_SCENARIOS} scenarios",
            jobs2,
            jobs1,
            1.6,
            "speedup",
            "jobs=1",
        ),
        Ratio(
            "  peak RSS, parent (jobs=2)",
            parent,
            MEMORY_BUDGET_KIB,
            1.0,
            "at_most",
            "budget",
            unit="KiB",
        ),
        Ratio(
            "  peak RSS, largest worker (jobs=2)",
            workers,
            MEMORY_BUDGET_KIB,
            1.0,
            "at_most",
            "budget",
            unit="KiB",
        ),
    ]


def _load_average() -> str:
    """The load average (1, 5, 15 min): these figures depend on it."""
    try:
        with open("/proc/loadavg", encoding="ascii") as handle:
            return " ".join(handle.read().split()[:3])
    except OSError:
        return "unknown"


def run() -> list[Ratio]:
    print(f"     load average at start: {_load_average()}")
    began = real_monotonic()
    overhead = _overhead(_representative())
    library, scenarios = _library()
    figures = [overhead, *library, *_parallel(scenarios), _loading()]
    print(
        f"     load average at end: {_load_average()}; "
        f"bench_scenarios took {real_monotonic() - began:.0f} s"
    )
    return figures
