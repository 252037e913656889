"""`twofa-sim uri make` and `twofa-sim uri lint`."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import Run
from twofa_sim.core.keyuri import parse_uri
from twofa_sim.core.secret import decode_secret


def test_uri_make_generates_a_160_bit_secret_and_canonical_uri(run: Run) -> None:
    """`uri make` prints one canonical URI with a new random 160-bit secret and no findings."""
    first = run("uri", "make", "--issuer", "ACME Co", "--account", "alice@example.com")
    second = run("uri", "make", "--issuer", "ACME Co", "--account", "alice@example.com")
    assert first.code == 0 and first.err == ""
    uri = parse_uri(first.out.strip())
    assert (uri.type, uri.issuer, uri.account) == ("totp", "ACME Co", "alice@example.com")
    assert len(decode_secret(uri.secret)) == 20
    assert first.out != second.out  # a fresh secret each time
    assert run("uri", "lint", first.out.strip()).out.strip() == "findings: none"


def test_uri_make_hotp_with_counter(run: Run) -> None:
    """`--type hotp` writes a counter (0 unless given)."""
    result = run(
        "uri", "make", "--account", "bob", "--issuer", "X", "--type", "hotp", "--counter", "7"
    )
    uri = parse_uri(result.out.strip())
    assert (uri.type, uri.counter, uri.period) == ("hotp", 7, None)


def test_uri_make_short_secret_is_made_with_a_lint_error_on_stderr(run: Run) -> None:
    """An explicit short secret is honoured, but stderr says it is under 128 bits."""
    result = run("uri", "make", "--account", "a", "--issuer", "X", "--secret", "JBSWY3DPEHPK3PXP")
    assert result.code == 0
    assert "secret=JBSWY3DPEHPK3PXP" in result.out
    assert "secret-under-128-bits" in result.err and "JBSWY3DPEHPK3PXP" not in result.err


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["--account", "a:b"], "--account"),
        (["--account", "a", "--issuer", "x:y"], "--issuer"),
        (["--account", "a", "--secret", "not base32!"], "--secret"),
        (["--account", "a", "--bits", "64"], "--bits"),
        (["--account", "a", "--bits", "100"], "--bits"),
        (["--account", "a", "--digits", "10"], "--digits"),
        (["--issuer", "x"], "--account"),
    ],
)
def test_uri_make_bad_input(run: Run, args: list[str], names: str) -> None:
    """Bad `uri make` input: exit 2, one located line, nothing on stdout."""
    result = run("uri", "make", *args)
    assert (result.code, result.out) == (2, "")
    assert names in result.err and len(result.err.strip().splitlines()) == 1


def test_uri_lint_exit_codes_and_json(run: Run) -> None:
    """`uri lint` exits 1 on an error finding, 0 on warnings only; --json lists findings."""
    bad = "otpauth://hotp/X:a?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=X"
    result = run("uri", "lint", bad, "--json")
    assert result.code == 1
    rules = {f["rule"]: f["severity"] for f in json.loads(result.out)}
    assert rules["hotp-counter-missing"] == "error"
    warn = "otpauth://totp/X:a?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=X&digits=8"
    result = run("uri", "lint", warn)
    assert result.code == 0 and "nondefault-digits" in result.out


def test_uri_lint_from_stdin(run: Run) -> None:
    """`uri lint -` reads the URI from stdin."""
    result = run("uri", "lint", "-", stdin="https://example.com\n")
    assert result.code == 1 and "not-otpauth" in result.out


def test_uri_lint_never_echoes_the_secret(run: Run) -> None:
    """Findings about a secret never quote it."""
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQO"  # 30 characters: not whole bytes
    result = run("uri", "lint", f"otpauth://totp/X:a?secret={secret.lower()}===&issuer=X")
    assert result.code == 1
    assert secret.lower() not in result.out and secret not in result.out


def test_uri_rules_lists_the_whole_catalogue(run: Run) -> None:
    """`uri rules` prints every lint rule once, with its severity; --json too."""
    from twofa_sim.core.keyuri import RULES

    text = run("uri", "rules")
    assert text.code == 0
    assert [line.split()[0] for line in text.out.splitlines()] == list(RULES)
    rows = json.loads(run("uri", "rules", "--json").out)
    assert {r["rule"]: r["severity"] for r in rows} == {k: v[0] for k, v in RULES.items()}


def test_uri_make_period_takes_units(run: Run) -> None:
    """Issue 16, item 18: `uri make --period 1m` writes period=60 into the URI."""
    result = run("uri", "make", "--account", "a@b.c", "--issuer", "X", "--period", "1m")
    assert result.code == 0
    assert parse_uri(result.out.strip()).period == 60
