"""A scenario's own world on real HTTP: the served fakes of the HTTP target.

``twofa-sim run --target http://...`` runs each scenario in a fresh in-process
:class:`~twofa_sim.world.World` (as for every target) and serves *that* world on an ephemeral
loopback port for the duration of the scenario, so the service under test (another process,
any language) sends its SMS and Authy and Verify calls to the very fakes the scenario's steps
read and steer. The runner owns the world: the served control API may read it and tap pushes,
but resetting it is the runner's job (a reset through the control API is refused).
"""

from __future__ import annotations

from twofa_sim.errors import InputError
from twofa_sim.serve.server import Server
from twofa_sim.serve.state import ServedWorld
from twofa_sim.world import World

__all__ = ["ScenarioWorld", "serve_world"]


class ScenarioWorld(ServedWorld):
    """An existing world behind the server's lock (not rebuilt from a description)."""

    def __init__(self, world: World) -> None:
        super().__init__(world=world)

    def reset(self) -> dict[str, object]:
        raise InputError(
            "this world is a scenario's: the runner resets it, before each scenario",
            where="reset",
            hint="the service under test never resets the served fakes itself",
        )


def serve_world(world: World, *, host: str = "127.0.0.1", fault_hold: float = 3.0) -> Server:
    """``world`` served on ``host``, a free port, from a background thread (started; stop it
    with :meth:`Server.stop`). ``fault_hold``: how long a ``timeout`` fault holds a request
    before closing it (the client under test should give up first)."""
    return Server(ScenarioWorld(world), host=host, port=0, fault_hold=fault_hold).start()
