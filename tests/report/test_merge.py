"""Runs split across machines: `run --shard K/N` and `report merge` (issue 15, section 5)."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.cli.conftest import Run
from twofa_sim.core.seeding import derive
from twofa_sim.errors import InputError
from twofa_sim.report.manifest import write_manifest
from twofa_sim.scenario.shard import Shard

LIBRARY = Path(__file__).parents[2] / "scenarios"
# Replays and property-based scenarios against the naive target: failures, unsupported and
# not-applicable verdicts, hypothesis draws, a dozen scenarios.
SUBSET = ("--tag", "replay", "--tag", "property", "--target", "pyotp-naive", "--seed", "11")
SMALL = ("-k", "replay", "--tag", "totp", "--seed", "5")  # a few scenarios, all passing


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The library copied out of the checkout: other work committed to it during a test would
    change the recorded git commit between two runs."""
    copy = tmp_path_factory.mktemp("library") / "scenarios"
    shutil.copytree(LIBRARY, copy)
    return copy


def _run(run: Run, library: Path, root: Path, *args: str, code: int | None = None) -> Path:
    """One run of ``library`` into ``root``; its directory (``latest``)."""
    done = run("run", str(library), *args, "--report-dir", str(root))
    assert done.code in ((0, 1) if code is None else (code,)), done.err
    return (root / "latest").resolve()


def _shards(run: Run, library: Path, tmp_path: Path, count: int, *args: str) -> list[Path]:
    return [
        _run(run, library, tmp_path / f"shard{k}", *args, "--shard", f"{k}/{count}")
        for k in range(1, count + 1)
    ]


@given(
    ids=st.lists(st.text("abcxyz-_0123456789", min_size=1, max_size=6), unique=True, max_size=40),
    count=st.integers(1, 8),
    order=st.randoms(use_true_random=False),
)
def test_every_scenario_is_in_exactly_one_shard_whatever_the_file_order(
    ids: list[str], count: int, order: random.Random
) -> None:
    """The split is a sorted round-robin over scenario ids: the N shards are disjoint, cover
    every scenario, differ in size by one at most, and do not change when the files are
    found in another order; a shard keeps the run's order."""

    class Item:
        def __init__(self, name: str) -> None:
            self.id = name

    items = [Item(i) for i in ids]
    shuffled = items[:]
    order.shuffle(shuffled)
    shares = [Shard(k, count).take(items) for k in range(1, count + 1)]
    again = [Shard(k, count).take(shuffled) for k in range(1, count + 1)]
    assert sorted(i.id for share in shares for i in share) == sorted(ids)
    assert [{i.id for i in s} for s in shares] == [{i.id for i in s} for s in again]
    sizes = [len(s) for s in shares]
    assert max(sizes) - min(sizes) <= 1
    for share in shares:
        positions = [items.index(i) for i in share]
        assert positions == sorted(positions)


@pytest.mark.parametrize("text", ["0/3", "4/3", "3", "a/b", "1/0", "1/1001", "-1/2"])
def test_a_bad_shard_is_bad_input(run: Run, tmp_path: Path, text: str) -> None:
    """--shard takes K/N with 1 <= K <= N: anything else exits 2 with one line naming
    --shard, before anything runs."""
    done = run("run", str(LIBRARY), "--shard", text, "--report-dir", str(tmp_path))
    assert done.code == 2
    assert "error: --shard:" in done.err and done.err.count("\n") == 1, done.err
    assert not any(tmp_path.iterdir())


def test_shards_merge_to_the_unsharded_run_byte_for_byte(
    run: Run, library: Path, tmp_path: Path
) -> None:
    """The rule: merged shards equal the unsharded run. Three shard runs of a subset (failures,
    unsupported and not applicable verdicts, property-based scenarios) merge into a directory
    whose results.json and results.jsonl are byte-identical to the run without --shard, with
    every report rendered from them (a shard's own report says it is one shard; the merged
    one does not) and one execution statement spanning the shards; each
    scenario's result in its shard is the one it has unsharded, with the seed derived from the
    run's seed and its id, not from its shard."""
    whole = _run(run, library, tmp_path / "whole", *SUBSET)
    shards = _shards(run, library, tmp_path, 3, *SUBSET)
    expected = json.loads((whole / "results.json").read_text())
    by_id = {s["id"]: s for s in expected["scenarios"]}
    for number, shard in enumerate(shards, 1):
        data = json.loads((shard / "results.json").read_text())
        assert data["shard"]["index"] == number and data["shard"]["count"] == 3
        assert data["shard"]["selection"] == list(by_id)
        assert "--shard" in data["reproducibility"]["command"]
        for report in ("report.md", "report.html"):  # a shard's report says it is one
            assert f"Shard {number}/3 of a run" in (shard / report).read_text()
        junit = (shard / "junit.xml").read_text()  # so does its junit, for the CI tool
        assert f"(shard {number}/3)" in junit
        assert f'<property name="shard.of_scenarios" value="{len(by_id)}"' in junit
        for entry in data["scenarios"]:
            assert entry == by_id[entry["id"]]
            assert entry["seed"] == derive(11, entry["id"])
    merged = tmp_path / "merged"
    done = run("report", "merge", *map(str, reversed(shards)), "-o", str(merged))
    assert done.code == 1, "the merged run has failures: exit 1, as run's"
    assert f"merged 3 shards: {len(by_id)} scenarios" in done.out
    for name in ("results.json", "results.jsonl"):
        assert (merged / name).read_bytes() == (whole / name).read_bytes(), name
    for fmt, name in (("md", "report.md"), ("junit", "junit.xml"), ("html", "report.html")):
        assert run("report", str(merged), "--format", fmt).out == (merged / name).read_text()
    assert "Shard" not in (merged / "report.md").read_text()
    assert "shard" not in (merged / "junit.xml").read_text()
    assert run("report", "verify", str(merged)).code == 0
    execution = json.loads((merged / "execution.json").read_text())
    assert [s["id"] for s in execution["scenarios"]] == list(by_id)
    assert [s["shard"] for s in execution["shards"]] == ["1/3", "2/3", "3/3"]
    assert execution["started"] == min(s["started"] for s in execution["shards"])
    record = json.loads((merged / "merge.json").read_text())
    assert [s["shard"] for s in record["shards"]] == ["1/3", "2/3", "3/3"]
    assert sum(s["scenarios"] for s in record["shards"]) == len(by_id)


