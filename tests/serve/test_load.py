"""The load benchmark's own code (benchmarks/load_serve.py), run for a few counted iterations.

The benchmark itself (50 clients, 30 s a side) is ``make bench-load``; here its clients, its
checks and its baseline server run a handful of iterations each, counted, never timed, so the
code behind the README's figures is known to work and to catch a lost or doubled SMS.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import yaml

from benchmarks.load_serve import (
    WORLD,
    Client,
    Credentials,
    StaticHandler,
    StaticServer,
    Tally,
    audit,
    credentials,
    drive,
    figures,
)
from tests.serve.conftest import start

CLIENTS = 4
ITERATIONS = 3


def _world(**sms: Any) -> dict[str, Any]:
    world = yaml.safe_load(WORLD)
    world["sms"].update(sms)
    return dict(world)


def _run(world: dict[str, Any]) -> Tally:
    with start(world_description=world) as server:
        creds = credentials(server.base_url)
        clients = [Client(server.base_url, i, creds, check=True) for i in range(CLIENTS)]
        tally = drive(clients, iterations=ITERATIONS)
        for client in clients:
            client.close()
        audit(server.base_url, tally)
    return tally


@contextmanager
def _static() -> Iterator[str]:
    server = StaticServer(("127.0.0.1", 0), StaticHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def test_every_client_iteration_is_checked_and_nothing_is_lost() -> None:
    """Rule: concurrent clients each send an SMS, start a Verify verification, read the code
    from the served inbox and get it approved; every send is found exactly once in the inbox
    and the exchange log, and each request's round trip is recorded."""
    tally = _run(_world())
    assert tally.iterations == CLIENTS * ITERATIONS
    assert len(tally.latencies) == 4 * CLIENTS * ITERATIONS
    assert len(tally.sent) == len(tally.verifications) == CLIENTS * ITERATIONS
    assert (tally.lost, tally.duplicated, tally.wrong) == ([], [], [])


def test_a_network_that_loses_every_sms_is_reported_as_losing_them() -> None:
    """Rule: the benchmark's check is not blind: SMS the network drops are counted lost, and a
    code that never arrived is not approved (so the figure misses)."""
    tally = _run(_world(loss=1.0))
    assert len(tally.lost) == 2 * CLIENTS * ITERATIONS  # the Messages SMS and the Verify SMS
    assert not figures(tally, Tally(latencies=[1.0]), 1.0)[-1].met


def test_a_network_that_doubles_every_sms_is_reported_as_duplicating_them() -> None:
    """Rule: a duplicate copy of a message (here still in flight, as the clock does not move)
    counts as a duplicated message."""
    tally = _run(_world(duplicate=1.0))
    assert tally.duplicated and not tally.lost


def test_the_baseline_answers_the_same_requests_statically() -> None:
    """Rule: the baseline (the stdlib server framework with a static answer) takes the same
    requests on keep-alive connections, with no checks, and every round trip is recorded."""
    with _static() as url:
        creds = Credentials("AC" + "0" * 32, "Basic eDp5", "VA" + "0" * 32)
        clients = [Client(url, i, creds, check=False) for i in range(CLIENTS)]
        tally = drive(clients, iterations=ITERATIONS)
        for client in clients:
            client.close()
    assert len(tally.latencies) == 4 * CLIENTS * ITERATIONS and tally.faults == 0
