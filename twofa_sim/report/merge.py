"""``twofa-sim report merge``: shard runs (``run --shard K/N``) joined into one run directory.

Each shard run records ``shard`` in its results.json: its share ``index`` of ``count``, and the
``selection``, the ids of every scenario chosen for the whole run in run order. Merging checks
the shards belong together and are whole, then writes one run directory as ``twofa-sim run``
would have without ``--shard``: ``results.jsonl``, ``results.json`` (byte-identical to the
unsharded run's: the scenarios in run order, the summary and the traceability matrix computed
again over all of them, the ``shard`` block left out, and ``--shard`` left out of the recorded
command), every report rendered again, ``merge.json`` (which shard runs, by their folder name
and the SHA-256 of their ``results.json`` and ``manifest.json``), one ``manifest.json`` and,
with a key, one signed attestation.

Refused, as bad input naming the shard directory: a directory that is not a finished run
(killed, or stopped during its final writes), one whose files do not match its manifest (or,
with a public key, its signed attestation), one that is not a shard run, shards that differ in
anything but their share (seed, target, scenario set, versions of twofa-sim, of the target and
of the key packages, the scenario files' commit, Python, the platform, policy, provider, scope,
or the command apart from ``--shard``), a shard given twice, a shard missing, and a scenario in
two shards or in none.
"""

from __future__ import annotations

import hashlib
import json
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from twofa_sim.errors import InputError
from twofa_sim.files import write_atomically

__all__ = ["MERGE_RECORD", "MergedRun", "merge_runs", "unsharded_command"]

MERGE_RECORD = "merge.json"
_PER_SHARD = ("summary", "scenarios", "requirements", "shard")
"""Blocks each shard has its own of: computed again (or left out) when merged."""
_NAMES = {
    "seed": "seed",
    "target": "target",
    "schema_version": "results schema version",
    "shard.count": "number of shards",
    "shard.selection": "scenario set",
    "reproducibility.twofa_sim": "twofa-sim version",
    "reproducibility.git": "scenario files' git commit",
    "reproducibility.python": "Python version",
    "reproducibility.implementation": "Python implementation",
    "reproducibility.packages": "package versions",
    "reproducibility.target_versions": "versions of the target",
    "reproducibility.platform": "platform",
    "policy": "target's policy",
    "provider": "provider",
    "scope": "scope",
    "reproducibility.command": "command (apart from --shard)",
}


@dataclass(frozen=True)
class _Shard:
    path: Path
    results: dict[str, Any]
    index: int
    count: int

    @property
    def label(self) -> str:
        return f"shard {self.index}/{self.count}"


@dataclass(frozen=True)
class MergedRun:
    """What :func:`merge_runs` wrote."""

    path: Path
    results: dict[str, Any]
    shards: int
    signed: bool


def _where(path: Path) -> str:
    return str(path)


def unsharded_command(command: str) -> str:
    """A recorded ``twofa-sim run`` command without its ``--shard K/N`` (either spelling).

    >>> unsharded_command("twofa-sim run --shard 2/3 --seed 7")
    'twofa-sim run --seed 7'
    >>> unsharded_command("twofa-sim run --shard=1/2 -- --shard")
    'twofa-sim run -- --shard'
    """
    tokens = shlex.split(command)
    kept: list[str] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token == "--":
            kept.extend(tokens[index:])
            break
        if token == "--shard":
            index += 2
            continue
        if not token.startswith("--shard="):
            kept.append(token)
        index += 1
    return shlex.join(kept)


def _common(results: Mapping[str, Any]) -> dict[str, Any]:
    """What every shard of one run must share: everything but the per-shard blocks, the shard's
    share and (in the recorded command) ``--shard``."""
    common = {k: v for k, v in results.items() if k not in _PER_SHARD}
    shard = results.get("shard") or {}
    common["shard"] = {"count": shard.get("count"), "selection": shard.get("selection")}
    reproducibility = common.get("reproducibility")
    if isinstance(reproducibility, Mapping) and isinstance(reproducibility.get("command"), str):
        common["reproducibility"] = {
            **reproducibility,
            "command": unsharded_command(reproducibility["command"]),
        }
    return common


