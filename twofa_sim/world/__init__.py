"""The simulated world: one clock, the SMS network, the fake providers, phones and their apps.

``World`` (in :mod:`twofa_sim.world.simulation`) is built from a plain description, the
``given:`` of a scenario file; :mod:`twofa_sim.world.apps` holds the phones, the authenticator
apps that really scan the QR, and the Authy app.
"""

from twofa_sim.world.simulation import (
    PROVIDERS,
    SMS_FROM,
    WORLD_KEYS,
    FaultSpec,
    PhoneSpec,
    World,
    WorldSpec,
)

__all__ = ["PROVIDERS", "SMS_FROM", "WORLD_KEYS", "FaultSpec", "PhoneSpec", "World", "WorldSpec"]
