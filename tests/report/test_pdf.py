"""report.pdf: the report on paper, printed by headless Chromium from report.html's template.

Rules proved here (issue 15 §4): a paginated PDF with page numbers, contents, the verdict page
first, the scope, the traceability matrix, each scenario's evidence and a sign-off block with a
line per role; written into the run directory it is covered by the manifest and the signed
attestation; without Chromium the command says what to install and exits 2. The pages' text is
read back with a small reader (tests/report/pdftext.py), as a person would read the pages.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.cli.conftest import Outcome
from tests.report.pdftext import Pdf, squeeze
from twofa_sim.cli import main
from twofa_sim.report.pdf import find_chromium, section_pages

SCENARIOS = {
    "sms-once": """id: sms-once
title: An SMS code works once
tags: [sms]
covers: [ASVS5-6.5.1, NIST-63B4-3.1.3.2-ONCE, PCIDSS4-8.5.1-REPLAY]
given:
  users: [alice]
  phones: [{number: "+12015550110"}]
steps:
  - submit_phone:
  - advance: 5s
  - enter_code:
""",
    "sms-twice": """id: sms-twice
title: The same SMS code is refused the second time
tags: [sms, replay]
covers: [ASVS5-6.5.1]
given:
  users: [alice]
  phones: [{number: "+12015550110"}]
steps:
  - submit_phone:
  - advance: 5s
  - enter_code:
  - enter_code: {expect: accepted}
""",
}
SCOPE = """system: {name: Acme Login, version: 2.4.1, environment: staging}
standards: {ASVS5: L2, NIST-63B4: AAL2}
not_applicable:
  - {id: ASVS5-6.6.3, reason: No codes by e-mail}
sign_off:
  - {role: Security lead}
  - {role: QA lead, name: R. Roe}
  - {role: System owner}
"""


def _cli(*args: str, capsys: pytest.CaptureFixture[str]) -> Outcome:
    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One run of two scenarios (one fails) with a scope, report.pdf written into the run."""
    assert find_chromium() is not None, "Chromium is missing: make test installs it"
    root = tmp_path_factory.mktemp("pdf")
    lib = root / "lib"
    lib.mkdir()
    for name, text in SCENARIOS.items():
        (lib / f"{name}.scenario.yaml").write_text(text, encoding="utf-8")
    (root / "scope.yaml").write_text(SCOPE, encoding="utf-8")
    code = main(
        [
            "run",
            str(lib),
            "--scope",
            str(root / "scope.yaml"),
            "--pdf",
            "--report-dir",
            str(root / "o"),
        ]
    )
    assert code == 1  # sms-twice fails: the reference refuses the replayed code
    return (root / "o" / "latest").resolve()


def test_the_pdf_has_numbered_pages_verdict_first_then_contents(printed: Path) -> None:
    """Page 1 is the verdict (FAILED, the system under test); page 2 the contents, naming
    the page each section and scenario starts on; every page says "Page N of M"."""
    pdf = Pdf((printed / "report.pdf").read_bytes())
    pages = pdf.texts()
    assert len(pages) >= 6
    for number, text in enumerate(pages, 1):
        assert f"Page{number}of{len(pages)}" in squeeze(text), number
    first = squeeze(pages[0])
    assert "FAILED" in first and "AcmeLogin2.4.1" in first
    assert "1of2scenariosdidnotpass" in first
    assert squeeze(pages[1]).count("Contents") == 1
    where = section_pages((printed / "report.pdf").read_bytes())
    assert where["verdict"] == 1
    assert where["scope"] < where["requirements"] < where["scenarios"] < where["sign-off"]
    assert where["scenario-sms-once"] < where["scenario-sms-twice"] <= len(pages)
    contents = squeeze(pages[1])
    assert f"Requirementtraceability{where['requirements']}" in contents
    assert f"sms-twice{where['scenario-sms-twice']}" in contents


def test_the_pdf_holds_scope_matrix_evidence_and_a_sign_off_line_per_role(printed: Path) -> None:
    """The scope page (system, standards and levels, the declared reason), the matrix with
    its out-of-scope group, each scenario with its failing step's expected and actual, and
    on the last page one sign-off row per role of the scope."""
    pdf = Pdf((printed / "report.pdf").read_bytes())
    pages = [squeeze(t) for t in pdf.texts()]
    where = section_pages((printed / "report.pdf").read_bytes())
    scope = pages[where["scope"] - 1]
    assert "Scopeandsystemundertest" in scope and "Nocodesbye-mail" in scope
    assert "ASVS5" in scope and "L2" in scope and "AAL2" in scope
    matrix = "".join(pages[where["requirements"] - 1 : where["policy"] - 1])
    assert "Outofscope" in matrix and "ASVS5-6.5.1" in matrix
    evidence = pages[where["scenario-sms-twice"] - 1]
    assert "Thesame" in evidence and "expected" in evidence.lower()
    sign_off = pages[where["sign-off"] - 1]
    assert "Sign-off" in sign_off
    for role in ("Securitylead", "QAleadR.Roe", "Systemowner"):
        assert role in sign_off, role


def test_the_pdf_is_covered_by_the_manifest_and_the_attestation(
    printed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """report.pdf is listed in the manifest; signed, the run verifies; an edited PDF with its
    hash rewritten in the manifest is caught by the signature."""
    copy = tmp_path / "run"
    shutil.copytree(printed, copy)
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    assert "report.pdf" in manifest["files"]
    key, pub = tmp_path / "key.pem", tmp_path / "key.pub"
    assert _cli("keygen", str(key), str(pub), capsys=capsys).code == 0
    assert _cli("report", "sign", str(copy), "--key", str(key), capsys=capsys).code == 0
    assert _cli("report", "verify", str(copy), "--public-key", str(pub), capsys=capsys).code == 0
    pdf = copy / "report.pdf"
    pdf.write_bytes(pdf.read_bytes() + b"%edited\n")
    import hashlib

    manifest["files"]["report.pdf"] = hashlib.sha256(pdf.read_bytes()).hexdigest()
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    found = _cli("report", "verify", str(copy), "--public-key", str(pub), capsys=capsys)
    assert found.code == 1 and "changed: report.pdf" in found.out


def test_report_renders_the_same_pdf_again(
    printed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`twofa-sim report DIR --format pdf -o FILE` prints the run's PDF again, byte for byte
    (the PDF's dates are the run's end, not the time of printing)."""
    out = tmp_path / "again.pdf"
    result = _cli("report", str(printed), "--format", "pdf", "-o", str(out), capsys=capsys)
    assert result.code == 0, result.err
    assert out.read_bytes() == (printed / "report.pdf").read_bytes()


def test_without_chromium_the_pdf_is_refused_naming_what_to_install(
    printed: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No Chromium: one line naming what to install, exit 2, no file; a PDF to stdout is
    refused too (it is written to a file)."""
    monkeypatch.setenv("TWOFA_SIM_CHROMIUM", str(tmp_path / "no-such-browser"))
    out = tmp_path / "x.pdf"
    result = _cli("report", str(printed), "--format", "pdf", "-o", str(out), capsys=capsys)
    assert result.code == 2 and not out.exists()
    assert "no Chromium" in result.err and "apt-get install chromium" in result.err
    assert len(result.err.strip().splitlines()) == 1
    to_stdout = _cli("report", str(printed), "--format", "pdf", capsys=capsys)
    assert to_stdout.code == 2 and "-o/--output" in to_stdout.err
