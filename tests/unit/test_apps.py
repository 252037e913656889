"""Authenticator apps scanning QR codes and showing codes, each as its profile says."""

from __future__ import annotations

import pytest
import zxingcpp
from PIL import Image

from twofa_sim.core.appcompat import PARAMETERS, AppProfile, Parameter, Support, load_profiles
from twofa_sim.core.clock import DeviceClock, VirtualClock
from twofa_sim.core.keyuri import build_uri
from twofa_sim.core.otp import OtpParams, TotpVerifier, hotp, totp
from twofa_sim.core.qr import render_png
from twofa_sim.errors import InputError, NoSuchAccountError
from twofa_sim.world.apps import AuthenticatorApp

SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
NOW = 1_800_000_005.0
NON_DEFAULT = {"algorithm": "SHA512", "digits": 8, "period": 60}


def phone_app(profile_id: str, *, offset: float = 0.0) -> tuple[VirtualClock, AuthenticatorApp]:
    clock = VirtualClock(NOW)
    return clock, AuthenticatorApp(profile_id, DeviceClock(clock, offset=offset))


def uri(**params: object) -> str:
    return build_uri(secret=SECRET, account="alice", issuer="ACME", **params)  # type: ignore[arg-type]


@pytest.mark.parametrize("app_profile", load_profiles(), ids=lambda p: p.id)
@pytest.mark.parametrize("parameter", PARAMETERS)
def test_every_profile_follows_its_data_for_every_parameter(
    app_profile: AppProfile, parameter: Parameter
) -> None:
    """honoured: the URI's value; ignored: the default (codes silently wrong); refused: no scan."""
    _, app = phone_app(app_profile.id)
    asked = {parameter: NON_DEFAULT[parameter]}
    result = app.scan(render_png(uri(**asked)))
    support = app_profile.support(parameter)
    if support is Support.REFUSED:
        assert not result.accepted and parameter in result.reason
        return
    assert result.accepted and result.account is not None
    used = {"algorithm": "SHA1", "digits": 6, "period": 30}
    if support is not Support.IGNORED:  # honoured, or no report (assumed honoured)
        used.update(asked)
    expected = totp(SECRET, NOW, **used)  # type: ignore[arg-type]
    assert app.code("ACME", "alice") == expected
    assert (parameter in result.account.ignored) == (support is Support.IGNORED)
    assert (parameter in result.account.assumed) == (support is None)


def test_an_app_that_ignores_parameters_shows_sha1_6_30_codes_the_server_rejects() -> None:
    """Google Authenticator (Android, 2012-2018) on a SHA256/8/60 URI: SHA1/6/30 codes."""
    _, app = phone_app("google-authenticator-android-2012")
    assert app.scan(render_png(uri(algorithm="SHA256", digits=8, period=60))).accepted
    shown = app.code("ACME", "alice")
    assert shown == totp(SECRET, NOW)  # what the app really computes
    server = TotpVerifier(SECRET, OtpParams("SHA256", 8, 60))  # type: ignore[arg-type]
    assert not server.verify(shown, NOW).accepted  # the silent failure QA must see


def test_an_app_that_refuses_says_why() -> None:
    """Google Authenticator (Android, 2023) refuses a SHA256 URI at scan time."""
    _, app = phone_app("google-authenticator-android-2023")
    result = app.scan(render_png(uri(algorithm="SHA256")))
    assert not result.accepted and "SHA256" in result.reason
    assert app.accounts == []


def test_freeotp_honours_everything_at_once() -> None:
    """FreeOTP shows the SHA512/8/60 code the URI asks for, which the server accepts."""
    _, app = phone_app("freeotp-2018")
    assert app.scan(render_png(uri(**NON_DEFAULT))).accepted
    server = TotpVerifier(SECRET, OtpParams("SHA512", 8, 60))  # type: ignore[arg-type]
    assert server.verify(app.code("ACME", "alice"), NOW).accepted


