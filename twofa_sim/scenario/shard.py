"""Shards: ``twofa-sim run --shard K/N`` runs share K of N of the chosen scenarios.

The split is a *sorted round-robin*: the chosen scenarios (after ``-k``, ``--tag`` and the
provider's skips) are sorted by id, and the i-th of them (counting from 0) goes to shard
``i mod N + 1``. So:

* every chosen scenario is in exactly one shard, and the N shards together are the run;
* the split depends only on the ids, not on the order files are found or listed in;
* shard sizes differ by one at most (hashing each id alone would leave one shard with a third
  more than another at the library's size, or empty with few scenarios), which is what a CI
  matrix waits on.

What it does not keep: adding a scenario moves the ones sorted after it to other shards. That
costs nothing, because a scenario's result does not depend on the shard it ran in: its seed is
derived from the run's seed and its own id (:func:`~twofa_sim.scenario.runner.scenario_seed`),
and each scenario runs in a world of its own. A shard runs its scenarios in run order (the
library's order), and ``twofa-sim report merge`` puts them back in that order.

>>> from types import SimpleNamespace as S
>>> chosen = [S(id=name) for name in ("d", "a", "c", "b", "e")]
>>> [s.id for s in Shard.parse("1/2").take(chosen)]
['a', 'c', 'e']
>>> [s.id for s in Shard.parse("2/2").take(chosen)]
['d', 'b']
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from twofa_sim.errors import InputError

__all__ = ["MAX_SHARDS", "Shard"]

MAX_SHARDS = 1000
_FORM = re.compile(r"\s*(\d{1,6})\s*/\s*(\d{1,6})\s*")


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


_S = TypeVar("_S", bound=_Identified)


@dataclass(frozen=True)
class Shard:
    """Share ``index`` (from 1) of ``count``."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``K/N`` with 1 <= K <= N <= :data:`MAX_SHARDS`; anything else is bad input."""
        match = _FORM.fullmatch(text)
        hint = "K/N: this machine's share K (from 1) of N, e.g. --shard 2/3"
        if match is None:
            raise InputError(f"{text!r} is not K/N", where="--shard", hint=hint)
        index, count = int(match[1]), int(match[2])
        if not 1 <= count <= MAX_SHARDS:
            raise InputError(f"N must be 1 to {MAX_SHARDS}, not {count}", where="--shard")
        if not 1 <= index <= count:
            raise InputError(f"K must be 1 to {count}, not {index}", where="--shard", hint=hint)
        return cls(index, count)

    def take(self, scenarios: Sequence[_S]) -> list[_S]:
        """This shard's scenarios, in the order given."""
        order = sorted(range(len(scenarios)), key=lambda i: scenarios[i].id)
        mine = {i for rank, i in enumerate(order) if rank % self.count == self.index - 1}
        return [s for i, s in enumerate(scenarios) if i in mine]

    def block(self, scenarios: Sequence[_Identified]) -> dict[str, Any]:
        """What results.json records as ``shard``: this share, and the ids of every chosen
        scenario (all shards), in run order, which ``report merge`` checks the shards against."""
        return {"index": self.index, "count": self.count, "selection": [s.id for s in scenarios]}

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"
