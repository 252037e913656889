#!/usr/bin/env bash
# `make blackbox`: the scenario library run black-box against examples/node-2fa.
#
# Installs what it needs if missing (Node.js and libfaketime, through scripts/setup.sh), starts
# JOBS copies of the Node service with its test-only contract layer (contract.js), each under
# libfaketime with a faketime file of its own, runs `twofa-sim run --target URL,URL --jobs JOBS`
# against them (each scenario's world is served on loopback by the runner itself), and leaves
# the report in REPORT_DIR (default reports/blackbox/latest). Extra arguments go to twofa-sim run
# (e.g. -k "login or qr"). Exit 0 when the run completed with no errors (failed scenarios are
# the findings), 1 when a scenario erred (the contract layer is broken), 2+ on a setup problem.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
VENV=${VENV:-.venv}
PYTHON="$VENV/bin/python"
JOBS=${JOBS:-2}
REPORT_DIR=${REPORT_DIR:-reports/blackbox}
say() { echo "blackbox: $*" >&2; }

if ! ls /usr/lib/*/faketime/libfaketimeMT.so.1 >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
    say "Node.js or libfaketime is missing: installing them with scripts/setup.sh"
    bash scripts/setup.sh --browser
fi
LIBFAKETIME=$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 | head -n 1)  # thread-safe build

work=$(mktemp -d "${TMPDIR:-/tmp}/twofa-blackbox.XXXXXX")
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

targets=()
for i in $(seq 1 "$JOBS"); do
    echo "2026-03-01 09:00:00" > "$work/clock$i"
    env TZ=UTC LD_PRELOAD="$LIBFAKETIME" FAKETIME_TIMESTAMP_FILE="$work/clock$i" \
        FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1 PORT=0 node examples/node-2fa/contract.js > "$work/node$i.log" 2>&1 &
    pids+=($!)
done
for i in $(seq 1 "$JOBS"); do
    url=""
    for _ in $(seq 1 300); do  # up to 30 s for each to say where it listens
        url=$(sed -n 's/^listening on \(http:[^ ]*\)$/\1/p' "$work/node$i.log")
        [ -n "$url" ] && break
        if ! kill -0 "${pids[$((i - 1))]}" 2>/dev/null; then break; fi
        sleep 0.1
    done
    if [ -z "$url" ]; then
        say "node-2fa did not start:"; cat "$work/node$i.log" >&2
        exit 3
    fi
    targets+=("$url/twofa-test")
done
target=$(IFS=,; echo "${targets[*]}")
say "node-2fa under libfaketime at $target"

status=0
"$PYTHON" -m twofa_sim run --target "$target" --jobs "$JOBS" --report-dir "$REPORT_DIR" "$@" \
    || status=$?
if [ "$status" -gt 1 ]; then
    exit "$status"
fi
errors=$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["summary"]["errors"])' \
    "$REPORT_DIR/latest/results.json")
say "report: $REPORT_DIR/latest/report.html (failed scenarios are what node-2fa gets wrong)"
if [ "$errors" != 0 ]; then
    say "$errors scenarios erred: the contract layer (contract.js) answered outside the contract"
    exit 1
fi
