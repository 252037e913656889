"""Targets that wrap real third-party 2FA implementations, so the scenario library can say how
they fare: ``twofa_sim.peers.django_otp:DjangoOtpTarget`` (django-otp with django-otp-twilio).

Each peer needs an optional extra (``pip install 'twofa-sim[django]'``); a peer whose packages
are missing refuses with an :class:`~twofa_sim.errors.InputError` naming the extra. Nothing in
this package imports a peer's packages until a peer is used.
"""
