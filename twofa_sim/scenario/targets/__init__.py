"""The built-in targets, one module each: :mod:`~twofa_sim.scenario.targets.reference` (the
reference service, the default) and :mod:`~twofa_sim.scenario.targets.naive` (``pyotp-naive``).

The protocol they implement is :mod:`twofa_sim.scenario.target`; ``twofa-sim run --target NAME``
finds them by name through :func:`~twofa_sim.scenario.target.load_target`.
"""
