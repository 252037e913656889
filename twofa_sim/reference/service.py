"""The reference two-factor service: the seed document's profile-page flow, secure by the standards.

The flow, as the seed describes it (Runscope, 2016):

1. enter a phone number and "Verify Phone Number": an Authy user with the app gets the code by
   Authy (a push, or a token in the app); anyone else by SMS;
2. enter the code and "Save Changes": two-factor is on;
3. "Click here to generate" a QR code, scan it with an authenticator app (and, unlike the seed,
   confirm one code before it counts: :attr:`SecurityPolicy.confirm_totp`);
4. log in: password, then one second factor.

Providers are reached only through their ``requests`` clients. Time is the injected clock;
randomness the injected source. Each rule names the requirement it serves (``policy.RULES``);
every event goes to the hash-chained audit log, with no secret and no code in it.
"""

from __future__ import annotations

import secrets as _secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from twofa_sim.core.clock import Clock
from twofa_sim.errors import InputError
from twofa_sim.reference.account import AccountFlow
from twofa_sim.reference.audit import AuditEntry, unlogged_users, verify_chain
from twofa_sim.reference.checks import PasswordCheck, PendingCodeCheck, RecoveryCheck, TotpCheck
from twofa_sim.reference.codes import Random
from twofa_sim.reference.delivery import CodeSender
from twofa_sim.reference.gate import FailureGate, ReplayAlarm
from twofa_sim.reference.journal import Operations
from twofa_sim.reference.login import LoginFlow
from twofa_sim.reference.policy import SecurityPolicy
from twofa_sim.reference.records import Team, UserRecord
from twofa_sim.reference.store import MemoryStore, Store, StoreView
from twofa_sim.reference.verdicts import (
    Challenge,
    Enrollment,
    LoginResult,
    Notification,
    Outcome,
)
from twofa_sim.reference.verify import (
    VerifyCodeCheck,
    VerifySender,
    VerifyTotpCheck,
    on_verify,
)

if TYPE_CHECKING:  # the providers' clients, for annotations only
    from twofa_sim.providers import AuthyClient, TwilioClient
    from twofa_sim.providers.verify import VerifyClient

__all__ = ["ReferenceService", "ServiceParts"]


@dataclass(frozen=True)
class ServiceParts:
    """The classes a :class:`ReferenceService` builds its collaborators from, one per rule
    family: the documented way to build a deliberately broken variant (a mutant) of the service.

    Each field is a class; the service calls it with the keyword arguments the default class
    takes (the same dependencies, in the same names), so a replacement is a subclass that
    overrides one method, or any class with that constructor. Replacing one part changes one
    rule family and nothing else:

    - ``gate`` (:class:`~twofa_sim.reference.gate.FailureGate`; ``clock``, ``policy``): lockout
      and back-off (``throttle``, ``backoff``);
    - ``alarm`` (:class:`~twofa_sim.reference.gate.ReplayAlarm`; ``gate``): ``notify-replay``;
    - ``passwords`` (:class:`~twofa_sim.reference.checks.PasswordCheck`; ``policy``);
    - ``sender`` (:class:`~twofa_sim.reference.delivery.CodeSender`; ``clock``, ``policy``,
      ``random``, ``twilio``, ``authy``, ``sms_from``, ``issuer``): codes, pushes, cooldown;
    - ``pending_codes`` (:class:`~twofa_sim.reference.checks.PendingCodeCheck`; ``clock``,
      ``policy``, ``gate``, ``alarm``, ``authy``): SMS codes, Authy tokens and pushes;
    - ``totp`` (:class:`~twofa_sim.reference.checks.TotpCheck`; ``clock``, ``policy``, ``gate``,
      ``alarm``): authenticator-app codes;
    - ``recovery`` (:class:`~twofa_sim.reference.checks.RecoveryCheck`; ``policy``, ``gate``,
      ``alarm``): recovery codes;
    - ``login`` (:class:`~twofa_sim.reference.login.LoginFlow`; ``operations``, ``store``,
      ``clock``, ``policy``, ``random``, ``gate``, ``passwords``, ``sender``,
      ``pending_codes``, ``totp``, ``recovery``): the login steps;
    - ``account`` (:class:`~twofa_sim.reference.account.AccountFlow`; ``operations``,
      ``store``, ``clock``, ``policy``, ``random``, ``issuer``, ``verify``, ``gate``,
      ``passwords``, ``sender``, ``pending_codes``, ``totp``): enrolling and changing factors
      (verifying and changing the phone, the QR code, recovery codes, turning two-factor off):
      ``phone-validated``, ``totp-confirm``, ``recovery-hashed``, ``notify-change``;
    - ``operations`` (:class:`~twofa_sim.reference.journal.Operations`; ``store``, ``clock``,
      ``deliver``): one operation on one user, its audit events and its notifications;
    - ``store`` (:class:`~twofa_sim.reference.store.StoreView`; ``inner``): the store as the
      service uses it, wrapping the one it is given (``audit``: how records and the audit log
      are kept); None (the default) uses the given store itself.

    Under either provider the arguments are the same. On Twilio Verify (a service built with a
    ``verify`` client) the ``sender``, ``pending_codes`` and ``totp`` parts run on Verify: a
    part left at its default becomes its Verify variant
    (:class:`~twofa_sim.reference.verify.VerifySender`, ``VerifyCodeCheck``,
    ``VerifyTotpCheck``), and a replacement is combined with that variant (a class deriving
    from the replacement, then the variant; :func:`~twofa_sim.reference.verify.on_verify`), so
    an override written against the Messages part applies on top of Verify's. The part is
    built with the arguments above, never ``verify``: the service connects it to the client
    afterwards (``connect``).
    """

    gate: type[FailureGate] = FailureGate
    alarm: type[ReplayAlarm] = ReplayAlarm
    passwords: type[PasswordCheck] = PasswordCheck
    sender: type[CodeSender] = CodeSender
    pending_codes: type[PendingCodeCheck] = PendingCodeCheck
    totp: type[TotpCheck] = TotpCheck
    recovery: type[RecoveryCheck] = RecoveryCheck
    login: type[LoginFlow] = LoginFlow
    account: type[AccountFlow] = AccountFlow
    operations: type[Operations] = Operations
    store: type[StoreView] | None = None


