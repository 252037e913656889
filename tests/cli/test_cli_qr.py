"""`twofa-sim qr make` and `twofa-sim qr read`: images in, one JSON object out, exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import segno
import zxingcpp
from PIL import Image

from tests.cli.conftest import Run

SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
URI = f"otpauth://totp/ACME%20Co:alice@example.com?secret={SECRET}&issuer=ACME%20Co"


def save_qr(path: Path, text: str, **kw: int) -> Path:
    segno.make_qr(text, error="m").save(str(path), scale=kw.get("scale", 6), border=4)
    return path


def read_json(run: Run, path: Path, *extra: str) -> tuple[int, dict[str, object]]:
    result = run("qr", "read", str(path), "--json", *extra)
    assert result.out.count("\n{") == 0  # exactly one object
    return result.code, json.loads(result.out)


def test_qr_make_then_read_round_trips(run: Run, tmp_path: Path) -> None:
    """`qr make` writes a PNG that `qr read` decodes with both decoders, agreeing."""
    out = tmp_path / "enroll.png"
    made = run("qr", "make", URI, "-o", str(out), "--error", "q", "--scale", "5")
    assert made.code == 0 and out.read_bytes().startswith(b"\x89PNG")
    code, report = read_json(run, out, "--show-secret")
    assert code == 0
    assert report["decoded"] == {"zbar": URI, "zxing": URI}
    assert report["agree"] is True
    assert report["uri"] == {
        "type": "totp",
        "issuer": "ACME Co",
        "account": "alice@example.com",
        "secret": SECRET,
        "algorithm": "SHA1",
        "digits": 6,
        "period": 30,
        "counter": None,
    }
    assert report["findings"] == []


def test_qr_read_masks_the_secret_everywhere_by_default(run: Run, tmp_path: Path) -> None:
    """Without --show-secret the secret appears nowhere in the output, JSON or text."""
    path = save_qr(tmp_path / "a.png", URI)
    for extra in (["--json"], []):
        result = run("qr", "read", str(path), *extra)
        assert result.code == 0
        assert SECRET not in result.out and SECRET not in result.err
        assert "GEZD…(160 bits)" in result.out


def test_qr_read_independent_encoder(run: Run, tmp_path: Path) -> None:
    """A QR code made by another encoder (zxing-cpp) reads the same."""
    barcode = zxingcpp.create_barcode(URI, zxingcpp.BarcodeFormat.QRCode)
    bitmap = zxingcpp.write_barcode_to_image(barcode, scale=5)
    path = tmp_path / "zx.png"
    Image.frombytes("L", (bitmap.shape[1], bitmap.shape[0]), bytes(bitmap)).save(path)
    code, report = read_json(run, path)
    assert code == 0 and report["agree"] is True


def test_qr_read_jpeg_screenshot(run: Run, tmp_path: Path) -> None:
    """A QR code in a larger JPEG screenshot reads."""
    png = io.BytesIO()
    segno.make_qr(URI).save(png, kind="png", scale=4, border=4)
    page = Image.new("RGB", (1280, 800), (240, 240, 245))
    page.paste(Image.open(png).convert("RGB"), (700, 250))
    path = tmp_path / "shot.jpg"
    page.save(path, quality=60)
    code, report = read_json(run, path)
    assert code == 0 and report["agree"] is True


def test_qr_read_lint_error_exits_1(run: Run, tmp_path: Path) -> None:
    """A readable QR code whose URI has an error finding exits 1 and lists the finding."""
    path = save_qr(tmp_path / "hotp.png", f"otpauth://hotp/X:a?secret={SECRET}&issuer=X")
    code, report = read_json(run, path)
    assert code == 1
    assert "hotp-counter-missing" in [f["rule"] for f in report["findings"]]  # type: ignore[index,union-attr]


def test_qr_read_not_an_otpauth_qr(run: Run, tmp_path: Path) -> None:
    """A QR code holding something else: uri is null and `not-otpauth` is an error."""
    code, report = read_json(run, save_qr(tmp_path / "web.png", "https://example.com/"))
    assert code == 1 and report["uri"] is None
    assert report["decoded"] == {"zbar": "https://example.com/", "zxing": "https://example.com/"}


def test_qr_read_no_qr_exits_1(run: Run, tmp_path: Path) -> None:
    """An image without a QR code: exit 1, decoded nulls, a `qr-not-found` finding."""
    path = tmp_path / "blank.png"
    Image.new("RGB", (200, 200), "white").save(path)
    code, report = read_json(run, path)
    assert code == 1
    assert report["decoded"] == {"zbar": None, "zxing": None} and report["agree"] is False
    assert [f["rule"] for f in report["findings"]] == ["qr-not-found"]  # type: ignore[index,union-attr]


def test_qr_read_two_codes_exits_1(run: Run, tmp_path: Path) -> None:
    """Two different QR codes in one image is ambiguous: exit 1, `qr-multiple`."""
    one, two = io.BytesIO(), io.BytesIO()
    segno.make_qr(URI).save(one, kind="png", scale=4)
    segno.make_qr("otpauth://totp/B:b?secret=" + SECRET + "&issuer=B").save(
        two, kind="png", scale=4
    )
    page = Image.new("L", (900, 450), 255)
    page.paste(Image.open(one), (20, 20))
    page.paste(Image.open(two), (470, 20))
    path = tmp_path / "two.png"
    page.save(path)
    code, report = read_json(run, path)
    assert code == 1
    assert [f["rule"] for f in report["findings"]] == ["qr-multiple"]  # type: ignore[index,union-attr]


@pytest.mark.parametrize(
    "content",
    [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"GIF89a" + b"\x00" * 5],
)
def test_qr_read_bytes_that_are_no_image_exit_2(run: Run, tmp_path: Path, content: bytes) -> None:
    """A file that is not an image: exit 2, one line naming the file, no traceback."""
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    result = run("qr", "read", str(path), "--json")
    assert result.code == 2 and result.out == ""
    assert str(path) in result.err and len(result.err.strip().splitlines()) == 1


def test_qr_read_missing_file_and_directory_exit_2(run: Run, tmp_path: Path) -> None:
    """A missing file or a directory: exit 2 naming it."""
    for target in (tmp_path / "nope.png", tmp_path):
        result = run("qr", "read", str(target))
        assert result.code == 2 and str(target) in result.err and "Traceback" not in result.err


def test_qr_make_from_stdin_and_bad_outputs(run: Run, tmp_path: Path) -> None:
    """`qr make -` reads stdin; a missing directory is exit 2 and nothing is written."""
    ok = run("qr", "make", "-", "-o", str(tmp_path / "s.png"), stdin=URI + "\n")
    assert ok.code == 0 and (tmp_path / "s.png").exists()
    bad = run("qr", "make", URI, "-o", str(tmp_path / "no" / "such" / "x.png"))
    assert bad.code == 2 and "--output" in bad.err
    assert not (tmp_path / "no").exists()


def test_qr_make_too_large_is_exit_2_and_writes_nothing(run: Run, tmp_path: Path) -> None:
    """Data past the QR capacity: exit 2 with the limit, and no file appears."""
    out = tmp_path / "big.png"
    result = run("qr", "make", "x" * 3000, "-o", str(out), "--error", "L")
    assert result.code == 2 and "2953" in result.err
    assert not out.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args",
    [["--error", "Z"], ["--scale", "0"], ["--border", "-1"], []],
)
def test_qr_make_bad_options_exit_2(run: Run, tmp_path: Path, args: list[str]) -> None:
    """Bad `qr make` options are usage errors naming the option."""
    extra = ["-o", str(tmp_path / "x.png")] if args else []
    result = run("qr", "make", URI, *extra, *args)
    assert result.code == 2 and len(result.err.strip().splitlines()) == 1


def test_qr_make_writes_a_file_with_the_usual_permissions(run: Run, tmp_path: Path) -> None:
    """The PNG is written via a temporary file, but ends up readable as any new file would."""
    import os

    umask = os.umask(0o022)
    try:
        out = tmp_path / "perm.png"
        assert run("qr", "make", URI, "-o", str(out)).code == 0
        assert out.stat().st_mode & 0o777 == 0o644
        assert [p.name for p in tmp_path.iterdir()] == ["perm.png"]  # no temporary left behind
    finally:
        os.umask(umask)


def test_qr_make_follows_a_symlink_and_keeps_it(run: Run, tmp_path: Path) -> None:
    """-o through a symlink writes the link's target; the link stays a link."""
    target = tmp_path / "target.png"
    link = tmp_path / "link.png"
    link.symlink_to(target)
    assert run("qr", "make", URI, "-o", str(link)).code == 0
    assert link.is_symlink()
    assert target.read_bytes().startswith(b"\x89PNG")


