"""The control API's OpenAPI 3.1 document, drawn from :data:`twofa_sim.serve.control.ROUTES`."""

from __future__ import annotations

import re
from typing import Any

from twofa_sim import __version__
from twofa_sim.providers import FAULT_KINDS
from twofa_sim.serve.control import PREFIX, ROUTES

__all__ = ["SCHEMAS", "document"]


def _object(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


_NUMBER = {"type": "number"}
_TEXT = {"type": "string"}
_NULLABLE_TEXT = {"type": ["string", "null"]}
_DURATION = {
    "oneOf": [_NUMBER, _TEXT],
    "description": "Seconds, or text such as '90s', '5m', '1h30m' (negative moves back).",
}

SCHEMAS: dict[str, dict[str, Any]] = {
    "Object": {"type": "object"},
    "Error": _object(
        {
            "error": _object(
                {"status": {"type": "integer"}, "message": _TEXT, "where": _TEXT, "hint": _TEXT},
                ("status", "message"),
            )
        },
        ("error",),
    ),
    "Clock": _object(
        {
            "now": {**_NUMBER, "description": "Unix seconds."},
            "iso": {**_TEXT, "description": "ISO-8601, UTC."},
            "mode": {"enum": ["virtual", "real"]},
        },
        ("now", "iso", "mode"),
    ),
    "Advance": _object({"by": _DURATION}, ("by",)),
    "SetTime": _object(
        {"to": {"oneOf": [_NUMBER, _TEXT], "description": "Unix seconds or ISO-8601."}}, ("to",)
    ),
    "World": _object(
        {
            "seed": {"oneOf": [{"type": "integer"}, _TEXT]},
            "clock": _ref("Clock"),
            "providers": _object(
                {
                    "twilio": _object(
                        {
                            "account_sid": _TEXT,
                            "auth_token": _TEXT,
                            "from_numbers": {"type": "array", "items": _TEXT},
                        }
                    ),
                    "authy": _object({"api_key": _TEXT}),
                    "verify": _object({"account_sid": _TEXT, "auth_token": _TEXT}),
                }
            ),
            "phones": {
                "type": "array",
                "items": _object(
                    {
                        "number": _TEXT,
                        "apps": {"type": "array", "items": _TEXT},
                        "authy_id": {"type": ["integer", "null"]},
                    }
                ),
            },
        }
    ),
    "Numbers": _object(
        {
            "numbers": {
                "type": "array",
                "items": _object(
                    {
                        "number": _TEXT,
                        "messages": {"type": "integer"},
                        "in_flight": {"type": "integer"},
                        "latest_code": _NULLABLE_TEXT,
                        "authy": {"type": "boolean"},
                    }
                ),
            }
        }
    ),
    "Sms": _object(
        {
            "sid": _TEXT,
            "from": _TEXT,
            "to": _TEXT,
            "body": _TEXT,
            "code": {**_NULLABLE_TEXT, "description": "The code a person would type, if any."},
            "provider": _TEXT,
            "sent_at": _NUMBER,
            "delivered_at": _NUMBER,
            "duplicate": {"type": "boolean"},
        }
    ),
    "Inbox": _object(
        {
            "number": _TEXT,
            "messages": {"type": "array", "items": _ref("Sms")},
            "in_flight": {"type": "integer"},
            "latest_code": _NULLABLE_TEXT,
        }
    ),
    "Exchange": _object(
        {
            "at": _NUMBER,
            "provider": _TEXT,
            "endpoint": _TEXT,
            "method": _TEXT,
            "url": _TEXT,
            "request": {"type": "object", "additionalProperties": _TEXT},
            "status": {"type": ["integer", "null"]},
            "response": {},
            "fault": _NULLABLE_TEXT,
        }
    ),
    "Exchanges": _object({"exchanges": {"type": "array", "items": _ref("Exchange")}}),
    "Approval": _object(
        {
            "uuid": _TEXT,
            "authy_id": {"type": "integer"},
            "message": _TEXT,
            "details": {"type": "object", "additionalProperties": _TEXT},
            "status": {"enum": ["pending", "approved", "denied", "expired"]},
            "created_at": _NUMBER,
            "expires_at": _NUMBER,
            "processed_at": {"type": ["number", "null"]},
        }
    ),
    "Approvals": _object({"approval_requests": {"type": "array", "items": _ref("Approval")}}),
    "Verification": _object(
        {
            "sid": _TEXT,
            "service_sid": _TEXT,
            "to": _TEXT,
            "channel": _TEXT,
            "status": _TEXT,
            "created_at": _NUMBER,
            "expires_at": _NUMBER,
            "sends": {"type": "integer"},
            "checks": {"type": "integer"},
        }
    ),
    "Verifications": _object({"verifications": {"type": "array", "items": _ref("Verification")}}),
    "PushEnrollment": _object(
        {"service_sid": _TEXT, "identity": _TEXT, "friendly_name": _TEXT},
        ("service_sid", "identity"),
    ),
    "Factor": _object(
        {
            "sid": _TEXT,
            "service_sid": _TEXT,
            "identity": _TEXT,
            "friendly_name": _TEXT,
            "factor_type": _TEXT,
            "status": _TEXT,
        }
    ),
    "Challenge": _object(
        {
            "sid": _TEXT,
            "service_sid": _TEXT,
            "identity": _TEXT,
            "factor_sid": _TEXT,
            "factor_type": _TEXT,
            "message": _NULLABLE_TEXT,
            "fields": {"type": "array", "items": {"type": "object"}},
            "status": {"enum": ["pending", "approved", "denied", "expired"]},
            "created_at": _NUMBER,
            "expires_at": _NUMBER,
            "responded_at": {"type": ["number", "null"]},
        }
    ),
    "Challenges": _object({"challenges": {"type": "array", "items": _ref("Challenge")}}),
    "FaultRequest": _object(
        {
            "provider": {**_TEXT, "description": "twilio, authy or verify."},
            "kind": {"enum": list(FAULT_KINDS)},
            "endpoint": {**_TEXT, "description": "Only this endpoint (messages.create ...)."},
            "start": _DURATION,
            "until": _DURATION,
            "probability": {"type": "number", "minimum": 0, "maximum": 1},
            "times": {"type": "integer", "minimum": 1},
            "seconds": _DURATION,
        },
        ("provider", "kind"),
    ),
    "Fault": _object(
        {
            "provider": _TEXT,
            "index": {"type": "integer"},
            "kind": _TEXT,
            "endpoint": _NULLABLE_TEXT,
            "start": {"type": ["number", "null"]},
            "until": {"type": ["number", "null"]},
            "probability": _NUMBER,
            "times": {"type": ["integer", "null"]},
            "seconds": _NUMBER,
            "fired": {"type": "integer"},
        }
    ),
    "Faults": _object({"faults": {"type": "array", "items": _ref("Fault")}}),
    "Cleared": _object({"cleared": {"type": "integer"}}),
}


def document() -> dict[str, Any]:
    """The OpenAPI document of every control route."""
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        operation: dict[str, Any] = {
            "summary": route.summary,
            "operationId": _operation_id(route.method, route.path),
            "responses": {
                str(route.status): {
                    "description": "OK",
                    "content": {"application/json": {"schema": _ref(route.response)}},
                },
                "default": {
                    "description": "An error",
                    "content": {"application/json": {"schema": _ref("Error")}},
                },
            },
        }
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": _TEXT}
            for name in re.findall(r"\{(\w+)\}", route.path)
        ] + [{"name": name, "in": "query", "schema": _TEXT} for name in route.query]
        if parameters:
            operation["parameters"] = parameters
        if route.request is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": _ref(route.request)}},
            }
        paths.setdefault(PREFIX + route.path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "twofa-sim control API",
            "version": __version__,
            "description": (
                "Read and steer the world twofa-sim serve runs: inboxes, exchanges, Authy "
                "pushes, the virtual clock, faults. With --token, send "
                "'Authorization: Bearer <token>'."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}, {}],
    }


def _operation_id(method: str, path: str) -> str:
    words = re.findall(r"[a-z]+", path.replace("{", "by_").lower())
    return method.lower() + "".join(w.capitalize() for w in words)