class ReferenceService:
    """The reference 2FA service. One instance per process; state lives in ``store``.

    The service composes collaborators, each a small class with its dependencies passed in and
    public as an attribute: ``operations`` (a user's record and the operation's journal, in one
    store transaction), ``gate``, ``alarm``, ``passwords``, ``sender``, ``pending_codes``,
    ``totp_check``, ``recovery_check``, ``logins`` (the login steps) and ``account`` (the
    enrollment steps); the service's own methods delegate to ``logins`` and ``account``.

    **Variants for a mutation review** are built through ``parts`` (:class:`ServiceParts`), the
    one extension point: replace one collaborator's class with a broken subclass::

        class NeverLocks(FailureGate):
            def failed(self, record, journal):  # counts nothing: no lockout, no back-off
                pass

        mutant = world.reference_service(parts=ServiceParts(gate=NeverLocks))

    Every other part gets the replacement where it depends on it (the checks count their
    failures through the mutant's gate), so the variant differs from the reference in that one
    rule family; tests then show which scenarios notice.
    """

    def __init__(
        self,
        *,
        clock: Clock,
        twilio: TwilioClient,
        authy: AuthyClient,
        sms_from: str,
        store: Store | None = None,
        policy: SecurityPolicy | None = None,
        random: Random | None = None,
        issuer: str = "twofa-sim",
        parts: ServiceParts | None = None,
        verify: VerifyClient | None = None,
    ) -> None:
        self.clock = clock
        self.verify = verify
        """With a Verify client, codes, TOTP factors and pushes go through Twilio Verify
        (:mod:`twofa_sim.reference.verify`); a part left at its default becomes its Verify
        variant."""
        self.twilio = twilio
        self.authy = authy
        self.sms_from = sms_from
        given: Store = store if store is not None else MemoryStore()
        self.policy = policy if policy is not None else SecurityPolicy()
        self.random: Random = random if random is not None else _secrets.token_bytes
        self.issuer = issuer
        self.notifications: list[Notification] = []
        self.parts = parts if parts is not None else ServiceParts()
        built = self.parts
        self.store: Store = given if built.store is None else built.store(inner=given)
        clock, policy_ = self.clock, self.policy
        self.operations = built.operations(store=self.store, clock=clock, deliver=self._deliver)
        self.gate = built.gate(clock=clock, policy=policy_)
        self.alarm = built.alarm(gate=self.gate)
        self.passwords = built.passwords(policy=policy_)
        sender_class, pending_class, totp_class = built.sender, built.pending_codes, built.totp
        if verify is not None:
            # Each part runs on Verify: the default becomes its Verify variant, a replacement
            # is combined with it (its override on top of Verify's); built with the part's own
            # arguments, then connected to the client.
            sender_class = on_verify(sender_class, VerifySender, CodeSender)
            pending_class = on_verify(pending_class, VerifyCodeCheck, PendingCodeCheck)
            totp_class = on_verify(totp_class, VerifyTotpCheck, TotpCheck)
        self.sender = sender_class(
            clock=clock,
            policy=policy_,
            random=self.random,
            twilio=twilio,
            authy=authy,
            sms_from=sms_from,
            issuer=issuer,
        )
        self.pending_codes = pending_class(
            clock=clock, policy=policy_, gate=self.gate, alarm=self.alarm, authy=authy
        )
        self.totp_check = totp_class(clock=clock, policy=policy_, gate=self.gate, alarm=self.alarm)
        if verify is not None:
            for part in (self.sender, self.pending_codes, self.totp_check):
                if isinstance(part, VerifySender | VerifyCodeCheck | VerifyTotpCheck):
                    part.connect(verify)
        self.recovery_check = built.recovery(policy=policy_, gate=self.gate, alarm=self.alarm)
        self.logins = built.login(
            operations=self.operations,
            store=self.store,
            clock=clock,
            policy=policy_,
            random=self.random,
            gate=self.gate,
            passwords=self.passwords,
            sender=self.sender,
            pending_codes=self.pending_codes,
            totp=self.totp_check,
            recovery=self.recovery_check,
        )
        self.account = built.account(
            operations=self.operations,
            store=self.store,
            clock=clock,
            policy=policy_,
            random=self.random,
            issuer=issuer,
            verify=verify,
            gate=self.gate,
            passwords=self.passwords,
            sender=self.sender,
            pending_codes=self.pending_codes,
            totp=self.totp_check,
        )

    def _deliver(self, notes: Sequence[Notification]) -> None:
        self.notifications.extend(notes)

    # --- accounts -----------------------------------------------------------------------------

    def register(self, username: str, password: str) -> None:
        """Create a user (the first factor is simulated: a salted PBKDF2 password hash)."""
        if not username or not isinstance(username, str):
            raise InputError("a username is required", where="username")
        with self.operations.on(username, create=True) as (record, journal):
            if record.password_hash:
                raise InputError(f"user {username!r} exists already", where="username")
            salt = self.random(16)
            record.password_salt = salt.hex()
            record.password_hash = self.passwords.digest(salt, password)
            journal.event("user.registered", "ok", rule="audit")

    def record(self, username: str) -> UserRecord:
        """What the store holds for the user (a copy: changing it changes nothing)."""
        return self.account.record(username)

    # --- enrolling and changing factors (delegated to the account steps) ------------------------

    def start_phone_verification(
        self, username: str, phone: str, *, authy_method: str = "push"
    ) -> Challenge:
        """ "Verify Phone Number" (:meth:`AccountFlow.start_phone_verification`)."""
        return self.account.start_phone_verification(username, phone, authy_method=authy_method)

    def confirm_phone(self, username: str, request_id: str, code: str | None = None) -> Outcome:
        """ "Save Changes" (:meth:`AccountFlow.confirm_phone`)."""
        return self.account.confirm_phone(username, request_id, code)

    def change_phone(self, username: str, phone: str, *, authy_method: str = "push") -> Challenge:
        """Start verifying a new number (:meth:`AccountFlow.change_phone`)."""
        return self.account.change_phone(username, phone, authy_method=authy_method)

    def generate_qr(self, username: str) -> Enrollment:
        """ "Click here to generate" (:meth:`AccountFlow.generate_qr`)."""
        return self.account.generate_qr(username)

    def confirm_totp(self, username: str, code: str) -> Outcome:
        """Activate the pending QR secret (:meth:`AccountFlow.confirm_totp`)."""
        return self.account.confirm_totp(username, code)

    def generate_recovery_codes(self, username: str) -> list[str]:
        """New recovery codes (:meth:`AccountFlow.generate_recovery_codes`)."""
        return self.account.generate_recovery_codes(username)

    # --- login (delegated to the login steps) -----------------------------------------------------

    def login(self, username: str, password: str) -> LoginResult:
        """The first step: the (simulated) password (:meth:`LoginFlow.login`)."""
        return self.logins.login(username, password)

    def send_login_code(self, username: str, login_id: str, channel: str) -> Challenge:
        """Send the second-factor code for a login (:meth:`LoginFlow.send_login_code`)."""
        return self.logins.send_login_code(username, login_id, channel)

    def verify_login(
        self, username: str, login_id: str, factor: str, code: str | None = None
    ) -> Outcome:
        """The second step: check a code or the push (:meth:`LoginFlow.verify_login`)."""
        return self.logins.verify_login(username, login_id, factor, code)

    def logged_in(self, username: str, login_id: str) -> bool:
        """Whether that login attempt has passed its second factor."""
        return self.logins.logged_in(username, login_id)

    # --- turning it off, teams ------------------------------------------------------------------

    def disable_two_factor(self, username: str, password: str) -> Outcome:
        """Turn two-factor off (:meth:`AccountFlow.disable_two_factor`)."""
        return self.account.disable_two_factor(username, password)

    def create_team(self, name: str, *, require_two_factor: bool = False) -> Team:
        team = Team(name, require_two_factor)
        self.store.save_team(team)
        return team

    def add_member(self, team_name: str, username: str) -> None:
        team = self._team(team_name)
        self.record(username)
        if username not in team.members:
            team.members.append(username)
        self.store.save_team(team)

    def members_without_two_factor(self, team_name: str) -> list[str]:
        """The members of a team who have not turned two-factor on."""
        team = self._team(team_name)
        return [name for name in team.members if not self.record(name).two_factor]

    def _team(self, name: str) -> Team:
        team = self.store.team(name)
        if team is None:
            raise InputError(f"no team {name!r}", where="team")
        return team

    # --- the audit log ----------------------------------------------------------------------------

    def audit_log(self) -> list[AuditEntry]:
        return self.store.audit()

    def audit_intact(self) -> bool:
        """Whether the audit chain verifies end to end, and every user's last saved change has
        its entry in it (the chain alone cannot see an entry lost at its end)."""
        store = self.store
        records = [r for name in store.usernames() if (r := store.load(name)) is not None]
        entries = store.audit()  # read after the records: every change they show is in it
        return verify_chain(entries) is None and not unlogged_users(entries, records)
