"""A peer whose packages are not installed refuses with a located error naming the extra to
install: ``twofa-sim run --target ...`` exits 2 with one line, before any scenario runs. These
tests pretend the packages are missing, so they run with or without the extra installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from twofa_sim.cli import main
from twofa_sim.errors import InputError
from twofa_sim.peers import djangoapp
from twofa_sim.peers.django_otp import DjangoOtpTarget

TARGET = "twofa_sim.peers.django_otp:DjangoOtpTarget"
SCENARIO = """id: ok
title: Sign up
given:
  users: [alice]
steps:
  - login: {user: alice, expect: logged_in}
"""


@pytest.fixture
def without_django_otp(monkeypatch: pytest.MonkeyPatch) -> None:
    """django-otp looks uninstalled: its module name points nowhere."""
    packages = dict(djangoapp.PACKAGES, **{"django-otp": "twofa_sim_no_such_module"})
    monkeypatch.setattr(djangoapp, "PACKAGES", packages)


@pytest.mark.usefixtures("without_django_otp")
def test_the_target_names_the_extra_to_install() -> None:
    """The error says which package is missing and how to install it."""
    with pytest.raises(InputError) as caught:
        DjangoOtpTarget.default_policy()
    message = str(caught.value)
    assert "django-otp" in message
    assert "pip install 'twofa-sim[django]'" in message
    assert "Traceback" not in message


@pytest.mark.usefixtures("without_django_otp")
def test_run_exits_2_with_one_line_before_any_scenario(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """twofa-sim run --target the django-otp target: exit 2, one line on stderr naming the extra,
    and no run written."""
    (tmp_path / "ok.scenario.yaml").write_text(SCENARIO, encoding="utf-8")
    out = tmp_path / "out"
    code = main(["run", str(tmp_path), "--target", TARGET, "--report-dir", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "twofa-sim[django]" in lines[0]
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.usefixtures("without_django_otp")
def test_an_uninstalled_package_is_reported_missing() -> None:
    """missing_packages finds each distribution's module without importing it; the versions
    block says "not installed" for a distribution that is not."""
    assert "django-otp" in djangoapp.missing_packages()
    assert djangoapp.package_versions(["twofa-sim-no-such-dist"]) == {
        "twofa-sim-no-such-dist": "not installed"
    }


def test_django_two_factor_auth_names_the_extra_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--target django-two-factor-auth without its package: exit 2, one line naming the package
    and the extra, before anything runs."""
    packages = dict(djangoapp.PACKAGES, **{"django-two-factor-auth": "twofa_sim_no_such_module"})
    monkeypatch.setattr(djangoapp, "PACKAGES", packages)
    (tmp_path / "ok.scenario.yaml").write_text(SCENARIO, encoding="utf-8")
    out = tmp_path / "out"
    code = main(
        ["run", str(tmp_path), "--target", "django-two-factor-auth", "--report-dir", str(out)]
    )
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(lines) == 1
    assert "django-two-factor-auth" in lines[0]
    assert "pip install 'twofa-sim[django]'" in lines[0]
