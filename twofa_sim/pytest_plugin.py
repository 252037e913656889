"""The twofa-sim pytest plugin (entry point ``pytest11``): scenario files as tests, and fixtures.

``pytest scenarios/`` collects every ``*.scenario.yaml``: one test per scenario, named by its
id; tags become marks (``-m sms``); ``-k``, ``-n auto`` (xdist) and ``--junit-xml`` work (the
requirement IDs and the seed are junit properties). A broken file fails collection with
``FILE:LINE:COLUMN: message`` lines; a failing scenario shows the failing step with its file and
line, expected against actual, and the world's last events, not a Python traceback.

Options: ``--twofa-target NAME|module:Class`` (default ``reference``), ``--twofa-seed N``,
``--twofa-provider messages|verify`` (what the reference uses; see ``twofa-sim run --provider``).

Fixtures for Python tests, each a fresh simulated world per test:

* ``twofa_world``: a mounted :class:`~twofa_sim.world.World` built from the
  ``twofa_world_description`` fixture (override it to change the world; by default the
  default phone, ``+12015550110``, which receives SMS and runs Google Authenticator, and an
  Authy user's phone, ``+12015550120``, with the Authy app);
* ``virtual_clock``: the world's :class:`~twofa_sim.core.clock.VirtualClock`;
* ``sms_inbox``: the default phone (``.inbox()``, ``.latest_code()``: an SMS arrives a few
  virtual seconds after it is sent, so advance the clock first);
* ``authy``: the fake Authy service (pushes, tokens, its state);
* ``reference_service``: a :class:`~twofa_sim.reference.ReferenceService` wired to the world
  (its checks answer an ``Outcome``: ``.ok``, ``.reason``);
* ``authenticator_app``: the default phone's authenticator app.

This module imports only pytest at load time; twofa-sim is imported when something is used.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from twofa_sim.errors import ScenarioFailed

if TYPE_CHECKING:
    from twofa_sim.scenario.loader import Scenario
    from twofa_sim.scenario.runner import ScenarioResult

DEFAULT_PHONE = "+12015550110"
"""The default phone: receives SMS (no Authy account) and runs Google Authenticator."""
AUTHY_PHONE = "+12015550120"
"""An Authy user's phone, with the Authy app: verification to it goes through Authy."""
_SUFFIX = ".scenario.yaml"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("twofa-sim", "twofa-sim scenarios")
    group.addoption(
        "--twofa-target",
        default="reference",
        help="the system scenarios run against: reference, pyotp-naive, module:Class, or a "
        "service's HTTP contract URL (http://127.0.0.1:PORT/BASE)",
    )
    group.addoption("--twofa-seed", type=int, default=0, help="the run's seed (default 0)")
    group.addoption(
        "--twofa-provider",
        choices=("messages", "verify"),
        default="messages",
        help="what the reference uses: messages (Twilio Messages + Authy) or verify; scenarios "
        "tagged authy, messages-only or drift are skipped under verify, with the reason",
    )


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.name.endswith(_SUFFIX):
        collector: pytest.Collector = ScenarioFile.from_parent(parent, path=file_path)
        return collector
    return None


class ScenarioFile(pytest.File):
    """A scenario file: one item per scenario."""

    def collect(self) -> Iterator[pytest.Item]:
        from twofa_sim.errors import ScenarioFileError
        from twofa_sim.scenario.loader import load_scenarios

        try:
            scenarios = load_scenarios(self.path)
        except ScenarioFileError as exc:
            raise self.CollectError(str(exc)) from None
        for scenario in scenarios:
            item = ScenarioItem.from_parent(self, name=scenario.id, scenario=scenario)
            for tag in scenario.tags:
                self.config.addinivalue_line("markers", f"{tag}: scenario tag")
                item.add_marker(tag)
            yield item


