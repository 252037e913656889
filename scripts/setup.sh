#!/usr/bin/env bash
# Everything `make demo` and `make test` need, installed if missing (idempotent, quiet when done):
#   1. Python >= 3.11 able to create a virtual environment
#   2. the zbar shared library, which pyzbar loads at run time (Debian/Ubuntu: libzbar0)
#   3. .venv holding twofa-sim (editable) with its test extra and the django extra (the
#      django-otp peer target's packages, so its tests run instead of skipping)
#   4. with --browser (what `make test` passes): Chromium, which the report and inbox tests open
#      headless, and libfaketime and Node.js for the black-box test of examples/node-2fa
# System packages are installed with apt-get when running as root; otherwise the script stops
# and prints the exact command to run.
set -euo pipefail

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
say() { echo "setup: $*" >&2; }

apt_updated=0
apt_install() {
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing $* with apt-get"
        if [ $apt_updated = 0 ]; then
            apt-get update -qq
            apt_updated=1
        fi
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
    else
        say "missing system package(s): $*"
        say "run this, then run make again:  sudo apt-get install -y $*"
        exit 1
    fi
}

if ! command -v "$PYTHON" >/dev/null 2>&1; then
    say "no '$PYTHON' on PATH; install Python 3.11 or newer (or pass PYTHON=/path/to/python3)"
    exit 1
fi
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    say "twofa-sim needs Python 3.11 or newer; $PYTHON is $("$PYTHON" -V 2>&1)"
    exit 1
fi

if [ ! -x "$VENV/bin/python" ]; then
    if ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
        # Debian's and Ubuntu's own Python leaves venv/ensurepip to a separate package.
        apt_install "python$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')-venv"
    fi
    rm -rf "$VENV"
    say "creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi

if ! "$VENV/bin/python" -c 'import ctypes.util, sys; sys.exit(ctypes.util.find_library("zbar") is None)'; then
    apt_install libzbar0
fi

if [ "${1:-}" = "--browser" ] && ! command -v chromium >/dev/null 2>&1 \
    && ! command -v chromium-browser >/dev/null 2>&1; then
    apt_install chromium
fi

# The black-box tests (`make test`): a Node.js service run under libfaketime.
if [ "${1:-}" = "--browser" ]; then
    missing=()
    if ! ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1; then
        missing+=(libfaketime)
    fi
    if ! command -v node >/dev/null 2>&1; then
        missing+=(nodejs)
    fi
    if [ ${#missing[@]} -gt 0 ]; then
        apt_install "${missing[@]}"
    fi
fi

stamp="$VENV/.twofa-sim-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    say "installing twofa-sim and its test tools into $VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[test,django]'
    touch "$stamp"
fi
