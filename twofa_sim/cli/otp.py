"""``twofa-sim code``, ``vectors`` and ``uri``: one-time codes and enrollment URIs."""

from __future__ import annotations

import click

from twofa_sim.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    PROG,
    algorithm_option,
    digits_option,
    emit_json,
    fail_usage,
    given,
    locate,
    period_option,
    print_findings,
    read_arg,
    warn_findings,
    will_exit,
)
from twofa_sim.errors import CommandFailed, InputError, OtpParameterError

__all__ = ["code", "uri", "vectors"]


@click.command()
@click.option(
    "--secret",
    required=True,
    envvar="TWOFA_SIM_SECRET",
    metavar="B32",
    help="Base32 secret ('-' reads it from stdin; or set TWOFA_SIM_SECRET).",
)
@click.option(
    "--at", "when", metavar="WHEN", help="Unix seconds or ISO-8601 instant [default: now]."
)
@algorithm_option
@digits_option
@period_option
@click.option("--t0", type=int, default=0, show_default=True, help="TOTP origin, Unix seconds.")
@click.option(
    "--counter",
    type=click.IntRange(0, 2**64 - 1),
    help="Print the HOTP code for this counter instead of a TOTP code.",
)
def code(
    secret: str,
    when: str | None,
    algorithm: str,
    digits: int,
    period: int,
    t0: int,
    counter: int | None,
) -> None:
    """Print the TOTP code for a secret at a time (or the HOTP code for a counter)."""
    import time

    from twofa_sim.core.clock import exact_instant
    from twofa_sim.core.otp import hotp, totp
    from twofa_sim.core.secret import MIN_ENROLL_BITS, decode_secret

    try:
        key = decode_secret(read_arg(secret, "--secret"))
    except InputError as exc:
        raise exc.at("--secret") from None
    if counter is not None:
        for option in ("when", "period", "t0"):
            if given(option):
                name = "--at" if option == "when" else f"--{option}"
                fail_usage(name, f"{name} makes no sense with --counter (HOTP has no time)")
    try:
        # Exact (a Fraction) so that a time written to the last digit gives the exact step.
        at = time.time() if when is None else exact_instant(when)
    except InputError as exc:
        raise exc.at("--at") from None
    try:
        if counter is not None:
            result = hotp(key, counter, digits=digits, algorithm=algorithm)
        else:
            result = totp(key, at, digits=digits, algorithm=algorithm, period=period, t0=t0)
    except OtpParameterError as exc:
        raise exc.at("--at") from None
    if len(key) * 8 < MIN_ENROLL_BITS:
        click.echo(
            f"{PROG}: warning: the secret has {len(key) * 8} bits, under the {MIN_ENROLL_BITS} "
            "RFC 4226 requires for enrollment; computing the code anyway",
            err=True,
        )
    click.echo(result)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of a table.")
def vectors(as_json: bool) -> None:
    """Check every RFC 4226 and RFC 6238 test vector; exit 0 only if all match."""
    from twofa_sim.core.vectors import check_vectors

    results = check_vectors()
    failed = [r for r in results if not r.ok]
    will_exit(EXIT_FAILED if failed else EXIT_OK)
    if as_json:
        emit_json(
            [
                {
                    "source": r.source,
                    "algorithm": str(r.algorithm),
                    "input": r.moving_factor,
                    "expected": r.expected,
                    "computed": r.actual,
                    "ok": r.ok,
                }
                for r in results
            ]
        )
    else:
        header = f"{'source':<16} {'algorithm':<9} {'input':<16} {'expected':<9} {'computed':<9} ok"
        click.echo(header)
        click.echo("-" * len(header))
        for r in results:
            click.echo(
                f"{r.source:<16} {r.algorithm!s:<9} {r.moving_factor:<16} {r.expected:<9} "
                f"{r.actual:<9} {'ok' if r.ok else 'MISMATCH'}"
            )
        click.echo(f"{len(results) - len(failed)} of {len(results)} vectors match")
    if failed:
        raise CommandFailed()


@click.group()
def uri() -> None:
    """Make and lint otpauth:// enrollment URIs (Key URI Format)."""


@uri.command("make")
@click.option("--account", required=True, help="Account name shown in the app (e.g. an email).")
@click.option("--issuer", help="Who issues the credential (shown in the app).")
@click.option("--secret", metavar="B32", help="Base32 secret [default: a new random one].")
@click.option(
    "--bits",
    type=click.IntRange(8, 4096),
    default=160,
    show_default=True,
    help="Size of a generated secret.",
)
@click.option(
    "--type", "kind", type=click.Choice(["totp", "hotp"]), default="totp", show_default=True
)
@algorithm_option
@digits_option
@period_option
@click.option("--counter", type=click.IntRange(0, 2**64 - 1), help="Initial counter (hotp).")
def uri_make(
    account: str,
    issuer: str | None,
    secret: str | None,
    bits: int,
    kind: str,
    algorithm: str,
    digits: int,
    period: int,
    counter: int | None,
) -> None:
    """Print an otpauth:// URI for enrolling an authenticator app."""
    from twofa_sim.core.keyuri import build_uri
    from twofa_sim.core.secret import generate_secret

    if secret is not None and given("bits"):
        fail_usage("--bits", "--bits sizes a generated secret; it makes no sense with --secret")
    if kind == "hotp" and given("period"):
        fail_usage("--period", "--period makes no sense with --type hotp (HOTP has no time)")
    if secret is None:
        try:
            secret = generate_secret(bits)
        except InputError as exc:
            raise exc.at("--bits") from None
    if kind == "hotp" and counter is None:
        counter = 0
    try:
        text = build_uri(
            secret=read_arg(secret, "--secret"),
            account=account,
            issuer=issuer,
            type="hotp" if kind == "hotp" else "totp",
            algorithm=algorithm.upper(),
            digits=digits,
            period=period,
            counter=counter,
        )
    except InputError as exc:
        # The library names its parameter (account, issuer, secret...): name the option instead.
        raise locate(exc, {"": "uri make"}) from None
    click.echo(text)
    warn_findings(text)


@uri.command("lint")
@click.argument("uri_text", metavar="URI")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as a JSON array.")
def uri_lint(uri_text: str, as_json: bool) -> None:
    """Lint an otpauth:// URI or a Google Authenticator export link ('-' reads it from stdin);
    exit 1 if any error finding."""
    from twofa_sim.core.migration import lint_text

    findings = lint_text(read_arg(uri_text, "URI"))
    failed = any(f.severity == "error" for f in findings)
    will_exit(EXIT_FAILED if failed else EXIT_OK)
    if as_json:
        emit_json(
            [{"rule": f.rule, "severity": f.severity, "message": f.message} for f in findings]
        )
    else:
        print_findings(findings)
    if failed:
        raise CommandFailed()


@uri.command("rules")
@click.option("--json", "as_json", is_flag=True, help="Print the catalogue as a JSON array.")
def uri_rules(as_json: bool) -> None:
    """List every lint rule: id, severity and what it finds."""
    from twofa_sim.core.keyuri import RULES

    if as_json:
        emit_json(
            [
                {"rule": rule, "severity": severity, "description": description}
                for rule, (severity, description) in RULES.items()
            ]
        )
        return
    for rule, (severity, description) in RULES.items():
        click.echo(f"{rule:<24} {severity:<7} {description}")
