"""The line-aware YAML layer under scenario files (twofa_sim.scenario.source)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from twofa_sim.errors import InputError
from twofa_sim.scenario.source import (
    MAX_NODES,
    Document,
    Mark,
    Problem,
    ScenarioFileError,
    load_documents,
    load_file,
)

SCENARIO = textwrap.dedent(
    """\
    # A user signs in with a code from the authenticator.
    name: login with totp
    clock:
      start: 2026-03-01T09:00:00Z
      tracking: off
    users:
      - name: alice
        secret: JBSWY3DPEHPK3PXP
    steps:
      - advance: 30s
      - enter_code:
          user: alice
          code: "123456"
      - send_sms: {user: alice, at: 2026-03-01T09:00:30Z}
    """
)


def only(text: str, file: str = "s.yaml") -> Document:
    [document] = load_documents(text, file)
    return document


def refusal(text: str, file: str = "s.yaml") -> ScenarioFileError:
    with pytest.raises(ScenarioFileError) as caught:
        load_documents(text, file)
    return caught.value


# --- Data -------------------------------------------------------------------------------------


def test_a_scenario_loads_as_plain_data() -> None:
    """Mappings, lists and scalars come back as dict, list, str, int, float, bool and None."""
    doc = only(SCENARIO)
    assert doc.data == {
        "name": "login with totp",
        "clock": {"start": "2026-03-01T09:00:00Z", "tracking": "off"},
        "users": [{"name": "alice", "secret": "JBSWY3DPEHPK3PXP"}],
        "steps": [
            {"advance": "30s"},
            {"enter_code": {"user": "alice", "code": "123456"}},
            {"send_sms": {"user": "alice", "at": "2026-03-01T09:00:30Z"}},
        ],
    }
    assert (doc.file, doc.index) == ("s.yaml", 0)


def test_timestamps_and_yaml_1_1_words_stay_strings() -> None:
    """Timestamps, on/off/yes/no, 9:30 and 012345 keep their text; real numbers stay numbers."""
    doc = only(
        "at: 2026-03-01T09:00:00Z\nday: 2026-03-01\ntracking: off\nsound: on\nconfirm: yes\n"
        "deny: no\ntime: 9:30\ncode: 012345\nflag: true\nother: False\nretries: 3\n"
        "ratio: 0.5\nmask: 0x1F\nnothing: ~\nempty:\n"
    )
    assert doc.data == {
        "at": "2026-03-01T09:00:00Z",
        "day": "2026-03-01",
        "tracking": "off",
        "sound": "on",
        "confirm": "yes",
        "deny": "no",
        "time": "9:30",
        "code": "012345",
        "flag": True,
        "other": False,
        "retries": 3,
        "ratio": 0.5,
        "mask": 31,
        "nothing": None,
        "empty": None,
    }


def test_anchors_aliases_and_merge_keys_work() -> None:
    """An alias repeats its anchor's value; << merges a mapping, and explicit keys win."""
    doc = only(
        "defaults: &user {digits: 6, period: 30}\n"
        "alice:\n  <<: *user\n  period: 60\n"
        "codes: &codes [1, 2]\nagain: *codes\n"
    )
    assert doc.data["alice"] == {"digits": 6, "period": 60}
    assert doc.data["again"] == [1, 2]
    assert doc.data["again"] is not doc.data["codes"]  # copies: mutating one leaves the other
    assert doc.mark(("alice", "digits")) == Mark(1, 26)  # written once, in the anchor
    assert doc.mark(("alice", "period")) == Mark(4, 11)


def test_a_document_that_is_not_a_mapping_is_returned_for_the_caller_to_judge() -> None:
    """The loader does not decide what a scenario document must be: a list comes back as is."""
    assert only("- a\n- b\n").data == ["a", "b"]
    assert only("just text\n").data == "just text"


# --- Marks ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ((), Mark(2, 1)),
        (("name",), Mark(2, 7)),
        (("clock", "start"), Mark(4, 10)),
        (("clock", "tracking"), Mark(5, 13)),
        (("users",), Mark(7, 3)),
        (("users", 0), Mark(7, 5)),
        (("users", 0, "secret"), Mark(8, 13)),
        (("steps", 0, "advance"), Mark(10, 14)),
        (("steps", 1), Mark(11, 5)),
        (("steps", 1, "enter_code"), Mark(12, 7)),
        (("steps", 1, "enter_code", "code"), Mark(13, 13)),
        (("steps", 2, "send_sms", "at"), Mark(14, 33)),
    ],
)
def test_mark_gives_the_line_and_column_of_a_value(
    path: tuple[str | int, ...], expected: Mark
) -> None:
    """Every value's position is known, 1-based, at any depth, in block and flow style."""
    assert only(SCENARIO).mark(path) == expected


