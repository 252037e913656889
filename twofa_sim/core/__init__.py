"""The functional core: pure functions and small values, time always a parameter.

OTP (:mod:`~twofa_sim.core.otp`), otpauth URIs (:mod:`~twofa_sim.core.keyuri`), QR codes
(:mod:`~twofa_sim.core.qr`, :mod:`~twofa_sim.core.scan`), clocks (:mod:`~twofa_sim.core.clock`),
secrets, phone numbers, what authenticator apps do with each parameter
(:mod:`~twofa_sim.core.appcompat`), the requirements catalog and the RFC vectors. Nothing here
imports from a layer above; the public names are re-exported by :mod:`twofa_sim`.
"""
