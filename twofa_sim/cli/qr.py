"""``twofa-sim qr``: render an otpauth URI as a QR code, read one back from an image.

``qr read`` loads only the decoders (not segno's writers): what it does not use, it does not
import.
"""

from __future__ import annotations

from pathlib import Path

import click

from twofa_sim.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    display_path,
    emit_json,
    locate,
    print_findings,
    printable,
    read_arg,
    warn_findings,
    will_exit,
    write_output,
)
from twofa_sim.errors import CommandFailed, InputError

__all__ = ["qr"]


@click.group()
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

    text = read_arg(data, "URI")
    level_upper = level.upper()
    try:
        png = render_png(text, error=level_upper, scale=scale, border=border)  # type: ignore[arg-type]
    except InputError as exc:
        raise locate(exc, {"data": "URI", "": "URI"}) from None
    write_output(output, png, "--output")
    warn_findings(text)
    # On stderr: stdout may be the PNG itself (-o - or -o /dev/stdout).
    click.echo(f"wrote {display_path(output)} ({len(png)} bytes)", err=True)


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

    scan = scan_image(image, name=display_path(image))
    report = scan.as_dict(show_secret=show_secret)
    will_exit(EXIT_OK if scan.ok else EXIT_FAILED)
    if as_json:
        emit_json(report)
    else:
        decoded = report["decoded"]
        assert isinstance(decoded, dict)
        click.echo(f"image  {printable(scan.image)}")
        for decoder in ("zbar", "zxing"):
            text = decoded[decoder]
            click.echo(f"{decoder:<6} {'(nothing found)' if text is None else printable(text)}")
        click.echo(f"agree  {'yes' if scan.agree else 'NO'}")
        if isinstance(report["uri"], dict):
            fields = (f"{k}={v}" for k, v in report["uri"].items() if v is not None)
            click.echo("uri    " + printable("  ".join(fields)))
        accounts = report.get("accounts")
        for account in accounts if isinstance(accounts, list) else []:
            # A Google Authenticator export: one line per account it moves.
            fields = (f"{k}={v}" for k, v in account.items() if v is not None)
            click.echo("account " + printable("  ".join(fields)))
        print_findings(scan.findings)
    if not scan.ok:
        raise CommandFailed()
