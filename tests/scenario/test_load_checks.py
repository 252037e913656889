"""What a scenario file's load checks before anything runs: values inside steps, the policy.

The README promises every problem that can be found without running is reported when the file
loads, located (FILE:LINE:COL) and all at once; these tests hold the loader to it for the values
a step carries (durations, offsets, instants), the policy's fields and the app names.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Run, run  # noqa: F401 - the CLI fixture
from tests.scenario.conftest import Write
from twofa_sim.errors import InputError, ScenarioFileError
from twofa_sim.files import MAX_SCENARIO_BYTES
from twofa_sim.scenario.loader import MAX_ID, MAX_TAG, MAX_TITLE, load_scenarios
from twofa_sim.scenario.steps import REGISTRY

GIVEN = """\
id: s
title: T
given:
  users: [{name: alice, phone: '+15551230001'}]
  phones: [{number: '+15551230001', apps: [google-authenticator]}]
steps:
"""


def problems(write: Write, text: str) -> list[tuple[int, int, str, str]]:
    """(line, column, message, hint) of every problem the loader reports for ``text``."""
    with pytest.raises(ScenarioFileError) as caught:
        load_scenarios(write(text))
    return [(p.line, p.column, p.message, p.hint) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("step", "column"),
    [
        ("- advance: 5 minutes", 14),
        ("- advance: {by: 5 minutes}", 19),
        ("- set_device_clock: {offset: 4O s}", 32),
        ("- sms_delivery: {delay: 5 minutes}", 27),
        ("- sms_delivery: {jitter: ten}", 28),
        ("- provider_fault: {provider: twilio, kind: http_500, for: 5 minutes}", 61),
        ("- expect_acceptance: {offset: 4O s, probability: 1}", 33),
        ("- expect_acceptance: {offset: 0, entry_delay: x, probability: 1}", 49),
        ("- login_with: {factor: totp, wait: 5 minutes}", 38),
        ("- login: {expect: {retry_after: 5 minutes}}", 35),
        ("- set_time: next tuesday", 15),
    ],
)
def test_a_bad_time_inside_a_step_is_reported_at_load(write: Write, step: str, column: int) -> None:
    """Issue 16.9: durations and times inside steps are read when the file loads: a typo is a
    located error before anything runs, not a failure halfway through a run."""
    [(line, col, message, hint)] = problems(write, GIVEN + f"  {step}\n")
    assert (line, col) == (7, column), (step, message)
    assert "cannot read" in message
    assert hint


def test_a_placeholder_time_is_checked_when_it_is_drawn(write: Write) -> None:
    """A time written as a for_all value ({delay}) cannot be read before it is drawn: loading
    accepts it (the runner checks it)."""
    text = GIVEN.replace("steps:\n", "for_all:\n  delay: {between: [1s, 2s]}\nsteps:\n")
    assert load_scenarios(write(text + "  - advance: '{delay}'\n"))


def test_advance_refuses_to_move_back_at_load_and_says_how(write: Write) -> None:
    """``advance: -5s`` is an error at load, and ``twofa-sim steps`` no longer says a negative
    duration moves back: the two agree. set_time goes back; offsets may be negative."""
    [(line, col, message, hint)] = problems(write, GIVEN + "  - advance: -5s\n")
    assert (line, col) == (7, 14)
    assert "negative" in message
    assert "set_time" in hint
    by = REGISTRY["advance"].fields["by"]
    assert "negative" not in str(by.get("description"))
    offset = REGISTRY["set_device_clock"].fields["offset"]
    assert "-40s" in str(offset.get("description"))
    assert load_scenarios(write(GIVEN + "  - set_device_clock: {offset: -40s}\n"))


def test_negative_delays_are_refused_at_load(write: Write) -> None:
    """A delay or a wait of -1m has no meaning: refused at load, located."""
    found = problems(
        write,
        GIVEN + "  - sms_delivery: {delay: -1m}\n  - login_with: {factor: totp, wait: -2s}\n",
    )
    assert [(line, col) for line, col, _, _ in found] == [(7, 27), (8, 38)]
    assert all("negative" in message for _, _, message, _ in found)


def test_a_standalone_expect_takes_a_mapping_without_that(write: Write) -> None:
    """``- expect: {result: rejected, reason: replayed}`` reads as the README shows it; the
    ``that:`` form keeps working, and a typo in the mapping is located with a suggestion."""
    good = GIVEN + (
        "  - login: {expect: second_factor}\n"
        "  - expect: {status: second_factor}\n"
        "  - expect: {that: {status: second_factor}}\n"
    )
    assert load_scenarios(write(good))
    [(line, col, message, hint)] = problems(write, GIVEN + "  - expect: {stats: refused}\n")
    assert (line, col, message) == (7, 14, "unknown field 'stats'")
    assert "status" in hint
    [(_, col, message, _)] = problems(write, GIVEN + "  - expect: {that: refused, x: 1}\n")
    assert (col, message) == (29, "unknown field 'x'")


def test_an_unknown_totp_policy_field_is_located_with_a_suggestion(write: Write) -> None:
    """Issue 16.10: an unknown ``totp:`` field gets a located message and a did-you-mean, not
    Python's "unexpected keyword argument"."""
    text = (
        GIVEN.replace("steps:\n", "  policy:\n    totp: {steps_bak: 2}\nsteps:\n")
        + "  - advance: 1s\n"
    )
    [(line, col, message, hint)] = problems(write, text)
    assert (line, col) == (7, 12)
    assert message == "no TOTP setting 'steps_bak'"
    assert "steps_back" in hint
    assert "keyword" not in message


