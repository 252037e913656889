"""What every worker process of a parallel run (``run --jobs N``) does first.

A worker must never outlive the run that started it: killed with SIGKILL, the parent cannot
tell its workers to stop, and they would wait for work under PID 1 for ever. So each worker
watches its parent (a daemon thread comparing :func:`os.getppid` with the parent it was started
by, a few times a second) and exits as soon as the parent is gone. SIGINT is the parent's to
handle (a Ctrl-C reaches the whole process group): the parent stops the workers itself. SIGTERM
ends a worker at once (a forked worker would otherwise inherit the parent's handler, and a pool
worker reports an exception raised in its task as that task's result instead of stopping).
"""

from __future__ import annotations

import os
import signal
import threading

__all__ = ["POLL_SECONDS", "watch_parent"]

POLL_SECONDS = 0.1
"""How often a worker looks for its parent: the longest it outlives it."""


def watch_parent(parent: int) -> None:
    """A pool initializer: exit this process when ``parent`` (a pid) is no longer its parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)

    def watch() -> None:
        while os.getppid() == parent:
            threading.Event().wait(POLL_SECONDS)
        os._exit(1)

    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(target=watch, name="twofa-sim-watch-parent", daemon=True).start()
