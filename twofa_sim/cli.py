"""The ``twofa-sim`` command line. Parses, calls the library, prints; no logic of its own.

Exit codes, every command: 0 success, 1 a check failed, 2 bad input or usage (one line on stderr
naming the bad input), 3 internal error.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from twofa_sim import __version__
from twofa_sim.errors import (
    CommandFailed,
    DecoderUnavailableError,
    InputError,
    OtpParameterError,
    TwofaSimError,
)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
PROG = "twofa-sim"


_STATUS = "twofa_sim.exit_status"
ARGV = "twofa_sim.argv"
"""Where main() keeps the command line, for the command that reproduces a run."""


def _will_exit(status: int) -> None:
    """Record the status a command ends with, before it prints: a reader may close stdout early."""
    click.get_current_context().find_root().meta[_STATUS] = status


def _printable(text: str) -> str:
    """``text`` for a terminal: control characters escaped, so a payload cannot fake output."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def _display_path(path: Path) -> str:
    """A path as text that can always be printed and put in JSON (undecodable bytes replaced)."""
    return os.fsencode(path).decode("utf-8", "replace")


def _option(exc: InputError, names: dict[str, str]) -> InputError:
    """Name the option or argument for a library parameter (``account`` -> ``--account``)."""
    if exc.where.startswith("-") or exc.where in names.values():
        return exc
    return exc.at(names.get(exc.where, f"--{exc.where}" if exc.where else names.get("", "")))


def _given(parameter: str) -> bool:
    """Whether the user gave this option on the command line (not its default)."""
    source = click.get_current_context().get_parameter_source(parameter)
    return source is click.core.ParameterSource.COMMANDLINE


def _fail_usage(where: str, what: str, hint: str = "") -> NoReturn:
    raise InputError(what, where=where, hint=hint)


def _read_arg(value: str, where: str) -> str:
    """``-`` means: read the value from stdin (keeps secrets out of shell history)."""
    if value != "-":
        return value
    text = sys.stdin.read().strip()
    if not text:
        _fail_usage(where, "nothing was read from stdin")
    return text


def _write_output(path: Path, data: bytes, where: str) -> None:
    """Write ``data`` to ``path`` whole or not at all; ``-`` is stdout.

    A regular file is written to a temporary file beside it, then renamed into place. A symlink
    is followed (its target is written, the link kept); a device or FIFO (``/dev/stdout``, a pipe)
    is written directly, never replaced by a regular file.
    """
    if str(path) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    target = path.resolve()
    if target.is_dir():
        _fail_usage(where, f"{_display_path(path)!r} is a directory")
    if target.exists() and not target.is_file():
        try:
            with target.open("wb") as handle:
                handle.write(data)
        except OSError as exc:
            _fail_usage(where, f"cannot write {_display_path(path)!r}: {exc.strerror}")
        return
    directory = target.parent
    if not directory.is_dir():
        _fail_usage(where, f"directory {_display_path(directory)!r} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        _fail_usage(where, f"cannot write in {_display_path(directory)!r}: {exc.strerror}")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a written file should look usual
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        _fail_usage(where, f"cannot write {_display_path(path)!r}: {exc.strerror}")


def _emit_json(obj: object) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2))


# Options shared by the commands that make codes and URIs.
_algorithm_option = click.option(
    "--algorithm",
    type=click.Choice(["SHA1", "SHA256", "SHA512"], case_sensitive=False),
    default="SHA1",
    show_default=True,
    help="HMAC hash function.",
)
_digits_option = click.option(
    "--digits", type=click.IntRange(6, 8), default=6, show_default=True, help="Code length."
)
_period_option = click.option(
    "--period", type=click.IntRange(min=1), default=30, show_default=True, help="TOTP step (s)."
)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name=PROG)
def cli() -> None:
    """twofa-sim: a test harness and simulation suite for two-factor authentication.

    Exit codes: 0 success, 1 a check failed, 2 bad input or usage, 3 internal error.
    """


