"""Black-box mode: the fake providers on real HTTP, for a service in any language.

``twofa-sim serve`` runs one simulated world (the same fakes the in-process world mounts on
``requests``) behind an HTTP server: Twilio Messages under ``/twilio``, Authy API v1 under
``/authy``; a JSON control API under ``/_twofa`` (inboxes, exchanges, Authy pushes, the virtual
clock, faults, reset; OpenAPI at ``/_twofa/openapi.json``); an inbox page at ``/``. With a
faketime file, every move of the virtual clock is written where libfaketime reads it; with a
clock hook, it is POSTed to the service under test.

>>> from twofa_sim.serve import build
>>> with build(port=0) as server:          # a background thread; always stopped
...     server.provider_urls()["twilio"].startswith("http://127.0.0.1:")
True
"""

from twofa_sim.serve.faketime import FAKETIME_STYLES, FaketimeFile, FaketimeStyle, faketime_line
from twofa_sim.serve.hook import ClockHook
from twofa_sim.serve.run import DEFAULT_PORT, build, load_world, serve
from twofa_sim.serve.server import DEFAULT_MAX_BODY, Server
from twofa_sim.serve.state import CLOCK_MODES, ClockMode, ServedWorld

__all__ = [
    "CLOCK_MODES",
    "DEFAULT_MAX_BODY",
    "DEFAULT_PORT",
    "FAKETIME_STYLES",
    "ClockHook",
    "ClockMode",
    "FaketimeFile",
    "FaketimeStyle",
    "ServedWorld",
    "Server",
    "build",
    "faketime_line",
    "load_world",
    "serve",
]
