"""``twofa-sim demo``: one user's story through the reference service, told step by step."""

from __future__ import annotations

import click

from twofa_sim.cli.common import EXIT_FAILED, EXIT_OK, emit_json, locate, will_exit
from twofa_sim.errors import CommandFailed, InputError

__all__ = ["demo"]


@click.command()
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
@click.option(
    "--provider",
    type=click.Choice(["messages", "verify"]),
    default="messages",
    show_default=True,
    help="What the service uses: Twilio Messages + Authy, or Twilio Verify (SMS channel).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="The world's seed.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def demo(
    channel: str,
    app: str,
    device_offset: str,
    store: str,
    provider: str,
    seed: int,
    as_json: bool,
) -> None:
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
            provider=provider,
        )
    except InputError as exc:
        where = {"device_offset": "--device-offset", "channel": "--channel"}
        raise locate(exc, where) from None
    will_exit(EXIT_OK if report.ok else EXIT_FAILED)
    if as_json:
        emit_json(report.as_json())
    else:
        click.echo(report.text())
    if not report.ok:
        raise CommandFailed()
