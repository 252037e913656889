"""A scenario target that never answers, for the tests that kill a running `twofa-sim run`.

Each instance notes its process id in ``$TWOFA_SIM_HANG_DIR`` (so a test knows its workers
have started work) and then blocks for ever: the run can only end by a signal.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any


class Hang:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        marks = os.environ.get("TWOFA_SIM_HANG_DIR")
        if marks:
            (Path(marks) / str(os.getpid())).touch()
        threading.Event().wait()
