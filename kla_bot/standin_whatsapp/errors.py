"""The Cloud API's error answers, in the Graph API's own shape.

``{"error": {"message", "type", "code", "error_subcode"?, "error_data": {"details"},
"fbtrace_id"}}``
(developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes).
The real Cloud API reports some of these (131047, 131026) asynchronously too, as a ``failed``
status in a webhook; the stand-in answers them synchronously, which is the stricter case for a bot.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

JSON = dict[str, Any]


class GraphError(Exception):
    """One error answer of the Graph API."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        details: str | None = None,
        type_: str = "OAuthException",
        subcode: int | None = None,
    ) -> None:
        super().__init__(f"({code}) {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.type = type_
        self.subcode = subcode

    def payload(self) -> JSON:
        error: JSON = {"message": self.message, "type": self.type, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.details is not None:
            error["error_data"] = {"messaging_product": "whatsapp", "details": self.details}
        error["fbtrace_id"] = "A" + secrets.token_hex(10)
        return {"error": error}

    def body(self) -> bytes:
        return json.dumps(self.payload()).encode()


def invalid_token() -> GraphError:
    return GraphError(
        401, 190, "Invalid OAuth access token - Cannot parse access token", subcode=463
    )


def invalid_parameter(details: str) -> GraphError:
    return GraphError(400, 100, "(#100) Invalid parameter", details=details)


def parameter_not_valid(details: str) -> GraphError:
    """131009: what the Cloud API answers to interactive messages outside their limits."""
    return GraphError(400, 131009, "(#131009) Parameter value is not valid", details=details)


def reengagement() -> GraphError:
    return GraphError(
        400,
        131047,
        "(#131047) Re-engagement message",
        details="Message failed to send because more than 24 hours have passed since the "
        "customer last replied to this number.",
    )


def not_whatsapp_user() -> GraphError:
    return GraphError(
        400,
        131026,
        "(#131026) Message undeliverable",
        details="Unable to deliver message: the recipient is not a WhatsApp user.",
    )


def throughput_limit() -> GraphError:
    return GraphError(
        400, 130429, "(#130429) Rate limit hit", details="Cloud API message throughput reached."
    )


def pair_rate_limit() -> GraphError:
    return GraphError(
        400,
        131056,
        "(#131056) (Business Account, Consumer Account) pair rate limit hit",
        details="Too many messages sent from this phone number to the same recipient "
        "in a short period of time.",
    )


def unsupported(method: str, path: str) -> GraphError:
    """Graph's answer to a path it does not serve (the stand-in also records it as a surprise)."""
    return GraphError(
        400,
        100,
        f"Unsupported {method.lower()} request. Object with ID '{path.strip('/')}' does not "
        "exist, cannot be loaded due to missing permissions, or does not support this "
        "operation.",
        type_="GraphMethodException",
        subcode=33,
    )


def media_not_found(media_id: str) -> GraphError:
    return GraphError(
        404, 100, f"(#100) Media with id {media_id} not found", type_="GraphMethodException"
    )
