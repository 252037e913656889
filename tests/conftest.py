"""Test-suite wide settings: the Hypothesis profiles, and a guard that keeps tests off the network.

``dev`` (the default) explores more examples; ``ci`` (``make test`` passes
``--hypothesis-profile=ci``) is derandomized so a run is reproducible, has no deadline (two busy
cores must not turn slowness into failures) and keeps no example database.

For the whole session, sockets may connect (or send) only to loopback and only loopback names
resolve: a test that forgets to mount the fakes fails with :class:`NetworkRefusedError` instead
of reaching the network (``tests/unit/test_network_guard.py`` proves it).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=200)
settings.register_profile(
    "ci",
    max_examples=100,
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("dev")

pytest_plugins = ["pytester"]


def _import_the_whole_package() -> None:
    """Import every twofa_sim module before any test runs.

    Hypothesis (6.131+) mixes the literals of every loaded local module into its draws; a test
    whose first example imports a module lazily would see new constants between its run and its
    replay and be reported as flaky. With the package loaded up front the pool never changes.
    """
    import importlib
    import pkgutil

    import twofa_sim

    for module in pkgutil.walk_packages(twofa_sim.__path__, "twofa_sim."):
        if module.name.endswith("__main__"):
            continue
        try:
            importlib.import_module(module.name)
        except ImportError:  # an optional extra (the django-otp target) that is not installed
            continue


_import_the_whole_package()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Freeze Hypothesis's pool of local literals once every test module is loaded.

    Loading the package up front is not enough: a test that imports a local module lazily (a
    benchmark's code, a helper under tests/) still grows the pool while other tests run, and
    under ``-n 2`` which test runs first differs between runs, so a property test replaying an
    example drew differently and was reported flaky (``FlakyStrategyDefinition``). Hypothesis
    has no setting for this; its module-level lookup is replaced by the pool as it stands now,
    and left alone if a later Hypothesis moves it.
    """
    from hypothesis.internal.conjecture import providers

    lookup = getattr(providers, "_get_local_constants", None)
    if callable(lookup):
        frozen = lookup()
        providers._get_local_constants = lambda: frozen


# Broken scenario files on purpose: the loader's tests read them; pytest must not collect them.
collect_ignore = ["bad_inputs"]


# -- no network beyond loopback ----------------------------------------------------------------


class NetworkRefusedError(RuntimeError):
    """A test tried to reach a host other than this machine: the suite never touches the network.

    A RuntimeError, not an OSError, so that code under test that handles connection failures
    (requests, urllib3, retry loops) cannot mistake the guard for a network fault and carry on.
    """


_LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "localhost.localdomain"})


def _is_local(host: object) -> bool:
    """A loopback or unspecified (bind-to-all) address, or the name localhost."""
    if host is None or host in ("", b""):
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False  # a host name: resolving it would already reach a name server
    return address.is_loopback or address.is_unspecified


def _check(family: int, address: object, action: str) -> None:
    if family not in (socket.AF_INET, socket.AF_INET6):
        return  # Unix sockets, socket pairs: local by construction
    host = address[0] if isinstance(address, tuple) and address else address
    if not _is_local(host):
        raise NetworkRefusedError(
            f"tests/conftest.py refused to {action} {address!r}: tests never touch the network "
            "beyond loopback (mount the fakes: the world, responses, a server on 127.0.0.1)"
        )


@pytest.fixture(autouse=True, scope="session")
def _loopback_only() -> Iterator[None]:
    """For the whole session: sockets may connect or send only to loopback, and only loopback
    names resolve (a forgotten fake must fail, never reach the network)."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_sendto = socket.socket.sendto
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        _check(self.family, address, "connect to")
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        _check(self.family, address, "connect to")
        return real_connect_ex(self, address)

    def sendto(self: socket.socket, data: Any, *args: Any) -> int:
        _check(self.family, args[-1] if args else None, "send to")
        return real_sendto(self, data, *args)  # type: ignore[arg-type]

    real_gethostbyname = socket.gethostbyname
    real_gethostbyname_ex = socket.gethostbyname_ex
    own_name = socket.gethostname()  # this machine (a server bound to all addresses asks)

    def resolvable(host: Any) -> None:
        if host != own_name:
            _check(socket.AF_INET, (host,), "resolve")

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        resolvable(host)
        return real_getaddrinfo(host, *args, **kwargs)

    def gethostbyname(host: str) -> str:
        resolvable(host)
        return real_gethostbyname(host)

    def gethostbyname_ex(host: str) -> tuple[str, list[str], list[str]]:
        resolvable(host)
        return real_gethostbyname_ex(host)

    patches = [
        (socket.socket, "connect", connect),
        (socket.socket, "connect_ex", connect_ex),
        (socket.socket, "sendto", sendto),
        (socket, "getaddrinfo", getaddrinfo),
        (socket, "gethostbyname", gethostbyname),
        (socket, "gethostbyname_ex", gethostbyname_ex),
    ]
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
    for owner, name, replacement in patches:
        setattr(owner, name, replacement)
    try:
        yield
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)
