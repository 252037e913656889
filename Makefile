# twofa-sim: the README's two commands are `make demo` and `make test`; both set up what they need.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SIM := $(BIN)/twofa-sim

.PHONY: setup setup-browser demo test bench bench-load blackbox lint format type check clean

setup:
	@PYTHON=$(PYTHON) VENV=$(VENV) bash scripts/setup.sh

setup-browser:
	@PYTHON=$(PYTHON) VENV=$(VENV) bash scripts/setup.sh --browser

## demo: the main job. Checks every RFC vector, round-trips an enrollment QR code through both
## decoders, then tells the seed's whole flow against the reference service (twofa-sim demo).
demo: setup
	$(SIM) vectors
	@mkdir -p reports
	$(SIM) uri make --issuer "twofa-sim demo" --account "alice@example.com" \
		| $(SIM) qr make - -o reports/demo-enrollment.png
	$(SIM) qr read reports/demo-enrollment.png
	$(SIM) demo
	$(SIM) run --jobs 2

## test: the whole suite, in parallel, with the reproducible Hypothesis profile (Chromium is
## installed if missing: a test opens report.html in it, headless).
test: setup-browser
	$(BIN)/python -m pytest -n auto --hypothesis-profile=ci -q

## blackbox: the scenario library run black-box against examples/node-2fa (Node.js under
## libfaketime, installed if missing), over the HTTP target contract; report in reports/blackbox.
blackbox: setup
	bash examples/node-2fa/blackbox.sh

## bench: ratio benchmarks (not part of `make test`).
bench: setup
	$(BIN)/python -m benchmarks

## bench-load: 50 clients on `twofa-sim serve` for LOAD_SECONDS (30) against a static server
## of the same framework, each in turn (about 75 s; apart from `bench`, which it would lengthen).
LOAD_SECONDS ?= 30
bench-load: setup
	$(BIN)/python -m benchmarks.load_serve --seconds $(LOAD_SECONDS)

lint: setup
	$(BIN)/ruff check twofa_sim tests benchmarks
	$(BIN)/ruff format --check twofa_sim tests benchmarks
	$(BIN)/lint-imports --no-logo

format: setup
	$(BIN)/ruff format twofa_sim tests benchmarks
	$(BIN)/ruff check --fix twofa_sim tests benchmarks

type: setup
	$(BIN)/mypy --strict twofa_sim

check: lint type test

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .hypothesis build dist *.egg-info
	find reports -mindepth 1 ! -name README.md -delete
