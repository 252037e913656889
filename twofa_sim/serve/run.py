"""``twofa-sim serve`` as a function: build the world, listen, print where, stop on a signal."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

import yaml

from twofa_sim.errors import InputError
from twofa_sim.files import read_text
from twofa_sim.serve.faketime import FaketimeFile, FaketimeStyle
from twofa_sim.serve.hook import ClockHook
from twofa_sim.serve.server import DEFAULT_MAX_BODY, Server
from twofa_sim.serve.state import ClockMode, ServedWorld

__all__ = ["DEFAULT_PORT", "build", "load_world", "serve"]

DEFAULT_PORT = 8025
_WORLD_FILE_LIMIT = 1024 * 1024
_LOOPBACK = ("127.0.0.1", "::1", "localhost")


def load_world(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A world description from a YAML file: the mapping itself, or a scenario file's
    ``given:``. Errors name the file."""
    where = os.fspath(path)
    text = read_text(path, limit=_WORLD_FILE_LIMIT, where=where)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise InputError("not valid YAML", where=f"{where}{line}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError("a world file holds a mapping (or a scenario with given:)", where=where)
    given = data.get("given", data)
    if not isinstance(given, dict):
        raise InputError("given: must be a mapping", where=where)
    return given


def build(
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    world_description: Mapping[str, Any] | str | os.PathLike[str] | None = None,
    seed: int | str | None = None,
    clock: ClockMode = "virtual",
    faketime_file: str | os.PathLike[str] | None = None,
    token: str | None = None,
    *,
    faketime_style: FaketimeStyle = "start-at",
    clock_hook: str | None = None,
    max_body: int = DEFAULT_MAX_BODY,
    fault_hold: float = 30.0,
) -> Server:
    """A server ready to start (not yet serving); bad input raises :class:`InputError`."""
    if isinstance(world_description, str | os.PathLike):
        description: Mapping[str, Any] | None = load_world(world_description)
        where = os.fspath(world_description)
    else:
        description, where = world_description, "world"
    if token is not None and not token.strip():
        raise InputError("the token is empty", where="token")
    faketime = FaketimeFile(faketime_file, faketime_style) if faketime_file is not None else None
    hook = ClockHook(clock_hook) if clock_hook is not None else None
    try:
        state = ServedWorld(description, seed=seed, clock=clock, faketime=faketime, hook=hook)
    except InputError as exc:
        if exc.where.startswith("world") and where != "world":
            raise exc.at(where + exc.where.removeprefix("world")) from None
        raise
    except OSError as exc:
        raise InputError(
            f"cannot write the faketime file: {exc.strerror or exc}", where="faketime_file"
        ) from None
    return Server(
        state, host=host, port=port, token=token, max_body=max_body, fault_hold=fault_hold
    )


def serve(
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    world_description: Mapping[str, Any] | str | os.PathLike[str] | None = None,
    seed: int | str | None = None,
    clock: ClockMode = "virtual",
    faketime_file: str | os.PathLike[str] | None = None,
    token: str | None = None,
    *,
    faketime_style: FaketimeStyle = "start-at",
    clock_hook: str | None = None,
    out: TextIO | None = None,
    ready: Callable[[Server], None] | None = None,
) -> int:
    """Serve until Ctrl-C or SIGTERM; returns the exit status (0). Prints the base URL first.

    ``world_description``: a mapping or a YAML file (see :func:`load_world`); ``seed``
    overrides its seed. ``ready`` is called once the server answers (tests use it).
    """
    out = out or sys.stdout
    server = build(
        host, port, world_description, seed, clock, faketime_file, token,
        faketime_style=faketime_style, clock_hook=clock_hook,
    )  # fmt: skip
    stop = threading.Event()
    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        # Ctrl-C and SIGTERM are how a server is meant to end: a clean stop, status 0.

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()

        for number in (signal.SIGINT, signal.SIGTERM):
            previous[number] = signal.signal(number, on_signal)
    server.start()
    try:
        _announce(server, out, faketime_file, faketime_style)
        if ready is not None:
            ready(server)
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    print("twofa-sim serve: stopped", file=out, flush=True)
    return 0


def _announce(
    server: Server, out: TextIO, faketime_file: object, faketime_style: FaketimeStyle
) -> None:
    state = server.state
    with state.lock:
        clock = state.clock_view()
        seed = state.world.spec.seed
        real = {s.name: s.base_urls[0] for s in state.services if s.base_urls}
    base = server.base_url
    lines = [
        f"twofa-sim serve: listening on {base} ({clock['mode']} clock at {clock['iso']}, "
        f"seed {seed!r})",
        f"  inbox page     {base}/",
        f"  control API    {base}/_twofa  (OpenAPI: /_twofa/openapi.json; credentials: "
        "GET /_twofa/world)",
    ]
    for name, url in server.provider_urls().items():
        lines.append(f"  {name:<14} {url}  (stands for {real.get(name, '?')})")
    if faketime_file is not None:
        lines.append(f"  faketime file  {Path(os.fspath(str(faketime_file)))} ({faketime_style})")
    if state.hook is not None:
        with state.lock:
            told = state.hook.try_now(state.world.now())
        note = "told the time" if told else "not answering yet (told at the next move)"
        lines.append(f"  clock hook     {state.hook.url}: {note}")
    host = str(server.http.server_address[0])
    if host not in _LOOPBACK and server.control.token is None:
        lines.append(
            f"  warning: listening on {host} without --token: anyone who can reach it can "
            "read the inboxes and move the clock"
        )
    lines.append("Ctrl-C or SIGTERM stops it.")
    print("\n".join(lines), file=out, flush=True)