def test_codes_follow_the_phones_own_clock() -> None:
    """A phone 40 s fast shows the code of the step 40 s ahead of true time."""
    clock, app = phone_app("freeotp-2018", offset=40)
    app.scan(render_png(uri()))
    assert app.code("ACME", "alice") == totp(SECRET, NOW + 40)
    clock.advance("10m")
    assert app.code("ACME", "alice") == totp(SECRET, NOW + 600 + 40)


def test_the_key_uri_formats_80_bit_example_scans() -> None:
    """Apps take short secrets pyotp refuses by default (the wiki's JBSWY3DPEHPK3PXP)."""
    _, app = phone_app("google-authenticator-2024")
    example = "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example"
    assert app.scan(render_png(example)).accepted
    assert app.code("Example", "alice@google.com") == totp("JBSWY3DPEHPK3PXP", NOW)


def test_a_qr_code_made_by_another_encoder_scans() -> None:
    """The app reads images it did not make (zxing-cpp's encoder), as a camera would."""
    import io

    barcode = zxingcpp.create_barcode(uri(), zxingcpp.BarcodeFormat.QRCode)
    bitmap = zxingcpp.write_barcode_to_image(barcode, scale=4)
    image = Image.frombytes("L", (bitmap.shape[1], bitmap.shape[0]), bytes(bitmap))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    _, app = phone_app("freeotp-2018")
    assert app.scan(buffer.getvalue()).accepted


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"not an image", "not an image"),
        (render_png("https://example.com/"), "otpauth"),
        (render_png("otpauth://totp/A:a?issuer=A"), "otpauth"),
    ],
)
def test_scans_that_fail_say_why(content: bytes, reason: str) -> None:
    """No image, a non-otpauth QR, a URI without a secret: refused with a reason."""
    _, app = phone_app("freeotp-2018")
    result = app.scan(content)
    assert not result.accepted and reason in result.reason


def test_blank_image_has_no_qr() -> None:
    """A photo with no QR code in it: refused, 'no QR code found'."""
    import io

    buffer = io.BytesIO()
    Image.new("L", (200, 200), 255).save(buffer, format="PNG")
    _, app = phone_app("freeotp-2018")
    assert app.scan(buffer.getvalue()).reason == "no QR code found"


def test_hotp_counter_moves_with_each_press() -> None:
    """HOTP: the first code is the URI's counter, each press shows the next."""
    _, app = phone_app("freeotp-2018")
    app.scan(render_png(uri(type="hotp", counter=5)))
    assert app.code("ACME", "alice") == hotp(SECRET, 5)
    assert app.press("ACME", "alice") == hotp(SECRET, 6)
    assert app.code("ACME", "alice") == hotp(SECRET, 6)


def test_unknown_account() -> None:
    """Asking for an account the app does not hold is a clear error."""
    _, app = phone_app("freeotp-2018")
    with pytest.raises(NoSuchAccountError, match="ACME:bob"):
        app.code("ACME", "bob")


def test_unknown_profile() -> None:
    """An app profile that is not in the data is refused, naming the known ones."""
    with pytest.raises(InputError, match="google-authenticator-android-2012"):
        AuthenticatorApp("nokia-authenticator-1999", VirtualClock(0))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (f"otpauth://totp/ACME:alice?secret={SECRET}&issuer=ACME&digits=0", "digits=0"),
        (f"otpauth://totp/ACME:alice?secret={SECRET}&issuer=ACME&digits=11", "digits=11"),
        (f"otpauth://totp/ACME:alice?secret={SECRET}&issuer=ACME&period=0", "period=0"),
        (f"otpauth://hotp/ACME:alice?secret={SECRET}&issuer=ACME&counter={2**64}", "counter="),
    ],
)
def test_a_uri_no_app_can_compute_is_refused_at_scan(text: str, reason: str) -> None:
    """An honouring app refuses nonsense parameters at scan time, saying which (no later crash)."""
    _, app = phone_app("freeotp-2018")
    result = app.scan(render_png(text))
    assert not result.accepted and reason in result.reason