class ScenarioItem(pytest.Item):
    """One scenario, run against the target in a fresh world."""

    def __init__(self, *, scenario: Scenario, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario

    def runtest(self) -> None:
        from twofa_sim.scenario.runner import provider_skip, run_scenario, with_provider

        provider = self.config.getoption("twofa_provider")
        why = provider_skip(self.scenario, provider)
        if why is not None:
            pytest.skip(f"under --twofa-provider {provider}: {why}")
        result = run_scenario(
            with_provider(self.scenario, provider),
            target=self.config.getoption("twofa_target"),
            seed=self.config.getoption("twofa_seed"),
        )
        self.user_properties.append(("covers", " ".join(self.scenario.covers)))
        self.user_properties.append(("seed", str(result.seed)))
        self.user_properties.append(("target", self.config.getoption("twofa_target")))
        if result.verdict != "passed":
            raise ScenarioFailed(result)

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str:
        if not isinstance(excinfo.value, ScenarioFailed):
            return str(super().repr_failure(excinfo, style=style))
        return failure_text(
            excinfo.value.result,
            self.config.getoption("twofa_seed"),
            self.config.getoption("twofa_target"),
        )

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.scenario.line - 1, f"scenario {self.scenario.id}"


def failure_text(result: ScenarioResult, run_seed: int, target: str = "reference") -> str:
    """A failed scenario as a QA engineer reads it: where, expected, actual, what happened, and
    the command that replays it (against the same target)."""
    scenario = result.scenario
    lines = [f"scenario {scenario.id}: {scenario.title}  [{result.verdict}]"]
    step = result.failed_step
    if step is not None:
        lines.append(f"{scenario.file}:{step.line}: {step.action.strip()}: {step.detail}")
        if step.expected or step.actual:
            lines.append(f"    expected: {step.expected}")
            lines.append(f"    actual:   {step.actual}")
        lines.append(f"    at virtual time {step.t}")
    else:
        lines.append(f"{scenario.file}:{scenario.line}: {result.detail}")
    if result.counterexample is not None:
        lines.append(f"smallest counter-example: {result.counterexample}")
    if result.context:
        lines.append("the world's last events:")
        lines.extend(f"    {line}" for line in result.context)
    replay = f"twofa-sim run {scenario.file} -k {scenario.id} --seed {run_seed}"
    if target != "reference":
        replay += f" --target {shlex.quote(target)}"
    if scenario.given.get("provider", "messages") != "messages":  # run under --twofa-provider
        replay += f" --provider {scenario.given['provider']}"
    lines.append(f"seed {result.seed}; replay: {replay}")
    return "\n".join(lines)


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def twofa_world_description() -> dict[str, Any]:
    """The world ``twofa_world`` builds (override this fixture to change it)."""
    return {
        "start": "2026-01-01T09:00:00Z",
        "phones": [
            {"number": DEFAULT_PHONE, "apps": ["google-authenticator-2024"]},
            {"number": AUTHY_PHONE, "authy": True},
        ],
    }


@pytest.fixture
def twofa_world(twofa_world_description: dict[str, Any]) -> Iterator[Any]:
    """A simulated world, mounted: the fake providers answer ``requests`` for this test."""
    from twofa_sim.world import World

    with World(twofa_world_description) as world:
        yield world


@pytest.fixture
def virtual_clock(twofa_world: Any) -> Any:
    """The world's virtual clock: ``advance("30s")``, ``now()``."""
    return twofa_world.clock


@pytest.fixture
def sms_inbox(twofa_world: Any) -> Any:
    """The default phone: ``.inbox()`` lists its SMS, ``.latest_code()`` reads the newest code."""
    return twofa_world.phone(next(iter(twofa_world.phones)))


@pytest.fixture
def authy(twofa_world: Any) -> Any:
    """The fake Authy service (``.backend`` holds users, pushes and tokens)."""
    return twofa_world.authy


@pytest.fixture
def reference_service(twofa_world: Any) -> Any:
    """The reference 2FA service, wired to the world's clock, fakes and seed."""
    return twofa_world.reference_service()


@pytest.fixture
def authenticator_app(twofa_world: Any) -> Any:
    """The default phone's authenticator app: ``.scan(png)``, ``.code(issuer, account)``."""
    phone = twofa_world.phone(next(iter(twofa_world.phones)))
    return phone.app()