def test_qr_make_writes_into_a_fifo_without_replacing_it(run: Run, tmp_path: Path) -> None:
    """-o to a FIFO (or a device such as /dev/stdout) writes into it, never over it."""
    import os
    import stat
    import threading

    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    received: list[bytes] = []

    def reader() -> None:
        with fifo.open("rb") as handle:
            received.append(handle.read())

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    assert run("qr", "make", URI, "-o", str(fifo)).code == 0
    thread.join(timeout=10)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert received and received[0].startswith(b"\x89PNG")


def test_qr_make_dash_writes_the_png_to_stdout(tmp_path: Path) -> None:
    """`-o -` puts the PNG on stdout (and the "wrote" note on stderr), for pipelines."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "twofa_sim", "qr", "make", URI, "-o", "-"],
        capture_output=True,
        check=False,
    )
    assert out.returncode == 0
    assert out.stdout.startswith(b"\x89PNG") and b"wrote" in out.stderr


def test_qr_read_refuses_fifos_and_devices(run: Run, tmp_path: Path) -> None:
    """A FIFO with no writer or /dev/zero would be read forever: exit 2 at once instead."""
    import os

    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    for target in (str(fifo), "/dev/zero"):
        result = run("qr", "read", target)
        assert result.code == 2 and "not a regular file" in result.err


def test_qr_read_masks_a_secret_whose_parameter_name_is_encoded(run: Run, tmp_path: Path) -> None:
    """`s%65cret=` is still the secret: masked in the decoded text, and linted."""
    payload = f"otpauth://totp/ACME:alice?s%65cret={SECRET}&issuer=ACME"
    code, report = read_json(run, save_qr(tmp_path / "enc.png", payload))
    assert SECRET not in json.dumps(report)
    rules = [f["rule"] for f in report["findings"]]  # type: ignore[union-attr]
    assert "encoded-parameter-name" in rules
    assert code == 0  # a warning, not an error


def test_qr_read_escapes_control_characters_in_text_output(run: Run, tmp_path: Path) -> None:
    """A payload with a newline cannot fake extra lines of `qr read` output."""
    payload = "https://example.com/\nuri    type=totp"
    result = run("qr", "read", str(save_qr(tmp_path / "nl.png", payload)))
    lines = result.out.splitlines()
    assert not any(line.startswith("uri") for line in lines)  # not an otpauth URI: no uri line
    assert sum(line.startswith("zbar") and "\\nuri    type=totp" in line for line in lines) == 1


def test_qr_read_json_is_valid_for_an_undecodable_file_name(run: Run, tmp_path: Path) -> None:
    """A file name that is not UTF-8 still gives valid JSON (the bad bytes replaced)."""
    import os

    raw = os.path.join(os.fsencode(tmp_path), b"name-\xff.png")
    save_qr(Path(os.fsdecode(raw)), URI)
    result = run("qr", "read", os.fsdecode(raw), "--json")
    assert result.code == 0
    report = json.loads(result.out.encode("utf-8", "surrogateescape").decode("utf-8"))
    assert report["image"].endswith("name-\ufffd.png")
