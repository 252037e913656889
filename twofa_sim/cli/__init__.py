"""The ``twofa-sim`` command line. Parses, calls the library, prints; no logic of its own.

Exit codes, every command: 0 success, 1 a check failed, 2 bad input or usage (one line on stderr
naming the bad input), 3 internal error; 128 + N when stopped by signal N (130: SIGINT, 143:
SIGTERM).

The group and :func:`main` live here; each command family in its own module (:mod:`.otp`,
:mod:`.qr`, :mod:`.demo`, :mod:`.run`, :mod:`.report`, :mod:`.skew`, :mod:`.drift`), shared
helpers in :mod:`.common`. Every command is registered below, in one place. A command imports
what it needs when it runs, so ``twofa-sim --version`` or ``twofa-sim report`` loads no more than
it uses.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from types import FrameType

import click

from twofa_sim import __version__
from twofa_sim.cli.common import ARGV, EXIT_FAILED, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, PROG, STATUS
from twofa_sim.cli.compare import compare
from twofa_sim.cli.demo import demo
from twofa_sim.cli.drift import drift
from twofa_sim.cli.otp import code, uri, vectors
from twofa_sim.cli.qr import qr
from twofa_sim.cli.report import keygen, report
from twofa_sim.cli.run import requirements, run, schema, steps
from twofa_sim.cli.serve import serve, serve_reference
from twofa_sim.cli.skew import skew
from twofa_sim.errors import (
    CommandFailed,
    DecoderUnavailableError,
    InputError,
    Interrupted,
    TwofaSimError,
)

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name=PROG)
def cli() -> None:
    """twofa-sim: a test harness and simulation suite for two-factor authentication.

    Exit codes: 0 success, 1 a check failed, 2 bad input or usage, 3 internal error, 128 + N
    stopped by signal N (130: Ctrl-C, 143: SIGTERM).
    """


for _command in (
    code,
    vectors,
    uri,
    qr,
    demo,
    run,
    schema,
    steps,
    requirements,
    report,
    compare,
    keygen,
    skew,
    drift,
    serve,
    serve_reference,
):
    cli.add_command(_command)


def _command_name(args: Sequence[str]) -> str:
    words = [PROG]
    for arg in args:
        if arg.startswith("-"):
            break
        words.append(arg)
        if len(words) == 3:
            break
    return " ".join(words)


def _quiet_broken_pool(previous: Callable[[threading.ExceptHookArgs], object]) -> None:
    """While a run stops, ignore the InvalidStateError Python 3.11's process pool raises in its
    manager thread when its workers die as its futures are cancelled (a race in CPython's
    pool): the run is stopping anyway, and the user gets one line, not a traceback."""
    from concurrent.futures import InvalidStateError

    def hook(args: threading.ExceptHookArgs) -> None:
        if not issubclass(args.exc_type, InvalidStateError):
            previous(args)

    threading.excepthook = hook


def _stop(signum: int, frame: FrameType | None) -> None:
    """SIGINT or SIGTERM: stop the worker processes (they would finish their work first), then
    unwind the command with :class:`~twofa_sim.errors.Interrupted`."""
    import multiprocessing

    children = multiprocessing.active_children()
    if children:
        _quiet_broken_pool(threading.excepthook)
    for child in children:
        child.terminate()
    raise Interrupted(signum)


@contextlib.contextmanager
def _signals_stop_the_command() -> Iterator[None]:
    """Install :func:`_stop` for SIGINT and SIGTERM while a command runs (the main thread only:
    an embedding program's threads keep their own handling)."""
    wanted = (signal.SIGINT, signal.SIGTERM)
    hook = threading.excepthook
    try:
        previous = {number: signal.signal(number, _stop) for number in wanted}
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        threading.excepthook = hook


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns (and, as a console script, exits with) the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    root: click.Context | None = None
    try:
        # make_context + invoke rather than cli.main: click's main turns a closed stdout into
        # exit 1 itself, where we want the command's own status.
        with _signals_stop_the_command(), cli.make_context(PROG, args) as root:
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
    except Interrupted as exc:
        try:
            words = signal.Signals(exc.signum).name
        except ValueError:
            words = f"signal {exc.signum}"
        more = f": {exc.message}" if exc.message else ""
        click.echo(f"{_command_name(args)}: interrupted by {words}{more}", err=True)
        return 128 + exc.signum
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
        return root.meta.get(STATUS, EXIT_OK) if root is not None else EXIT_OK
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
