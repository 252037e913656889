"""Run every ratio benchmark: ``python -m benchmarks`` (what ``make bench`` does).

Each ``bench_*.py`` module exposes ``run() -> list[Ratio]``. Exit status 1 when a target is missed.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main() -> int:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    only = set(sys.argv[1:])
    missed = 0
    for name in names:
        if only and name not in only:
            continue
        module = importlib.import_module(f"benchmarks.{name}")
        for ratio in module.run():
            print(ratio.line(), flush=True)
            missed += not ratio.met
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
