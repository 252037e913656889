"""``python -m twofa_sim``: the same as the ``twofa-sim`` command."""

import sys

from twofa_sim.cli import main

sys.exit(main())
