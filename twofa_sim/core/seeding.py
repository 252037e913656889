"""One seed, many streams: every random choice of a run derives from the run's one seed.

Two shapes, one rule (a SHA-256 of the seed and a path of names, so adding a draw in one place
never shifts another's):

* :func:`derive` gives a child seed, a 32-bit number short enough to print and to type back
  (``--seed``, ``given.seed``): a scenario's seed is ``derive(run_seed, scenario_id)``.
* :func:`stream` gives a :class:`random.Random` for one component; :class:`SeededRandom` wraps
  one with the draws the fakes need (SIDs, digits, UUIDs).

>>> derive(0, "sms/expiry") == derive(0, "sms/expiry")
True
>>> stream(7, "drift").random() == stream(7, "drift").random()
True
"""

from __future__ import annotations

import hashlib
import random
import uuid

__all__ = ["SeededRandom", "derive", "stream"]


def derive(seed: int | str, *names: object) -> int:
    """A 32-bit child seed of ``seed`` for the path ``names``: the same inputs, the same seed."""
    digest = hashlib.sha256("/".join(str(part) for part in (seed, *names)).encode()).digest()
    return int.from_bytes(digest[:4], "big")


def stream(seed: int | str, *names: object) -> random.Random:
    """An independent random stream of ``seed`` for the path ``names``."""
    name = "/".join(str(part) for part in names)
    digest = hashlib.sha256(f"{seed}\x00{name}".encode()).digest()
    return random.Random(int.from_bytes(digest, "big"))


class SeededRandom:
    """A named stream of the world's one seed: the same seed and name give the same values.

    Each component draws from its own stream (``world seed + "twilio"``), so adding draws in one
    component never shifts another's.
    """

    def __init__(self, seed: int | str, name: str = "") -> None:
        self.seed = seed
        self.name = name
        self._random = stream(seed, name)

    def stream(self, name: str) -> SeededRandom:
        """An independent stream for a sub-component, derived from this one's seed and name."""
        return SeededRandom(self.seed, f"{self.name}/{name}" if self.name else name)

    def randbytes(self, count: int) -> bytes:
        return self._random.randbytes(count)

    def hex(self, chars: int) -> str:
        return self.randbytes((chars + 1) // 2).hex()[:chars]

    def digits(self, count: int) -> str:
        """``count`` random decimal digits (leading zeros kept): an OTP or an ID."""
        return "".join(str(self._random.randrange(10)) for _ in range(count))

    def sid(self, prefix: str) -> str:
        """A Twilio-style SID: a two-letter prefix and 32 hex digits."""
        return prefix + self.hex(32)

    def uuid(self) -> str:
        return str(uuid.UUID(bytes=self.randbytes(16), version=4))

    def random(self) -> float:
        return self._random.random()

    def uniform(self, low: float, high: float) -> float:
        return self._random.uniform(low, high)

    def randint(self, low: int, high: int) -> int:
        return self._random.randint(low, high)
