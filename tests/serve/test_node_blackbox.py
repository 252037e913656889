"""``make blackbox`` in CI: the library run black-box against examples/node-2fa (Node.js under
libfaketime, through its contract layer), on a bounded selection of scenarios whose verdicts
the example's README reports. What the Node service gets right passes; what it gets wrong
fails, with the reason the README gives; nothing errs (the contract layer holds)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.serve.blackbox import LIBFAKETIME, ROOT

SCRIPT = ROOT / "examples" / "node-2fa" / "blackbox.sh"

EXPECTED = {
    # right: the flow, codes bound to their login and number, expiry, outages, the QR code
    "login-with-sms": "passed",
    "login-with-totp": "passed",
    "login-sms-code-single-use": "passed",
    "phone-code-expired": "passed",
    "phone-code-bound-to-its-number": "passed",
    "providers-twilio-outage-at-login": "passed",
    "qr-scan-google-authenticator": "passed",
    "qr-unconfirmed-secret-not-active": "passed",
    # wrong: no replay protection, no throttling, no limit on sends, the old number dropped, no
    # way to turn 2FA off
    "totp-replay-within-window": "failed",
    "phone-sms-code-replay": "failed",
    "qr-confirm-wrong-code": "failed",
    "phone-change-number": "failed",
    "account-disable-two-factor": "failed",
    "phone-sms-pumping-limited": "failed",  # every ask for a code is an SMS
    # what it cannot show, and settings it does not have
    "account-audit-log": "unsupported",
    "phone-resend-cooldown": "not_applicable",  # both ask for the target's own cooldown
    "phone-resend-cooldown-survives-restart": "not_applicable",
}


@pytest.mark.skipif(
    shutil.which("node") is None or not LIBFAKETIME.exists(),
    reason="needs node and libfaketime (make blackbox installs them)",
)
def test_make_blackbox_reports_what_the_node_service_gets_right_and_wrong(tmp_path: Path) -> None:
    """Rule: the black-box run of the Node example completes without errors and gives the
    verdicts its README reports."""
    reports = tmp_path / "reports"
    done = subprocess.run(
        ["bash", str(SCRIPT), "-k", " or ".join(EXPECTED)],
        env={**os.environ, "JOBS": "2", "REPORT_DIR": str(reports)},
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    data = json.loads((reports / "latest" / "results.json").read_text())
    found = {s["id"]: s["verdict"] for s in data["scenarios"]}
    assert found == EXPECTED
    assert data["summary"]["errors"] == 0
    details = {s["id"]: s.get("detail", "") for s in data["scenarios"]}
    assert "expected replayed, got accepted" in details["totp-replay-within-window"]
    assert "confirm_app: expected rejected, got accepted" in details["qr-confirm-wrong-code"]
    assert (reports / "latest" / "report.html").exists()
