"""The wheel a user installs: it carries the bundled scenario library, and `twofa-sim run` finds it.

Builds the wheel from this checkout (pip, hatchling from the test extra, no build isolation and no
index: nothing is downloaded), installs it alone into a fresh virtual environment whose
dependencies come from the running one, and runs a scenario from an empty directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = "totp-code-too-late"  # scenarios/totp/too-late.scenario.yaml


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_"))}
    env |= {"PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_CACHE_DIR": "1"}
    return subprocess.run(
        [str(arg) for arg in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from this checkout."""
    pytest.importorskip("hatchling", reason="hatchling comes with the test extra: make setup")
    out = tmp_path_factory.mktemp("wheel")
    built = _run(
        sys.executable,
        *("-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index"),
        *("-q", "-w", out, ROOT),
        cwd=out,
    )
    assert built.returncode == 0, built.stderr
    (path,) = out.glob("twofa_sim-*.whl")
    return path


def test_the_wheel_carries_every_bundled_scenario(wheel: Path) -> None:
    """Every file of scenarios/ is in the wheel, under twofa_sim/_library/."""
    with zipfile.ZipFile(wheel) as archive:
        packed = {
            name.removeprefix("twofa_sim/_library/")
            for name in archive.namelist()
            if name.startswith("twofa_sim/_library/")
        }
    bundled = {p.relative_to(ROOT / "scenarios").as_posix() for p in ROOT.glob("scenarios/**/*")}
    bundled = {name for name in bundled if (ROOT / "scenarios" / name).is_file()}
    assert bundled and packed == bundled


def test_twofa_sim_run_finds_the_bundled_library_when_installed_from_the_wheel(
    wheel: Path, tmp_path: Path
) -> None:
    """Installed from the wheel alone, `twofa-sim run -k ID` run from an empty directory finds
    the bundled library (not "the bundled scenario library is not installed") and passes."""
    venv = tmp_path / "venv"
    made = _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    installed = _run(
        *(sys.executable, "-m", "pip", "--python", python, "install"),
        *("-q", "--no-deps", "--no-index", wheel),
        cwd=tmp_path,
    )
    assert installed.returncode == 0, installed.stderr
    # The dependencies: the running environment's packages, on the path after the venv's own
    # (a plain path entry: its .pth files, such as an editable install of this checkout, are
    # not processed, so twofa_sim can only come from the wheel).
    purelib = _run(
        python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path
    ).stdout.strip()
    Path(purelib, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    where = _run(python, "-c", "import twofa_sim; print(twofa_sim.__file__)", cwd=tmp_path)
    assert where.stdout.startswith(str(venv)), where.stdout + where.stderr

    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    result = _run(
        venv / "bin" / "twofa-sim",
        *("run", "--jobs", "1", "-k", SCENARIO, "--report-dir", tmp_path / "reports"),
        cwd=cwd,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 scenarios: 1 passed" in result.stdout
    results = json.loads((tmp_path / "reports" / "latest" / "results.json").read_text())
    assert [s["id"] for s in results["scenarios"]] == [SCENARIO]
    assert list(cwd.iterdir()) == []  # nothing written where the user stood
