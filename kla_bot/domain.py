"""Plain domain constants: predicates, clusters, task states, roles."""

from __future__ import annotations

from enum import StrEnum

PREDICATE_THRESHOLDS: dict[str, int] = {
    "Pratama": 500,
    "Madya": 601,
    "Nindya": 701,
    "Utama": 801,
    "KLA": 901,
}

CLUSTER_CODES: tuple[str, ...] = ("KL", "K1", "K2", "K3", "K4", "K5")

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class TaskState(StrEnum):
    OPEN = "open"
    SUBMITTED = "submitted"
    APPROVED = "approved"


class Role(StrEnum):
    MEMBER = "member"
    COORDINATOR = "coordinator"
    SECRETARIAT = "secretariat"


class EvidenceState(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"


class OutboxState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # a permanent answer (or a bug); the cause is in last_error
    EXPIRED = "expired"  # transient failures lasted past the message's useful life
    UNREACHABLE = "unreachable"  # the recipient blocked the bot; sent again when they return