@cli.command()
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
@_algorithm_option
@_digits_option
@_period_option
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
        key = decode_secret(_read_arg(secret, "--secret"))
    except InputError as exc:
        raise exc.at("--secret") from None
    if counter is not None:
        for option in ("when", "period", "t0"):
            if _given(option):
                name = "--at" if option == "when" else f"--{option}"
                _fail_usage(name, f"{name} makes no sense with --counter (HOTP has no time)")
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


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of a table.")
def vectors(as_json: bool) -> None:
    """Check every RFC 4226 and RFC 6238 test vector; exit 0 only if all match."""
    from twofa_sim.core.vectors import check_vectors

    results = check_vectors()
    failed = [r for r in results if not r.ok]
    _will_exit(EXIT_FAILED if failed else EXIT_OK)
    if as_json:
        _emit_json(
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


@cli.command()
@click.option(
    "--channel",
    type=click.Choice(["sms", "authy-app", "authy-push"]),
    default="sms",
    show_default=True,
    help="How the phone-verification code arrives.",
)
@click.option(
    "--app",
    type=click.Choice(["google-authenticator", "authy", "freeotp"]),
    default="google-authenticator",
    show_default=True,
    help="The authenticator app that scans the QR code.",
)
@click.option(
    "--device-offset",
    default="0s",
    metavar="DURATION",
    show_default=True,
    help="How far the phone's clock is off (40s, -2m).",
)
@click.option(
    "--store",
    type=click.Choice(["memory", "sqlite"]),
    default="memory",
    show_default=True,
    help="Where the service keeps its state (sqlite: a restart mid-story keeps it).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="The world's seed.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def demo(channel: str, app: str, device_offset: str, store: str, seed: int, as_json: bool) -> None:
    """Enroll a user through the seed's flow, log in, and show a replayed code rejected.

    Exit 0 when every step went as the policy says, 1 otherwise.
    """
    from twofa_sim.labs.demo import run_demo

    try:
        report = run_demo(
            channel=channel,  # type: ignore[arg-type]
            app=app,  # type: ignore[arg-type]
            device_offset=device_offset,
            store=store,  # type: ignore[arg-type]
            seed=seed,
        )
    except InputError as exc:
        raise _option(exc, {"device_offset": "--device-offset"}) from None
    _will_exit(EXIT_OK if report.ok else EXIT_FAILED)
    if as_json:
        _emit_json(report.as_json())
    else:
        click.echo(report.text())
    if not report.ok:
        raise CommandFailed()


@cli.group()
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
@_algorithm_option
@_digits_option
@_period_option
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

    if secret is not None and _given("bits"):
        _fail_usage("--bits", "--bits sizes a generated secret; it makes no sense with --secret")
    if kind == "hotp" and _given("period"):
        _fail_usage("--period", "--period makes no sense with --type hotp (HOTP has no time)")
    if secret is None:
        try:
            secret = generate_secret(bits)
        except InputError as exc:
            raise exc.at("--bits") from None
    if kind == "hotp" and counter is None:
        counter = 0
    try:
        text = build_uri(
            secret=_read_arg(secret, "--secret"),
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
        raise _option(exc, {"": "uri make"}) from None
    click.echo(text)
    _warn_findings(text)


@uri.command("lint")
@click.argument("uri_text", metavar="URI")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as a JSON array.")
def uri_lint(uri_text: str, as_json: bool) -> None:
    """Lint an otpauth:// URI ('-' reads it from stdin); exit 1 if any error finding."""
    from twofa_sim.core.keyuri import lint_uri

    findings = lint_uri(_read_arg(uri_text, "URI"))
    failed = any(f.severity == "error" for f in findings)
    _will_exit(EXIT_FAILED if failed else EXIT_OK)
    if as_json:
        _emit_json(
            [{"rule": f.rule, "severity": f.severity, "message": f.message} for f in findings]
        )
    else:
        _print_findings(findings)
    if failed:
        raise CommandFailed()


@uri.command("rules")
@click.option("--json", "as_json", is_flag=True, help="Print the catalogue as a JSON array.")
def uri_rules(as_json: bool) -> None:
    """List every lint rule: id, severity and what it finds."""
    from twofa_sim.core.keyuri import RULES

    if as_json:
        _emit_json(
            [
                {"rule": rule, "severity": severity, "description": description}
                for rule, (severity, description) in RULES.items()
            ]
        )
        return
    for rule, (severity, description) in RULES.items():
        click.echo(f"{rule:<24} {severity:<7} {description}")


def _warn_findings(text: str) -> None:
    """Tell stderr what the linter thinks of a URI we were asked to make (errors and warnings)."""
    from twofa_sim.core.keyuri import lint_uri

    for finding in lint_uri(text):
        if finding.severity != "info":
            click.echo(
                f"{PROG}: lint {finding.severity}: {finding.rule}: {finding.message}", err=True
            )


def _print_findings(findings: Sequence[Any]) -> None:
    if not findings:
        click.echo("findings: none")
        return
    click.echo("findings:")
    for f in findings:
        click.echo(f"  {f.severity:<7} {f.rule:<24} {_printable(f.message)}")


@cli.group()
def qr() -> None:
    """Render otpauth URIs as QR codes and read QR codes from images."""


@qr.command("make")
@click.argument("data", metavar="URI")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="PNG file to write ('-' for stdout).",
)
@click.option(
    "--error",
    "level",
    type=click.Choice(["L", "M", "Q", "H"], case_sensitive=False),
    default="M",
    show_default=True,
    help="Error-correction level.",
)
@click.option(
    "--scale", type=click.IntRange(1, 100), default=8, show_default=True, help="Pixels per module."
)
@click.option(
    "--border",
    type=click.IntRange(0, 100),
    default=4,
    show_default=True,
    help="Quiet zone in modules.",
)
def qr_make(data: str, output: Path, level: str, scale: int, border: int) -> None:
    """Render URI ('-' reads it from stdin) as a QR code PNG."""
    from twofa_sim.core.qr import render_png

    text = _read_arg(data, "URI")
    level_upper = level.upper()
    try:
        png = render_png(text, error=level_upper, scale=scale, border=border)  # type: ignore[arg-type]
    except InputError as exc:
        raise _option(exc, {"data": "URI", "": "URI"}) from None
    _write_output(output, png, "--output")
    _warn_findings(text)
    # On stderr: stdout may be the PNG itself (-o - or -o /dev/stdout).
    click.echo(f"wrote {_display_path(output)} ({len(png)} bytes)", err=True)


@qr.command("read")
@click.argument("image", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--show-secret", is_flag=True, help="Show the secret instead of masking it.")
def qr_read(image: Path, as_json: bool, show_secret: bool) -> None:
    """Read the QR code in IMAGE with two decoders, parse and lint the URI.

    Exit 0 when read, agreed and no error finding; 1 when no QR code was found, the decoders
    disagree or an error finding exists; 2 when the file is missing or not an image.
    """
    from twofa_sim.core.scan import scan_image

    scan = scan_image(image, name=_display_path(image))
    report = scan.as_dict(show_secret=show_secret)
    _will_exit(EXIT_OK if scan.ok else EXIT_FAILED)
    if as_json:
        _emit_json(report)
    else:
        decoded = report["decoded"]
        assert isinstance(decoded, dict)
        click.echo(f"image  {_printable(scan.image)}")
        for decoder in ("zbar", "zxing"):
            text = decoded[decoder]
            click.echo(f"{decoder:<6} {'(nothing found)' if text is None else _printable(text)}")
        click.echo(f"agree  {'yes' if scan.agree else 'NO'}")
        if isinstance(report["uri"], dict):
            fields = (f"{k}={v}" for k, v in report["uri"].items() if v is not None)
            click.echo("uri    " + _printable("  ".join(fields)))
        _print_findings(scan.findings)
    if not scan.ok:
        raise CommandFailed()


# ---------------------------------------------------------------------------------------------


def _command_name(args: Sequence[str]) -> str:
    words = [PROG]
    for arg in args:
        if arg.startswith("-"):
            break
        words.append(arg)
        if len(words) == 3:
            break
    return " ".join(words)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns (and, as a console script, exits with) the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    root: click.Context | None = None
    try:
        # make_context + invoke rather than cli.main: click's main turns a closed stdout into
        # exit 1 itself, where we want the command's own status.
        with cli.make_context(PROG, args) as root:
            root.meta[ARGV] = list(args)
            result = cli.invoke(root)
    except click.exceptions.Exit as exc:  # --help, --version
        return exc.exit_code
    except click.exceptions.NoArgsIsHelpError as exc:
        # A group called without a command: name the commands instead of dumping the help.
        ctx = exc.ctx
        name = ctx.command_path if ctx is not None else PROG
        group = ctx.command if ctx is not None else cli
        names = ", ".join(sorted(getattr(group, "commands", {})))
        message = f"missing command (one of: {names}); see '{name} --help'"
        click.echo(f"{name}: error: {message}", err=True)
        return EXIT_USAGE
    except click.exceptions.UsageError as exc:
        name = exc.ctx.command_path if exc.ctx is not None else PROG
        click.echo(f"{name}: error: {exc.format_message()} (see '{name} --help')", err=True)
        return EXIT_USAGE
    except click.exceptions.Abort:
        click.echo(f"{PROG}: aborted", err=True)
        return 130
    except InputError as exc:
        problems = getattr(exc, "problems", None)
        if problems:  # a scenario file's problems: FILE:LINE:COLUMN lines, as editors read them
            click.echo(str(exc), err=True)
            files = len({p.file for p in problems})
            noun = "problem" if len(problems) == 1 else "problems"
            click.echo(
                f"{_command_name(args)}: {len(problems)} {noun} in {files} file(s); "
                "nothing was run",
                err=True,
            )
            return EXIT_USAGE
        click.echo(f"{_command_name(args)}: error: {exc}", err=True)
        return EXIT_USAGE
    except CommandFailed as exc:
        if exc.message:
            click.echo(f"{_command_name(args)}: {exc.message}", err=True)
        return EXIT_FAILED
    except DecoderUnavailableError as exc:
        click.echo(f"{_command_name(args)}: error: {exc}", err=True)
        return EXIT_INTERNAL
    except TwofaSimError as exc:
        click.echo(f"{_command_name(args)}: error: {exc}", err=True)
        return EXIT_FAILED
    except BrokenPipeError:
        # The reader closed stdout early (`| head`): not an error of ours. Exit with the status
        # the command had decided on before printing, and keep Python's final flush quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return root.meta.get(_STATUS, EXIT_OK) if root is not None else EXIT_OK
    except Exception as exc:
        if os.environ.get("TWOFA_SIM_DEBUG"):
            raise
        click.echo(
            f"{_command_name(args)}: internal error: {type(exc).__name__}: {exc} "
            "(set TWOFA_SIM_DEBUG=1 for a traceback, and please report it)",
            err=True,
        )
        return EXIT_INTERNAL
    return result if isinstance(result, int) else EXIT_OK


# The scenario, report and skew commands live in their own modules; importing them registers
# them on ``cli``.
from twofa_sim import _cli_report, _cli_run, _cli_skew  # noqa: E402, F401