def test_every_policy_problem_is_reported_at_once(write: Write) -> None:
    """Two policy mistakes, two problems (not one per fix-and-retry)."""
    text = (
        GIVEN.replace(
            "steps:\n",
            "  policy:\n    lockout_duraton: 10m\n    max_consecutive_failures: many\n"
            "    totp: {steps_bak: 2, drift_tracking: true}\nsteps:\n",
        )
        + "  - advance: 1s\n"
    )
    found = problems(write, text)
    assert [(line, col) for line, col, _, _ in found] == [(7, 5), (8, 31), (9, 12), (9, 26)]


def test_an_unknown_app_is_reported_with_the_files_other_problems(write: Write) -> None:
    """Issue 16.10: an unknown app name in given.phones is reported together with the file's
    other problems, not only once they are fixed."""
    text = GIVEN.replace("apps: [google-authenticator]", "apps: [gogle-authenticator]")
    text = text.replace("title: T\n", "title: T\ntags: [no spaces]\n")
    found = problems(write, text + "  - advnce: 1s\n")
    messages = [message for _, _, message, _ in found]
    assert len(messages) == 3, messages
    assert "'no spaces' is not allowed here" in messages[0]
    assert "gogle-authenticator" in messages[1]
    assert "unknown step 'advnce'" in messages[2]


@pytest.mark.parametrize(
    ("value", "hint"),
    [("three", "a whole number in digits, like 3"), ("'3'", "write the number without quotes")],
)
def test_a_word_for_a_number_gets_a_hint_that_fits(write: Write, value: str, hint: str) -> None:
    """Issue 16.11: ``count: three`` is not a quoting mistake; ``count: '3'`` is."""
    [(_, _, message, found)] = problems(write, GIVEN + f"  - expect_inbox: {{count: {value}}}\n")
    assert message.startswith("expected integer")
    assert found == hint


def test_a_file_over_the_cap_is_refused_before_it_is_read(
    tmp_path: Path,
    run: Run,  # noqa: F811
) -> None:
    """Issue 16.6: a 60 MB scenario file is one located line, exit 2, nothing run (the size is
    checked before reading: a sparse file of 60 MB costs nothing here)."""
    path = tmp_path / "huge.scenario.yaml"
    with path.open("wb") as out:
        out.truncate(60 << 20)
    result = run("run", str(path), "--report-dir", str(tmp_path / "never"))
    assert result.code == 2
    assert len(result.err.splitlines()) == 1, result.err
    assert f"{path}: larger than 1 MiB" in result.err
    assert "Traceback" not in result.err
    assert not (tmp_path / "never").exists()
    with pytest.raises(InputError, match="larger than 1 MiB"):
        load_scenarios(path)
    assert MAX_SCENARIO_BYTES == 1 << 20


def test_a_device_is_not_a_scenario_file(run: Run) -> None:  # noqa: F811
    """``twofa-sim run /dev/zero`` says what is wrong with it instead of "no such file"."""
    result = run("run", "/dev/zero")
    assert result.code == 2
    assert "not a regular file" in result.err


@pytest.mark.parametrize(
    ("field", "limit"), [("title", MAX_TITLE), ("id", MAX_ID), ("tags", MAX_TAG)]
)
def test_a_long_title_id_or_tag_is_refused_without_echoing_it(
    write: Write, field: str, limit: int
) -> None:
    """A title, id or tag is a name for a report's heading, not a payload: past its limit it
    is one located problem that says the length, without printing the value back."""
    long = "x" * (limit + 1)
    value = f"[{long}]" if field == "tags" else long
    text = (
        GIVEN.replace("title: T\n", f"title: T\ntags: {value}\n")
        if field == "tags"
        else GIVEN.replace(f"{field}: {'s' if field == 'id' else 'T'}\n", f"{field}: {value}\n")
    )
    [(line, _, message, hint)] = problems(write, text + "  - advance: 1s\n")
    assert line == {"id": 1, "title": 2, "tags": 3}[field]
    assert message == f"too long: {limit + 1:,} characters (at most {limit})"
    assert long not in message + hint
    assert load_scenarios(write(text.replace(long, "x" * limit) + "  - advance: 1s\n"))


def test_the_number_a_user_types_is_any_text_and_the_help_says_so(write: Write) -> None:
    """Issue 16.22: submit_phone and change_phone take what the user types (the service
    decides), so their help does not claim the number must come from given.phones."""
    steps = "  - submit_phone: {phone: 'not a number', expect: invalid_input}\n"
    steps += "  - change_phone: {phone: '+15559990000', expect: rejected}\n"
    assert load_scenarios(write(GIVEN + steps))
    for name in ("submit_phone", "change_phone"):
        described = str(REGISTRY[name].fields["phone"]["description"])
        assert "given.phones" not in described and "any text" in described


def test_a_loaded_scenario_keeps_no_yaml_nodes(write: Write) -> None:
    """Issue 16.6: once a file is loaded, its scenarios keep their steps, not the YAML node tree
    used to locate problems (about 75 bytes of memory per byte of YAML, for the whole run)."""
    import gc
    import tracemalloc

    step = "  - expect_inbox: {user: alice, count: 0, last_contains: hello}\n"
    path = write(GIVEN + step * 3000)
    size = path.stat().st_size
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        loaded = load_scenarios(path)
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(loaded[0].steps) == 3000
    assert kept < 25 * size, f"{kept / size:.0f} bytes kept per byte of YAML"