def test_mark_with_key_gives_the_position_of_the_mapping_key() -> None:
    """key=True points at the key; for a list item (no key) it is the item itself."""
    doc = only(SCENARIO)
    assert doc.mark(("steps", 1, "enter_code", "code"), key=True) == Mark(13, 7)
    assert doc.mark(("steps", 1, "enter_code"), key=True) == Mark(11, 5)
    assert doc.mark(("steps", 2, "send_sms", "at"), key=True) == Mark(14, 29)
    assert doc.mark(("steps", 1), key=True) == Mark(11, 5)


def test_a_missing_path_falls_back_to_its_nearest_existing_ancestor() -> None:
    """A missing field points at the key of the mapping that lacks it; so does a missing index."""
    doc = only(SCENARIO)
    assert doc.mark(("steps", 1, "enter_code", "digits")) == Mark(11, 5)
    assert doc.mark(("steps", 1, "enter_code", "digits", 0), key=True) == Mark(11, 5)
    assert doc.mark(("steps", 9, "advance")) == Mark(9, 1)
    assert doc.mark(("title",)) == Mark(2, 1)


def test_problem_shows_the_line_and_a_caret_under_the_value() -> None:
    """Document.problem locates a validator's complaint and formats it with the source line."""
    problem = only(SCENARIO, "login.yaml").problem(
        ("steps", 1, "enter_code", "code"), "code must be 6 digits", "quote it"
    )
    assert problem == Problem(
        "login.yaml", 13, 13, "code must be 6 digits", "quote it", '      code: "123456"'
    )
    assert problem.format() == (
        "login.yaml:13:13: code must be 6 digits\n"
        '          code: "123456"\n'
        "                ^\n"
        "  hint: quote it"
    )


def test_multi_document_files_keep_index_and_marks_per_document() -> None:
    """Each document after --- has its own index and marks in the file's line numbers."""
    text = "name: first\nsteps: []\n---\nname: second\nsteps:\n  - advance: 1m\n"
    first, second = load_documents(text, "two.yaml")
    assert (first.index, first.data["name"]) == (0, "first")
    assert (second.index, second.data["name"]) == (1, "second")
    assert first.mark(("name",)) == Mark(1, 7)
    assert second.mark(("name",)) == Mark(4, 7)
    assert second.mark(("steps", 0, "advance")) == Mark(6, 14)
    assert second.problem(("name",), "bad").format().startswith("two.yaml:4:7: bad\n")


def test_empty_documents_are_skipped_and_an_empty_file_gives_none() -> None:
    """An empty file or comment-only file has no documents; an empty one between --- is skipped,
    and index still counts it, as a reader counting documents would."""
    assert load_documents("", "e.yaml") == []
    assert load_documents("# nothing yet\n", "e.yaml") == []
    documents = load_documents("a: 1\n---\n---\nb: 2\n", "e.yaml")
    assert [(d.index, d.data) for d in documents] == [(0, {"a": 1}), (2, {"b": 2})]


