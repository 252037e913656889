"""The pytest plugin: scenario files as tests, failures QA can read, marks, -k, junit, fixtures."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from textwrap import dedent

import pytest
import zxingcpp  # noqa: F401

# pytester's in-process runs restore sys.modules afterwards, so a module first imported inside
# one is imported again by the next; zxing-cpp's native module does not survive that. Importing
# what scenarios use here keeps those modules loaded once for the whole test process.
import twofa_sim.scenario.runner  # noqa: F401

GOOD = """
id: sms-on
title: Two-factor by SMS
covers: [ASVS5-6.5.1]
tags: [sms, smoke]
given:
  start: 2026-03-01T09:00:00Z
  users: [alice]
  phones:
    - {number: "+12015550110"}
steps:
  - submit_phone:
  - advance: 5s
  - enter_code:
---
id: replay-accepted
title: A replayed SMS code is accepted (wrong on purpose)
tags: [sms]
given:
  users: [alice]
  phones:
    - {number: "+12015550110"}
steps:
  - submit_phone:
  - advance: 5s
  - enter_code:
  - advance: 5s
  - enter_code: {expect: accepted}
"""


@pytest.fixture
def library(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makefile(".scenario.yaml", flows=dedent(GOOD).lstrip())
    return pytester


def test_each_scenario_is_an_item_named_by_its_id(library: pytest.Pytester) -> None:
    result = library.runpytest("--collect-only", "-q", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(
        ["flows.scenario.yaml::sms-on", "flows.scenario.yaml::replay-accepted"]
    )


def test_a_failure_shows_the_step_expected_actual_and_no_traceback(
    library: pytest.Pytester,
) -> None:
    result = library.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*scenario replay-accepted: A replayed SMS code is accepted*[[]failed]",
            "*flows.scenario.yaml:27: enter_code: expected accepted, got rejected (replayed)",
            "*expected: accepted",
            "*actual:   rejected (replayed)",
            "*the world's last events:",
            "*audit replay.rejected*",
            "*replay: twofa-sim run *flows.scenario.yaml -k replay-accepted --seed 0",
        ]
    )
    assert "Traceback" not in result.stdout.str()
    assert "twofa_sim/" not in result.stdout.str()


def test_tags_are_marks_and_k_selects_by_id(library: pytest.Pytester) -> None:
    library.runpytest("-m", "smoke", "-p", "no:cacheprovider").assert_outcomes(passed=1)
    library.runpytest("-k", "replay", "-p", "no:cacheprovider").assert_outcomes(failed=1)


def test_the_replay_command_names_the_target_the_failure_ran_against(
    pytester: pytest.Pytester,
) -> None:
    """Issue 16.13: replaying a failure seen with --twofa-target pyotp-naive must replay it
    against pyotp-naive (without --target the command runs the reference, which passes)."""
    pytester.makefile(
        ".scenario.yaml",
        replay=dedent(
            """
            id: totp-replay
            title: A replayed TOTP code is refused
            given:
              users: [alice]
              phones: [{number: "+12015550110", apps: [google-authenticator]}]
            steps:
              - generate_qr:
              - scan_qr:
              - confirm_app:
              - advance: 30s
              - login: {expect: second_factor}
              - read_code: {from: totp, capture: code}
              - submit_code: {factor: totp, code: "{code}"}
              - login: {expect: second_factor}
              - submit_code: {factor: totp, code: "{code}", expect: rejected}
            """
        ).lstrip(),
    )
    result = pytester.runpytest(
        "--twofa-target", "pyotp-naive", "--twofa-seed", "4", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*replay: twofa-sim run *replay.scenario.yaml -k totp-replay --seed 4"
            " --target pyotp-naive"
        ]
    )


def test_the_target_option_runs_the_same_files_against_another_system(
    library: pytest.Pytester,
) -> None:
    result = library.runpytest("--twofa-target", "pyotp-naive", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)  # naive accepts the replay: the wrong expectation holds


def test_junit_xml_carries_requirements_and_seed(library: pytest.Pytester) -> None:
    library.runpytest("--junit-xml=out.xml", "-p", "no:cacheprovider")
    root = ET.parse(library.path / "out.xml").getroot()
    case = next(c for c in root.iter("testcase") if c.get("name") == "sms-on")
    properties = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert properties["covers"] == "ASVS5-6.5.1"
    assert properties["seed"].isdigit()
    assert properties["target"] == "reference"


def test_xdist_runs_scenarios_in_parallel(library: pytest.Pytester) -> None:
    result = library.runpytest("-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)


def test_the_fixtures_give_python_tests_a_world(pytester: pytest.Pytester) -> None:
    """The default world: the default phone gets SMS and runs Google Authenticator; a second
    phone, +12015550120, is an Authy user."""
    pytester.makepyfile(
        """
        def test_flow(twofa_world, virtual_clock, sms_inbox, reference_service,
                      authenticator_app, authy):
            reference_service.register("alice", "pw")
            challenge = reference_service.start_phone_verification(
                "alice", "+12015550120", authy_method="app")
            assert challenge.channel == "authy-app"
            token = twofa_world.phone("+12015550120").authy.token()
            assert reference_service.confirm_phone("alice", challenge.request_id, token).ok
            enrollment = reference_service.generate_qr("alice")
            assert authenticator_app.scan(enrollment.png).accepted
            virtual_clock.advance("30s")
            code = authenticator_app.code("twofa-sim", "alice")
            assert reference_service.confirm_totp("alice", code).ok
            assert sms_inbox.inbox() == []
            assert authy.backend.requests == {}
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
