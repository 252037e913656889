"""``twofa-sim serve``: the fake providers on real HTTP, for a service in any language."""

from __future__ import annotations

from pathlib import Path

import click

from twofa_sim.cli.common import read_arg
from twofa_sim.errors import InputError

__all__ = ["serve", "serve_reference"]

_OPTIONS = {
    "port": "--port",
    "token": "--token",
    "clock": "--clock",
    "faketime_file": "--faketime-file",
    "world": "--world",
    "clock_hook": "--clock-hook",
}


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8025,
    show_default=True,
    help="Port to listen on (0: any free port, printed on start).",
)
@click.option(
    "--world",
    "world_file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE.yaml",
    help="The world to serve: a world description, or a scenario file (its given:).",
)
@click.option("--seed", metavar="N", help="The world's seed (overrides the file's).")
@click.option(
    "--clock",
    type=click.Choice(["virtual", "real"]),
    default="virtual",
    show_default=True,
    help="virtual: time moves only through the control API; real: the wall clock.",
)
@click.option(
    "--faketime-file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PATH",
    help="Write the virtual time here on every move, for a service run under libfaketime.",
)
@click.option(
    "--faketime-style",
    type=click.Choice(["start-at", "freeze"]),
    default="start-at",
    show_default=True,
    help="start-at: '@YYYY-MM-DD hh:mm:ss' (the service's clock runs on); freeze: a stopped clock.",
)
@click.option(
    "--clock-hook",
    metavar="URL",
    help="POST {now, iso} to this URL before every move of the clock (for a service that "
    "cannot run under libfaketime); a failed call fails the move.",
)
@click.option(
    "--token",
    envvar="TWOFA_SIM_SERVE_TOKEN",
    metavar="TOKEN",
    help="Protect the control API with 'Authorization: Bearer TOKEN' ('-': read from stdin; "
    "or set TWOFA_SIM_SERVE_TOKEN).",
)
def serve(
    host: str,
    port: int,
    world_file: Path | None,
    seed: str | None,
    clock: str,
    faketime_file: Path | None,
    faketime_style: str,
    clock_hook: str | None,
    token: str | None,
) -> None:
    """Serve the fake Twilio (Messages, Verify) and Authy APIs, a control API and an inbox
    page over HTTP, until Ctrl-C or SIGTERM (exit 0).

    Point your service's Twilio client at http://HOST:PORT/twilio (Verify: /verify) and its
    Authy client at /authy; read the fakes' credentials from /_twofa/world.
    """
    from twofa_sim.serve import serve as run_server

    chosen_seed: int | str | None = seed
    if seed is not None and seed.lstrip("-").isdigit():
        chosen_seed = int(seed)
    try:
        run_server(
            host,
            port,
            world_file,
            chosen_seed,
            clock,  # type: ignore[arg-type]
            faketime_file,
            read_arg(token, "--token") if token is not None else None,
            faketime_style=faketime_style,  # type: ignore[arg-type]
            clock_hook=clock_hook,
        )
    except InputError as exc:
        if exc.where in _OPTIONS:
            raise exc.at(_OPTIONS[exc.where]) from None
        raise


@click.command("serve-reference")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8030,
    show_default=True,
    help="Port to listen on (0: any free port, printed on start).",
)
@click.option(
    "--clock",
    type=click.Choice(["system", "hook"]),
    default="system",
    show_default=True,
    help="system: read the system clock (run it under libfaketime: the runner writes its "
    "FAKETIME_TIMESTAMP_FILE); hook: read the time POST /clock last gave.",
)
@click.option(
    "--provider-timeout",
    type=click.FloatRange(0.1, 60),
    default=2.0,
    show_default=True,
    help="Seconds its Twilio, Authy and Verify clients wait for the served fakes.",
)
def serve_reference(host: str, port: int, clock: str, provider_timeout: float) -> None:
    """Run the reference service as a separate process behind the HTTP target contract, until
    Ctrl-C or SIGTERM (exit 0): it talks to the served fakes over real HTTP and reads the time
    from libfaketime or a clock hook. Drive it with twofa-sim run --target http://HOST:PORT.
    """
    from twofa_sim.serve.refservice import run as run_reference

    run_reference(host, port, clock, provider_timeout=provider_timeout)
