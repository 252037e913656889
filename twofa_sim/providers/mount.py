"""Put fake providers behind ``requests``: every call to their hosts lands on the fakes.

>>> import requests
>>> with mounted():  # no fakes at all: every request fails, none reaches the network
...     requests.get("https://example.com/")
Traceback (most recent call last):
...
requests.exceptions.ConnectionError: ...

While mounted, a request that no fake answers fails with ``requests.exceptions.ConnectionError``
(from ``responses``): no real network, ever. A request to a fake's host on a path it does not
implement gets that provider's own 404 body.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import responses

from twofa_sim.providers._core import FakeService

__all__ = ["mounted"]


@contextmanager
def mounted(*services: FakeService) -> Iterator[responses.RequestsMock]:
    """Intercept ``requests`` for the block: each service answers on its base URLs.

    Unmounts on leaving, even on error. Yields the ``responses`` mock (its ``calls`` list holds
    every request made, matched or not).
    """
    mock = responses.RequestsMock(assert_all_requests_are_fired=False)
    for service in services:
        for base in service.base_urls:
            pattern = re.compile(re.escape(base.rstrip("/")) + r"(/.*)?(\?.*)?$")
            for method in ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"):
                mock.add_callback(method, pattern, callback=service.dispatch)
    with mock:
        yield mock