def test_more_shards_than_scenarios_leaves_empty_shards_that_still_merge(
    run: Run, library: Path, tmp_path: Path
) -> None:
    """A fixed CI matrix may be wider than a small selection: a shard with no scenario is a
    run of nothing (exit 0), and the shards still merge to the unsharded result."""
    whole = _run(run, library, tmp_path / "whole", *SMALL, code=0)
    count = len(json.loads((whole / "results.json").read_text())["scenarios"]) + 1
    shards = _shards(run, library, tmp_path, count, *SMALL)
    assert json.loads((shards[-1] / "results.json").read_text())["scenarios"] == []
    merged = tmp_path / "merged"
    assert run("report", "merge", *map(str, shards), "-o", str(merged)).code == 0
    assert (merged / "results.json").read_bytes() == (whole / "results.json").read_bytes()


def _refusal(run: Run, tmp_path: Path, *sources: Path, options: tuple[str, ...] = ()) -> str:
    out = tmp_path / "out"
    done = run("report", "merge", *map(str, sources), "-o", str(out), *options)
    assert done.code == 2, done
    assert "error: " in done.err and done.err.count("\n") == 1, done.err
    assert "Traceback" not in done.err
    assert not out.exists() or not any(out.iterdir()), "nothing written on a refusal"
    return done.err


def test_merge_refuses_shards_that_are_not_one_whole_run(
    run: Run, library: Path, tmp_path: Path
) -> None:
    """Shards of another seed, target or scenario set, a shard twice, a shard missing, a run
    that is not a shard: each refused, exit 2, one line naming the directory at fault."""
    one, two = _shards(run, library, tmp_path / "a", 2, *SMALL)
    seed = _run(run, library, tmp_path / "seed", *SMALL[:-1], "6", "--shard", "2/2")
    target = _run(run, library, tmp_path / "t", *SMALL, "--target", "pyotp-naive", "--shard", "2/2")
    fewer = _run(
        run, library, tmp_path / "k", "-k", "replay and window", *SMALL[2:], "--shard", "2/2"
    )
    plain = _run(run, library, tmp_path / "plain", *SMALL)
    assert f"{seed}: shard 2/2 is not of the same run: another seed: 6 here, 5" in _refusal(
        run, tmp_path, one, seed
    )
    assert "another target" in _refusal(run, tmp_path, one, target)
    said = _refusal(run, tmp_path, one, fewer)
    assert f"error: {fewer}: " in said and "another scenario set" in said
    assert "shard 1/2 given twice" in _refusal(run, tmp_path, one, one)
    assert "shard 2/2 missing" in _refusal(run, tmp_path, one)
    assert f"{plain}: not a shard run" in _refusal(run, tmp_path, one, plain)
    assert run("report", "merge", str(one), str(two), "-o", str(tmp_path / "ok")).code == 0


def test_merge_refuses_unfinished_and_edited_shards(
    run: Run, library: Path, tmp_path: Path
) -> None:
    """A shard killed before it finished (no manifest, or only its results.jsonl), a shard
    edited since it ran, another twofa-sim version: refused, naming the shard; a merge never
    writes into a directory that is not empty."""
    one, two = _shards(run, library, tmp_path / "a", 2, *SMALL)
    unfinished = tmp_path / "unfinished"
    shutil.copytree(two, unfinished)
    (unfinished / "manifest.json").unlink()
    assert f"{unfinished}: an incomplete run" in _refusal(run, tmp_path, one, unfinished)
    (unfinished / "results.json").unlink()
    assert f"{unfinished}: an incomplete run" in _refusal(run, tmp_path, one, unfinished)
    edited = tmp_path / "edited"
    shutil.copytree(two, edited)
    with (edited / "report.md").open("a") as handle:
        handle.write("all good\n")
    assert f"{edited}: does not match its manifest" in _refusal(run, tmp_path, one, edited)
    other = tmp_path / "other"
    shutil.copytree(two, other)
    data = json.loads((other / "results.json").read_text())
    data["reproducibility"]["twofa_sim"] = "0.0.1"
    (other / "results.json").write_text(json.dumps(data))
    write_manifest(other)  # as a careful forger would
    assert "another twofa-sim version" in _refusal(run, tmp_path, one, other)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x").write_text("mine")
    done = run("report", "merge", str(one), str(two), "-o", str(busy))
    assert done.code == 2 and "not empty" in done.err
    assert [p.name for p in busy.iterdir()] == ["x"]


