"""`twofa-sim code` and `twofa-sim vectors`, and the exit-code contract."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.cli.conftest import Run

RFC_B32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # "12345678901234567890"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--at", "59", "--digits", "8"], "94287082"),
        (["--at", "2005-03-18T01:58:29Z", "--digits", "8"], "07081804"),
        (["--at", "2005-03-18T03:58:29+02:00"], "081804"),
        (["--at", "20000000000", "--digits", "8"], "65353130"),
        (["--counter", "0"], "755224"),
        (["--counter", "9"], "520489"),
        (["--at", "0", "--period", "60", "--t0", "-60", "--digits", "8"], "94287082"),
    ],
)
def test_code_prints_the_code(run: Run, args: list[str], expected: str) -> None:
    """`code` prints exactly the code (RFC vectors), nothing else on stdout."""
    result = run("code", "--secret", RFC_B32, *args)
    assert (result.code, result.out, result.err) == (0, expected + "\n", "")


def test_code_sha256_needs_its_own_seed(run: Run) -> None:
    """`--algorithm sha256` (any case) with the 32-byte seed gives the RFC 6238 value."""
    seed32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA"
    result = run("code", "--secret", seed32, "--at", "59", "--digits", "8", "--algorithm", "sha256")
    assert result.out == "46119246\n"


def test_code_secret_from_stdin_and_env(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--secret -` reads stdin; TWOFA_SIM_SECRET works too (keeps secrets out of history)."""
    assert run("code", "--secret", "-", "--counter", "0", stdin=RFC_B32 + "\n").out == "755224\n"
    monkeypatch.setenv("TWOFA_SIM_SECRET", RFC_B32)
    assert run("code", "--counter", "1").out == "287082\n"


def test_code_warns_under_128_bits_but_computes(run: Run) -> None:
    """Any valid base32 secret works; under 128 bits a warning goes to stderr."""
    result = run("code", "--secret", "JBSWY3DPEHPK3PXP", "--counter", "0")
    assert result.code == 0 and len(result.out.strip()) == 6
    assert "warning" in result.err and "80 bits" in result.err
    assert "JBSWY3DPEHPK3PXP" not in result.err


def test_code_default_time_is_now(run: Run) -> None:
    """Without --at the code is for the current time (one of this step's neighbours)."""
    import time

    from twofa_sim.core.otp import totp

    before = time.time()
    out = run("code", "--secret", RFC_B32).out.strip()
    assert out in {totp(RFC_B32, before), totp(RFC_B32, before + 30)}


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["--secret", "JBSWY3DPEHPK3PX1"], "--secret"),
        (["--secret", ""], "--secret"),
        (["--secret", RFC_B32, "--digits", "9"], "--digits"),
        (["--secret", RFC_B32, "--digits", "six"], "--digits"),
        (["--secret", RFC_B32, "--algorithm", "MD5"], "--algorithm"),
        (["--secret", RFC_B32, "--period", "0"], "--period"),
        (["--secret", RFC_B32, "--at", "tomorrow"], "--at"),
        (["--secret", RFC_B32, "--at", "-5"], "--at"),
        (["--secret", RFC_B32, "--counter", "-1"], "--counter"),
        (["--secret", RFC_B32, "--counter", str(2**64)], "--counter"),
        (["--secret", RFC_B32, "--counter", "1", "--at", "59"], "--at"),
        (["--secret", RFC_B32, "--bogus"], "--bogus"),
        ([], "--secret"),
    ],
)
def test_code_bad_input_is_one_line_exit_2(run: Run, args: list[str], names: str) -> None:
    """Bad arguments: exit 2, one line on stderr naming the input, no traceback, no stdout."""
    result = run("code", *args)
    assert result.code == 2
    assert result.out == ""
    assert len(result.err.strip().splitlines()) == 1
    assert names in result.err
    assert "Traceback" not in result.err


def test_vectors_table_and_exit_code(run: Run) -> None:
    """`vectors` prints every vector and exits 0 when all 28 match."""
    result = run("vectors")
    assert result.code == 0
    assert "28 of 28 vectors match" in result.out
    assert (
        sum(line.startswith("RFC") and line.endswith(" ok") for line in result.out.splitlines())
        == 28
    )


def test_vectors_json(run: Run) -> None:
    """`vectors --json` is a JSON array of 28 checked vectors."""
    import json

    rows = json.loads(run("vectors", "--json").out)
    assert len(rows) == 28 and all(r["ok"] for r in rows)
    assert {"source", "algorithm", "input", "expected", "computed", "ok"} == set(rows[0])