def _at(data: Any, path: str) -> Any:
    for key in path.split("."):
        data = data.get(key) if isinstance(data, Mapping) else None
    return data


def _first_difference(a: Mapping[str, Any], b: Mapping[str, Any]) -> tuple[str, Any, Any] | None:
    """Where two shards first differ, the named blocks (:data:`_NAMES`) in their order first,
    so a shard of another seed says so rather than that its command differs."""
    for path in _NAMES:
        if _at(a, path) != _at(b, path):
            return path, _at(a, path), _at(b, path)
    return _difference(a, b)


def _difference(a: Any, b: Any, path: str = "") -> tuple[str, Any, Any] | None:
    """The first place ``a`` and ``b`` differ: its dotted path and the two values."""
    if isinstance(a, Mapping) and isinstance(b, Mapping) and path not in _NAMES:
        for key in sorted(set(a) | set(b), key=str):
            found = _difference(a.get(key), b.get(key), f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
        return None
    return None if a == b else (path, a, b)


def _shown(value: Any) -> str:
    text = "absent" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 60 else text[:57] + "..."


def _selection_difference(a: Sequence[Any], b: Sequence[Any]) -> str:
    in_a, in_b = set(a), set(b)
    only_a, only_b = [i for i in a if i not in in_b], [i for i in b if i not in in_a]
    if only_a or only_b:
        parts = [f"{len(a)} scenarios against {len(b)}"]
        if only_b:
            parts.append(f"{only_b[0]!r} only here")
        if only_a:
            parts.append(f"{only_a[0]!r} missing here")
        return "; ".join(parts)
    return "the same scenarios in another order"


def _load_shard(path: Path, public_key: Path | None) -> _Shard:
    from twofa_sim.report.manifest import MANIFEST, check_directory
    from twofa_sim.report.manifest import verify as verify_manifest
    from twofa_sim.report.rundir import RESULTS, load_results

    check_directory(path)
    where = _where(path)
    results = load_results(path)
    if (results.get("run") or {}).get("complete") is not True:
        raise InputError(
            "an incomplete run: it was stopped before it finished",
            where=where,
            hint="run that shard again",
        )
    if not (path / RESULTS).is_file() or not (path / MANIFEST).is_file():
        raise InputError("an incomplete run: no results.json or manifest.json", where=where)
    found = verify_manifest(path)
    if not found.intact:
        first = (found.changed + found.missing + found.added + found.not_regular)[0]
        raise InputError(
            f"does not match its manifest ({first!r} and maybe more)",
            where=where,
            hint=f"twofa-sim report verify {where} lists every difference",
        )
    if public_key is not None:
        from twofa_sim.report.attestation import verify_attestation

        checked = verify_attestation(path, public_key)
        if not checked.intact:
            what = "not signed by that key" if not checked.signed else "does not match"
            raise InputError(
                f"its signed attestation is {what}",
                where=where,
                hint=f"twofa-sim report verify {where} --public-key {public_key}",
            )
    shard = results.get("shard")
    if not isinstance(shard, Mapping):
        raise InputError(
            "not a shard run (results.json has no shard block)",
            where=where,
            hint="run each share with twofa-sim run --shard K/N",
        )
    index, count = shard["index"], shard["count"]
    if not 1 <= index <= count:
        raise InputError(f"shard {index}/{count}: K is not 1 to N", where=where)
    return _Shard(path, results, index, count)


def _check_together(shards: Sequence[_Shard]) -> None:
    first = shards[0]
    reference = _common(first.results)
    for shard in shards[1:]:
        found = _first_difference(reference, _common(shard.results))
        if found is None:
            continue
        path, theirs, ours = found
        what = _NAMES.get(path) or _NAMES.get(path.partition(".")[0]) or path
        if path == "shard.selection":
            detail = _selection_difference(theirs or [], ours or [])
        else:
            detail = f"{_shown(ours)} here, {_shown(theirs)} in {first.label} ({first.path})"
        raise InputError(
            f"{shard.label} is not of the same run: another {what}: {detail}",
            where=_where(shard.path),
            hint="merge shards of one run: the same command with --shard 1/N ... N/N",
        )
    seen: dict[int, _Shard] = {}
    for shard in shards:
        if shard.index in seen:
            raise InputError(
                f"{shard.label} given twice: here and in {seen[shard.index].path}",
                where=_where(shard.path),
            )
        seen[shard.index] = shard
    absent = [i for i in range(1, first.count + 1) if i not in seen]
    if absent:
        names = ", ".join(f"{i}/{first.count}" for i in absent)
        raise InputError(
            f"shard {names} missing: {len(seen)} of {first.count} shards given",
            where="DIR...",
            hint="give every shard's run directory",
        )


def _scenarios(shards: Sequence[_Shard]) -> list[dict[str, Any]]:
    """Every shard's scenarios, in run order; a scenario in two shards, or in none, refused."""
    selection = list(shards[0].results["shard"]["selection"])
    chosen = set(selection)
    by_id: dict[str, tuple[dict[str, Any], _Shard]] = {}
    for shard in shards:
        for entry in shard.results["scenarios"]:
            sid = entry["id"]
            if sid not in chosen:
                raise InputError(
                    f"{shard.label} holds scenario {sid!r}, which its selection does not name",
                    where=_where(shard.path),
                )
            if sid in by_id:
                other = by_id[sid][1]
                raise InputError(
                    f"scenario {sid!r} is in {shard.label} and in {other.label} ({other.path})",
                    where=_where(shard.path),
                )
            by_id[sid] = (entry, shard)
    missing = [sid for sid in selection if sid not in by_id]
    if missing:
        raise InputError(
            f"scenario {missing[0]!r} (and {len(missing) - 1} more) is in no shard",
            where="DIR...",
            hint="every shard ran a share of another selection: run them again",
        )
    return [by_id[sid][0] for sid in selection]


def _rescoped(merged: dict[str, Any]) -> dict[str, Any]:
    """The merged results judged by the run's scope again, as the run would have."""
    block = merged.get("scope")
    if not isinstance(block, Mapping):
        return merged
    from twofa_sim.report.scope import Scope, apply_scope

    data = {
        "system": block["system"],
        "standards": {s["source"]: s["level"] for s in block["standards"]},
        "not_applicable": block["not_applicable"],
        "sign_off": block["sign_off"],
    }
    return apply_scope(merged, Scope(data, block["sha256"]))


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _execution(shards: Sequence[_Shard], order: Sequence[str]) -> dict[str, Any] | None:
    """One execution statement for the merged run, from the shards' own: from the earliest
    start to the latest end, each scenario's duration as its shard measured it (``finished_s``
    counted from the merged start), the host fields joined where the shards differ, and each
    shard's own start, end and host under ``shards``. None when a shard has no statement."""
    from twofa_sim.report.execution import load_execution

    statements = [load_execution(shard.path) for shard in shards]
    if not all(statements):
        return None
    own = [dict(s) for s in statements if s is not None]
    starts = [_instant(s["started"]) for s in own]
    ends = [_instant(s["finished"]) for s in own]
    first, last = (
        min(range(len(own)), key=starts.__getitem__),
        max(range(len(own)), key=ends.__getitem__),
    )
    host: dict[str, Any] = {}
    for statement in own:
        for key, value in (statement.get("host") or {}).items():
            known = host.setdefault(key, value)
            if str(value) not in str(known).split(", "):
                host[key] = f"{known}, {value}"
    timed: dict[str, dict[str, Any]] = {}
    for statement, start in zip(own, starts, strict=True):
        offset = (start - starts[first]).total_seconds()
        for entry in statement.get("scenarios") or []:
            moved = {**entry, "finished_s": round(offset + float(entry["finished_s"]), 4)}
            timed[str(entry["id"])] = moved
    per_scenario = all(s.get("durations") == "per_scenario" for s in own)
    return {
        "execution_version": 1,
        "started": own[first]["started"],
        "finished": own[last]["finished"],
        "duration_s": round((ends[last] - starts[first]).total_seconds(), 3),
        "host": host,
        "jobs": max(int(s.get("jobs") or 1) for s in own),
        "durations": "per_scenario" if per_scenario else "between_results",
        "scenarios": [timed[i] for i in order if i in timed],
        "shards": [
            {
                "shard": f"{shard.index}/{shard.count}",
                **{k: s[k] for k in ("started", "finished", "duration_s", "host") if k in s},
            }
            for shard, s in zip(shards, own, strict=True)
        ],
    }


def _digest(path: Path) -> str | None:
    if not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _prepare_output(output: Path) -> None:
    if output.exists() or output.is_symlink():
        if not output.is_dir() or output.is_symlink():
            raise InputError("exists and is not a directory", where=str(output))
        if any(output.iterdir()):
            raise InputError(
                "exists and is not empty", where=str(output), hint="merge into a new directory"
            )
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create: {exc.strerror}", where=str(output)) from None


def merge_runs(
    sources: Sequence[Path],
    output: Path,
    *,
    sign_key: Path | None = None,
    public_key: Path | None = None,
) -> MergedRun:
    """Merge the shard run directories ``sources`` into the new run directory ``output``
    (missing or empty); sign it with ``sign_key`` when given; check each shard's signed
    attestation with ``public_key`` first when given. Bad input raises a located
    :class:`~twofa_sim.errors.InputError` and writes nothing."""
    from twofa_sim.core.tally import assemble
    from twofa_sim.report.manifest import MANIFEST
    from twofa_sim.report.rundir import JSONL, RESULTS, render_all

    if not sources:
        raise InputError("no shard run directories given", where="DIR...")
    if sign_key is not None:
        from twofa_sim.report.attestation import check_signing_key

        check_signing_key(sign_key)
    resolved = {src.resolve() for src in sources}
    if output.resolve() in resolved:
        raise InputError("is one of the shards: merge into a new directory", where=str(output))
    shards = [_load_shard(path, public_key) for path in sources]
    _check_together(shards)
    shards.sort(key=lambda s: s.index)
    scenarios = _scenarios(shards)
    first = shards[0].results
    common = {k: v for k, v in first.items() if k not in _PER_SHARD}
    reproducibility = common.get("reproducibility")
    if isinstance(reproducibility, Mapping) and isinstance(reproducibility.get("command"), str):
        common["reproducibility"] = {
            **reproducibility,
            "command": unsharded_command(reproducibility["command"]),
        }
    tallied = assemble(first["seed"], first["target"], scenarios)
    # The keys in the order the shard (and so the unsharded run) wrote them.
    merged = {k: tallied[k] if k in tallied else common[k] for k in first if k != "shard"}
    merged = _rescoped(merged)
    _prepare_output(output)
    header = {
        "kind": "run",
        **{k: v for k, v in merged.items() if k not in ("schema_version", "run", *_PER_SHARD)},
    }
    lines = [header, *({"kind": "scenario", **entry} for entry in scenarios)]
    write_atomically(
        output / JSONL, "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    )
    record = {
        "shards": [
            {
                "shard": f"{s.index}/{s.count}",
                "run": s.path.resolve().name,
                "scenarios": len(s.results["scenarios"]),
                "results_sha256": _digest(s.path / RESULTS),
                "manifest_sha256": _digest(s.path / MANIFEST),
            }
            for s in shards
        ]
    }
    write_atomically(output / MERGE_RECORD, json.dumps(record, indent=1) + "\n")
    pdf = all((shard.path / "report.pdf").is_file() for shard in shards)
    render_all(output, merged, _execution(shards, [s["id"] for s in scenarios]), pdf=pdf)
    if sign_key is not None:
        from twofa_sim.report.attestation import sign_run

        sign_run(output, sign_key)
    return MergedRun(output, merged, len(shards), sign_key is not None)
