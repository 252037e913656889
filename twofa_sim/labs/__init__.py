"""The labs: commands' worth of analysis over the core and the world.

The clock-skew lab (:mod:`~twofa_sim.labs.skew`: exact acceptance curves and population rates;
:mod:`~twofa_sim.labs.drift`: a drifting phone over months; :mod:`~twofa_sim.labs.skewplot`:
their charts) and the seed's story told step by step (:mod:`~twofa_sim.labs.demo`).
"""