def test_vectors_fail_with_exit_1_when_a_value_is_wrong(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the engine computed a wrong value, `vectors` says so and exits 1."""
    import twofa_sim.core.vectors as vectors

    broken = dict(vectors.TOTP_SEEDS)
    broken[vectors.Algorithm.SHA256] = b"12345678901234567890"  # the erratum mistake
    monkeypatch.setattr(vectors, "TOTP_SEEDS", broken)
    result = run("vectors")
    assert result.code == 1
    assert "MISMATCH" in result.out and "22 of 28" in result.out


def test_unknown_command_and_help(run: Run) -> None:
    """Unknown commands are usage errors (2); --help and --version exit 0."""
    assert run("frobnicate").code == 2
    assert run("--help").code == 0
    version = run("--version")
    assert version.code == 0 and "twofa-sim" in version.out


def test_internal_errors_exit_3_without_traceback(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unexpected exception is exit 3 with a one-line message (traceback only on request)."""
    import twofa_sim.core.vectors as vectors

    def explode() -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(vectors, "check_vectors", explode)
    result = run("vectors")
    assert result.code == 3
    assert "internal error" in result.err and "Traceback" not in result.err


def test_python_dash_m_and_console_script() -> None:
    """`python -m twofa_sim` and the `twofa-sim` script both run the same command line."""
    out = subprocess.run(
        [sys.executable, "-m", "twofa_sim", "code", "--secret", RFC_B32, "--counter", "0"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (out.returncode, out.stdout) == (0, "755224\n")
    bad = subprocess.run(
        [sys.executable, "-m", "twofa_sim", "code", "--secret", "!!"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


@pytest.mark.parametrize("group", [[], ["qr"], ["uri"]])
def test_a_group_without_a_command_names_the_commands(run: Run, group: list[str]) -> None:
    """`twofa-sim qr` alone: exit 2 with one line listing the commands it takes."""
    result = run(*group)
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1
    assert "missing command" in result.err


def test_at_accepts_scientific_notation_and_refuses_infinity(run: Run) -> None:
    """`--at 1.111111109e9` is Unix seconds; `1e400` (infinite) is a located error."""
    ok = run("code", "--secret", RFC_B32, "--at", "1.111111109e9", "--digits", "8")
    assert ok.out == "07081804\n"
    bad = run("code", "--secret", RFC_B32, "--at", "1e400")
    assert bad.code == 2 and "--at" in bad.err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--at", "9007199254740993", "--period", "1"], 9007199254740993),  # past 2**53
        (["--at", "18446744073709551615", "--period", "1"], 2**64 - 1),  # the last counter
        (["--at", "59.9999999999999999"], 1),  # a float would round up to step 2
    ],
)
def test_at_is_exact_where_a_float_would_round(run: Run, args: list[str], expected: int) -> None:
    """`--at` is read exactly, so the time step (and code) is the exact one."""
    from twofa_sim.core.otp import hotp

    result = run("code", "--secret", RFC_B32, "--digits", "8", *args)
    assert result.out == hotp(RFC_B32, expected, digits=8) + "\n"


def test_at_too_far_ahead_is_a_short_located_error(run: Run) -> None:
    """A time whose step is past 2**64-1 is exit 2, in one short line."""
    result = run("code", "--secret", RFC_B32, "--at", "1e300", "--period", "1")
    assert result.code == 2 and "--at" in result.err and len(result.err) < 200


@pytest.mark.parametrize(
    "args",
    [
        ["code", "--secret", RFC_B32, "--counter", "1", "--period", "60"],
        ["code", "--secret", RFC_B32, "--counter", "1", "--t0", "5"],
        ["uri", "make", "--account", "a", "--type", "hotp", "--period", "60"],
        ["uri", "make", "--account", "a", "--secret", RFC_B32, "--bits", "256"],
    ],
)
def test_options_that_would_be_ignored_are_refused(run: Run, args: list[str]) -> None:
    """An option that could not apply is a usage error, not silently dropped."""
    result = run(*args)
    assert result.code == 2 and result.out == ""
    assert len(result.err.strip().splitlines()) == 1


def test_secret_from_empty_stdin_names_the_option_once(run: Run) -> None:
    """`--secret -` with nothing on stdin names --secret (once)."""
    result = run("uri", "make", "--account", "a", "--secret", "-", stdin="")
    assert result.code == 2 and "--secret:" in result.err and "----" not in result.err


def test_output_cut_short_by_the_reader_keeps_the_exit_status() -> None:
    """`twofa-sim vectors | head -1` exits 0 under pipefail: a closed pipe is not a failure."""
    script = f"set -o pipefail; {sys.executable} -m twofa_sim vectors | head -1"
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("source") and out.stderr == ""


@pytest.mark.parametrize("period", ["60s", "1m", "60"])
def test_code_period_takes_units(run: Run, period: str) -> None:
    """Issue 16, item 18: --period 60s and 1m are the 60-second step, as --period 60 is."""
    plain = run("code", "--secret", RFC_B32, "--at", "1111111109", "--period", "60")
    result = run("code", "--secret", RFC_B32, "--at", "1111111109", "--period", period)
    assert result.code == 0 and result.out == plain.out
    other = run("code", "--secret", RFC_B32, "--at", "1111111109", "--period", "30s")
    assert other.out != plain.out  # the step changed: so the option is read, not ignored


def test_code_reads_at_most_64_kib_of_stdin(run: Run) -> None:
    """Issue 16, item 4: `code --secret - < /dev/zero` stops reading at the cap and exits 2 with
    one line, instead of reading until memory runs out."""
    result = run("code", "--secret", "-", stdin="A" * (64 * 1024 + 1))
    assert result.code == 2 and result.err.count("\n") == 1
    assert "--secret" in result.err and "64 KiB" in result.err