# --- Syntax errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "name: x\nclock:\n  start: 0\n   tracking: off\n",
            "bad.yaml:4:12: YAML syntax: mapping values are not allowed here\n"
            "       tracking: off\n"
            "               ^\n"
            "  hint: check the indentation of this line against the lines above",
            id="bad-indentation",
        ),
        pytest.param(
            "clock:\n\tstart: 0\n",
            "bad.yaml:2:1: YAML syntax: a tab character here\n"
            "        start: 0\n"
            "    ^\n"
            "  hint: indent with spaces only; YAML does not accept tabs for indentation",
            id="tab",
        ),
        pytest.param(
            'name: x\nsteps:\n  - sms: "your code is\n',
            "bad.yaml:3:10: YAML syntax: this quote is never closed\n"
            '      - sms: "your code is\n'
            "             ^\n"
            "  hint: close the quote; inside '...' write '' for a single quote",
            id="unclosed-quote",
        ),
        pytest.param(
            'steps:\n  - sms: "your code\n  - advance: 1m\n  - sms: "done"\n',
            "bad.yaml:4:11: YAML syntax: did not find expected key\n"
            '      - sms: "done"\n'
            "              ^\n"
            "  hint: line 2 has an unclosed quote",
            id="unclosed-quote-mid-file",
        ),
        pytest.param(
            "steps:\n  - advance: 1m\n  -advance: 2m\n",
            "bad.yaml:3:3: YAML syntax: did not find expected '-' indicator\n"
            "      -advance: 2m\n"
            "      ^\n"
            '  hint: put a space after "-" to start a list item',
            id="missing-space-after-dash",
        ),
        pytest.param(
            "steps:\n  -advance: 1m\n  - advance: 2m\n",
            "bad.yaml:3:3: YAML syntax: did not find expected key\n"
            "      - advance: 2m\n"
            "      ^\n"
            '  hint: put a space after "-" to start a list item',
            id="missing-space-after-first-dash",
        ),
        pytest.param(
            "name: x\nexpect: error: code expired\n",
            "bad.yaml:2:14: YAML syntax: mapping values are not allowed here\n"
            "    expect: error: code expired\n"
            "                 ^\n"
            '  hint: a value that contains ": " must be quoted, e.g. message: "Error: bad"',
            id="unquoted-colon",
        ),
        pytest.param(
            "steps: [advance, sms\nname: x\n",
            "bad.yaml:2:5: YAML syntax: did not find expected ',' or ']'"
            " (in a flow sequence that starts on line 1)\n"
            "    name: x\n"
            "        ^",
            id="unclosed-bracket",
        ),
        pytest.param(
            "user: *alice\n",
            "bad.yaml:1:7: YAML syntax: this alias refers to no anchor defined above it\n"
            "    user: *alice\n"
            "          ^\n"
            "  hint: define the anchor (&name) before the alias (*name) that uses it",
            id="undefined-alias",
        ),
    ],
)
def test_syntax_errors_are_located_shown_and_explained(text: str, expected: str) -> None:
    """A YAML mistake names the file, line and column, shows the line, and hints at the fix."""
    error = refusal(text, "bad.yaml")
    assert str(error) == expected
    assert len(error.problems) == 1


def test_a_syntax_error_in_a_later_document_is_reported_at_its_file_line() -> None:
    """Lines count from the top of the file, not of the document."""
    error = refusal("a: 1\n---\nb: 2\n  c: 3\n")
    assert (error.problems[0].line, error.problems[0].column) == (4, 4)


def test_control_characters_are_located() -> None:
    """A control character YAML refuses is found at its line and column."""
    error = refusal("name: x\ncode: 12\x0134\n")
    assert error.problems[0].line == 2
    assert error.problems[0].column == 9
    assert "U+0001" in error.problems[0].message


# --- Refusals ---------------------------------------------------------------------------------


def test_duplicate_keys_are_refused_naming_both_lines() -> None:
    """YAML would silently keep the last of two equal keys; we refuse and name the first one."""
    error = refusal("name: x\nsteps: []\nclock:\n  start: 0\nsteps:\n  - advance: 1m\n")
    assert str(error) == (
        "s.yaml:5:1: duplicate key 'steps' (first on line 2)\n"
        "    steps:\n"
        "    ^\n"
        "  hint: YAML would keep only the last one; remove or rename one of them"
    )


def test_every_problem_is_reported_in_file_order() -> None:
    """Several problems come together, sorted by line; the error's where/hint are the first's."""
    error = refusal("a: 1\nb:\n  c: 1\n  c: 2\n1: x\na: 2\n")
    assert [(p.line, p.column) for p in error.problems] == [(4, 3), (5, 1), (6, 1)]
    assert error.where == "s.yaml:4:3"
    assert error.what == "duplicate key 'c' (first on line 3)"
    assert error.problems[1].message == "mapping key 1 is not a string"
    assert error.problems[1].hint == 'quote it: "1":'
    assert isinstance(error, InputError)


@pytest.mark.parametrize("key", ["1", "true", "~", "[a, b]", "{a: 1}"])
def test_mapping_keys_must_be_strings(key: str) -> None:
    """Numbers, booleans, null and collections as keys are refused where they are written."""
    error = refusal(f"name: x\n{key}: value\n")
    assert (error.problems[0].line, error.problems[0].column) == (2, 1)


@pytest.mark.parametrize(
    "text",
    [
        "cmd: !!python/object/apply:os.system ['echo pwned']\n",
        "obj: !!python/object:collections.OrderedDict {a: 1}\n",
        "name: !!python/name:os.system\n",
    ],
)
def test_python_tags_are_refused(text: str) -> None:
    """A scenario file can never build Python objects: python tags are refused, not run."""
    error = refusal(text)
    assert "refused" in error.problems[0].message
    assert "!!python/" in error.problems[0].message
    assert error.problems[0].line == 1


def test_other_tags_are_refused() -> None:
    """Tags outside plain data (!!set, !!binary, custom ones) are refused too."""
    error = refusal("a: !!set {x}\nb: !!binary aGk=\nc: !include other.yaml\nd: !!int many\n")
    assert [p.line for p in error.problems] == [1, 2, 3, 4]
    assert error.problems[2].message == "unknown tag !include"
    assert error.problems[3].message == "cannot read 'many' as !!int"