def test_a_signed_run_and_a_signed_merge(run: Run, library: Path, tmp_path: Path) -> None:
    """run --sign-key signs the run as it ends (results.json is the same bytes as unsigned:
    the key's path is no part of the recorded command); merge --public-key checks every
    shard's signature first, and merge --key signs the merged run, which verifies intact."""
    key, pub = tmp_path / "key.pem", tmp_path / "key.pub"
    other_key, other_pub = tmp_path / "other.pem", tmp_path / "other.pub"
    assert run("keygen", str(key), str(pub)).code == 0
    assert run("keygen", str(other_key), str(other_pub)).code == 0
    plain = _run(run, library, tmp_path / "plain", *SMALL)
    signed = _run(run, library, tmp_path / "signed", *SMALL, "--sign-key", str(key))
    assert (signed / "attestation.dsse.json").is_file()
    assert (signed / "results.json").read_bytes() == (plain / "results.json").read_bytes()
    assert run("report", "verify", str(signed), "--public-key", str(pub)).code == 0
    shards = _shards(run, library, tmp_path / "s", 2, *SMALL, "--sign-key", str(key))
    merged = tmp_path / "merged"
    done = run(
        "report", "merge", *map(str, shards), "-o", str(merged), "--key", str(key),
        "--public-key", str(pub),
    )  # fmt: skip
    assert done.code == 0 and "signed" in done.out, done.err
    assert run("report", "verify", str(merged), "--public-key", str(pub)).out.startswith("intact")
    refused = _refusal(run, tmp_path, *shards, options=("--public-key", str(other_pub)))
    assert "not signed by that key" in refused


def test_a_bad_sign_key_is_refused_before_the_run(run: Run, library: Path, tmp_path: Path) -> None:
    """run --sign-key with a public key, or no file: exit 2 naming it, and no run is made."""
    key, pub = tmp_path / "key.pem", tmp_path / "key.pub"
    run("keygen", str(key), str(pub))
    reports = tmp_path / "reports"
    for bad in (pub, tmp_path / "none.pem"):
        done = run(
            "run", str(library), *SMALL, "--sign-key", str(bad), "--report-dir", str(reports)
        )
        assert done.code == 2 and bad.name in done.err and done.err.count("\n") == 1
    assert not reports.exists()


def test_merging_nothing_or_into_a_shard_is_bad_input(tmp_path: Path) -> None:
    """merge_runs with no directory, or writing into one of its shards: a located error."""
    from twofa_sim.report.merge import merge_runs

    with pytest.raises(InputError, match="no shard run directories"):
        merge_runs([], tmp_path / "out")
    with pytest.raises(InputError, match="is one of the shards"):
        merge_runs([tmp_path], tmp_path)


SCOPE = """system: {name: Acme Login, version: "2.10", environment: staging, owner: Identity team}
standards: {ASVS5: L2, NIST-63B4: AAL2}
not_applicable:
  - {id: ASVS5-6.6.3, reason: Acme Login sends no codes by e-mail}
sign_off: [{role: Security lead}]
"""


def test_shards_of_a_scoped_run_merge_to_the_scoped_result(
    run: Run, library: Path, tmp_path: Path
) -> None:
    """A run with --scope: the merged requirement rows are judged by the run's scope again
    (level, applicability, reason; the in-scope counts), so the merged results.json is the
    unsharded one's bytes; a shard of another scope is refused."""
    scope = tmp_path / "scope.yaml"
    scope.write_text(SCOPE)
    scoped = (*SMALL, "--scope", str(scope))
    whole = _run(run, library, tmp_path / "whole", *scoped)
    shards = _shards(run, library, tmp_path, 2, *scoped)
    merged = tmp_path / "merged"
    assert run("report", "merge", *map(str, shards), "-o", str(merged)).code == 0
    assert (merged / "results.json").read_bytes() == (whole / "results.json").read_bytes()
    assert '"applicability": "out_of_scope"' in (merged / "results.json").read_text()
    scope.write_text(SCOPE.replace("ASVS5: L2", "ASVS5: L3"))
    other = _run(
        run, library, tmp_path / "other", *scoped[:-2], "--scope", str(scope), "--shard", "2/2"
    )
    assert "another scope" in _refusal(run, tmp_path, shards[0], other)
