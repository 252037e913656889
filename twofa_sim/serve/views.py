"""What the control API shows: the served world's inboxes, exchanges and pushes as JSON.

Read-only renderings of a :class:`~twofa_sim.serve.state.ServedWorld`'s state; call them under
its lock.
"""

from __future__ import annotations

from twofa_sim.providers import Exchange, FakeService
from twofa_sim.providers.network import Sms, extract_code
from twofa_sim.providers.verify import VerifyService
from twofa_sim.providers.verify.exceptions import ResourceNotFound
from twofa_sim.world import World

__all__ = [
    "approval",
    "approvals",
    "challenge",
    "challenges",
    "exchanges",
    "inbox",
    "numbers",
    "verifications",
]


def numbers(world: World) -> list[dict[str, object]]:
    """Every phone of the world and every number a message went to, first seen first."""
    network = world.network
    return [
        {
            "number": number,
            "messages": len(network.inbox(number)),
            "in_flight": len(network.in_flight(number)),
            "latest_code": network.latest_code(number),
            "authy": number in world.phones and world.phones[number].authy is not None,
        }
        for number in dict.fromkeys([*world.phones, *network.numbers()])
    ]


def inbox(world: World, number: str) -> dict[str, object]:
    """The SMS delivered to ``number`` by now (the phone's screen)."""
    network = world.network
    return {
        "number": number,
        "messages": [_sms(m) for m in network.inbox(number)],
        "in_flight": len(network.in_flight(number)),
        "latest_code": network.latest_code(number),
    }


def exchanges(
    services: tuple[FakeService, ...], provider: str | None, limit: int | None
) -> list[dict[str, object]]:
    """The exchange logs of the services (of one provider), in virtual-time order; ``limit``
    keeps the newest."""
    found = [
        exchange
        for service in services
        if provider is None or service.name == provider
        for exchange in service.exchanges
    ]
    found.sort(key=lambda e: e.at)
    if limit is not None:
        found = found[-limit:] if limit else []
    return [_exchange(e) for e in found]


def approvals(world: World, status: str | None) -> list[dict[str, object]]:
    """Authy OneTouch pushes, oldest first (of one status)."""
    views = [approval(world, uuid) for uuid in list(world.authy.backend.requests)]
    return [v for v in views if status is None or v["status"] == status]


def approval(world: World, uuid: str) -> dict[str, object]:
    backend = world.authy.backend
    request = backend.approval_request(uuid)
    return {
        "uuid": request.uuid,
        "authy_id": request.authy_id,
        "message": request.message,
        "details": request.details,
        "status": backend.status(uuid),
        "created_at": request.created_at,
        "expires_at": request.expires_at,
        "processed_at": request.processed_at,
    }


def verifications(verify: VerifyService, now: float, status: str | None) -> list[dict[str, object]]:
    """Twilio Verify verifications, oldest first (of one status)."""
    views: list[dict[str, object]] = [
        {
            "sid": v.sid,
            "service_sid": v.service_sid,
            "to": v.to,
            "channel": v.channel,
            "status": v.status_at(now),
            "created_at": v.created_at,
            "expires_at": v.expires_at,
            "sends": len(v.sends),
            "checks": v.checks,
        }
        for v in verify.backend.verifications.values()
    ]
    return [v for v in views if status is None or v["status"] == status]


def challenges(verify: VerifyService, now: float, status: str | None) -> list[dict[str, object]]:
    """Verify push (and TOTP) challenges, oldest first (of one status)."""
    views = [challenge(verify, now, sid) for sid in list(verify.backend.challenges)]
    return [v for v in views if status is None or v["status"] == status]


def challenge(verify: VerifyService, now: float, sid: str) -> dict[str, object]:
    found = verify.backend.challenges.get(sid)
    if found is None:
        raise ResourceNotFound(f"no Verify challenge {sid}")
    return {
        "sid": found.sid,
        "service_sid": found.service_sid,
        "identity": found.identity,
        "factor_sid": found.factor_sid,
        "factor_type": found.factor_type,
        "message": found.message,
        "fields": found.fields,
        "status": found.status_at(now),
        "created_at": found.created_at,
        "expires_at": found.expires_at,
        "responded_at": found.responded_at,
    }


def _sms(message: Sms) -> dict[str, object]:
    return {
        "sid": message.sid,
        "from": message.sender,
        "to": message.to,
        "body": message.body,
        "code": extract_code(message.body),
        "provider": message.provider,
        "sent_at": message.sent_at,
        "delivered_at": message.delivered_at,
        "duplicate": bool(message.copy),
    }


def _exchange(exchange: Exchange) -> dict[str, object]:
    return {
        "at": exchange.at,
        "provider": exchange.provider,
        "endpoint": exchange.endpoint,
        "method": exchange.method,
        "url": exchange.url,
        "request": dict(exchange.request),
        "status": exchange.status,
        "response": exchange.response,
        "fault": exchange.fault,
    }
