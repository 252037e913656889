"""Whatever form a client sends, the Verify fake answers with Verify's shapes, never its own bug."""

from __future__ import annotations

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twofa_sim.core.clock import VirtualClock
from twofa_sim.providers import SeededRandom, SmsNetwork, mounted
from twofa_sim.providers.verify import VerifyService

IDENTITY = "ff483d1ff591898a9942916050d2ca3f"
FIELDS = [
    "To",
    "Channel",
    "Code",
    "VerificationSid",
    "Status",
    "CustomCode",
    "CustomFriendlyName",
    "Identity",
    "FriendlyName",
    "FactorType",
    "Binding.Secret",
    "Binding.PublicKey",
    "Binding.Alg",
    "Config.TimeStep",
    "Config.Skew",
    "Config.CodeLength",
    "Config.Alg",
    "Config.NotificationPlatform",
    "AuthPayload",
    "FactorSid",
    "ExpirationDate",
    "Details.Message",
    "Details.Fields",
    "HiddenDetails",
    "PageSize",
    "Page",
]
VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["+14155550100", "sms", "email", "totp", "push", "123456", "canceled", "approved", "-1"]
    ),
    st.integers(-5, 100).map(str),
)
PATHS = [
    ("POST", "Verifications"),
    ("POST", "VerificationCheck"),
    ("POST", "Verifications/VE00000000000000000000000000000000"),
    ("POST", "Entities"),
    ("POST", f"Entities/{IDENTITY}/Factors"),
    ("GET", f"Entities/{IDENTITY}/Factors"),
    ("POST", f"Entities/{IDENTITY}/Challenges"),
    ("GET", f"Entities/{IDENTITY}/Challenges"),
]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    route=st.sampled_from(PATHS),
    form=st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=10), VALUES, max_size=6),
)
def test_any_form_gets_a_verify_answer_and_never_a_500(
    route: tuple[str, str], form: dict[str, str]
) -> None:
    """Every answer is a resource or Verify's envelope with a 4xx status: random input never
    finds a fake's bug (which would answer 500)."""
    clock = VirtualClock(1_714_564_800.0)
    network = SmsNetwork(clock, SeededRandom(5, "network"))
    verify = VerifyService(clock, SeededRandom(5, "verify"), network)
    service_sid = verify.backend.create_service("Fuzz").sid
    factor = verify.backend.create_factor(service_sid, IDENTITY, "f", "totp")
    factor.status = "verified"
    method, path = route
    url = f"https://verify.twilio.com/v2/Services/{service_sid}/{path}"
    with mounted(verify):
        if method == "GET":
            response = requests.get(url, params=form, auth=(verify.account_sid, verify.auth_token))
        else:
            response = requests.post(url, data=form, auth=(verify.account_sid, verify.auth_token))
    assert response.status_code < 500, verify.exchanges[-1].fault
    body = response.json()
    if response.status_code >= 400:
        assert set(body) == {"code", "message", "more_info", "status"}
        assert body["status"] == response.status_code