def test_an_alias_bomb_is_refused_before_it_is_expanded() -> None:
    """Nine levels of nine aliases (a billion values) are counted, not built, and refused."""
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    error = refusal("\n".join(lines) + "\n", "bomb.yaml")
    [problem] = error.problems
    assert problem.line == 6  # the first value past the limit: a5 holds 9**5 + ... values
    assert f"(at most {MAX_NODES:,})" in problem.message


def test_an_alias_inside_its_own_anchor_is_refused() -> None:
    """A recursive alias would expand forever: it is refused."""
    error = refusal("a: &loop [1, *loop]\n")
    assert "cycle" in error.problems[0].message


def test_nesting_is_limited() -> None:
    """Absurdly deep nesting is refused rather than crashing the loader."""
    error = refusal("a: " + "[" * 150 + "]" * 150 + "\n")
    assert "levels deep" in error.problems[0].message


# --- Files ------------------------------------------------------------------------------------


def test_load_file_reads_utf8_and_accepts_a_bom(tmp_path: Path) -> None:
    """A UTF-8 file with a byte-order mark loads; columns on line 1 do not count the BOM."""
    path = tmp_path / "bom.yaml"
    path.write_bytes("\ufeffname: café\nuser: zoë\n".encode())
    [doc] = load_file(path)
    assert doc.data == {"name": "café", "user": "zoë"}
    assert doc.mark(("name",)) == Mark(1, 7)
    assert doc.file == str(path)


def test_invalid_utf8_is_located_at_the_first_bad_byte(tmp_path: Path) -> None:
    """Undecodable bytes are reported at their line and column, not as a traceback."""
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: x\nuser: caf\xe9 au lait\n")
    with pytest.raises(ScenarioFileError) as caught:
        load_file(path)
    assert str(caught.value) == (
        f"{path}:2:10: not valid UTF-8: byte 0xe9\n"
        "    user: caf\ufffd au lait\n"
        "             ^\n"
        "  hint: save the file as UTF-8"
    )


def test_a_utf16_file_gets_a_hint(tmp_path: Path) -> None:
    """A file saved as UTF-16 is recognised and the hint says so."""
    path = tmp_path / "utf16.yaml"
    path.write_bytes("name: x\n".encode("utf-16"))
    with pytest.raises(ScenarioFileError) as caught:
        load_file(path)
    assert caught.value.problems[0].hint == "this file looks like UTF-16; save it as UTF-8"


def test_an_empty_file_has_no_documents(tmp_path: Path) -> None:
    """An empty file is no error: it has no documents."""
    path = tmp_path / "empty.yaml"
    path.write_bytes(b"")
    assert load_file(path) == []


def test_a_missing_file_is_an_input_error_naming_it(tmp_path: Path) -> None:
    """A file that cannot be read is an InputError whose where is the path."""
    path = tmp_path / "nope.yaml"
    with pytest.raises(InputError) as caught:
        load_file(path)
    assert not isinstance(caught.value, ScenarioFileError)
    assert caught.value.where == str(path)
    assert str(caught.value).startswith(f"{path}: no such file")


# --- Formatting -------------------------------------------------------------------------------


def test_format_without_hint_or_source_line() -> None:
    """The hint line and the source lines appear only when there is something to show."""
    assert Problem("f.yaml", 3, 5, "bad").format() == "f.yaml:3:5: bad"
    assert Problem("f.yaml", 0, 0, "unreadable", "check it").format() == (
        "f.yaml: unreadable\n  hint: check it"
    )


def test_format_expands_tabs_consistently() -> None:
    """With tabs in the line, the caret still sits under the character at the column."""
    problem = Problem("f.yaml", 1, 7, "here", source_line="a:\tb: c")
    assert problem.format() == "f.yaml:1:7: here\n    a:  b: c\n           ^"
    _, shown, caret = problem.format().split("\n")
    assert shown[caret.index("^")] == "c"


def test_format_trims_long_lines_around_the_column() -> None:
    """A line longer than 160 characters is shown trimmed with "…", caret under the column."""
    line = "x: " + "a" * 200 + "B" + "c" * 200
    problem = Problem("f.yaml", 1, 204, "here", source_line=line)
    _, shown, caret = problem.format().split("\n")
    assert shown.startswith("    …") and shown.endswith("…")
    assert len(shown) <= 4 + 162
    assert shown[caret.index("^")] == "B"


def test_scenario_file_error_needs_a_problem() -> None:
    """An error with nothing wrong is a programming mistake."""
    with pytest.raises(ValueError):
        ScenarioFileError([])
