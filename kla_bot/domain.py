"""Plain domain constants: predicates, clusters, task states, roles."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

Channel = Literal["telegram", "whatsapp"]


@dataclass(frozen=True)
class Who:
    """A person as a channel knows them: a Telegram user id (as text) or a WhatsApp address
    (the wa_id, or a business-scoped user id). Services find the member behind it."""

    channel: Channel
    address: str

    @classmethod
    def telegram(cls, user_id: int) -> Who:
        return cls("telegram", str(user_id))

    @property
    def telegram_user_id(self) -> int | None:
        """The Telegram user id, for lookups in the members table (None on other channels)."""
        return int(self.address) if self.channel == "telegram" else None

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
    # Dropped from the list by the secretariat (a re-import without it, confirmed): kept with
    # its evidence and history, never reminded, counted or shown as open again.
    CANCELLED = "cancelled"


# States in which a task still waits for its evidence or its review (reminded, counted).
LIVE_TASK_STATES: tuple[str, ...] = (TaskState.OPEN.value, TaskState.SUBMITTED.value)


class Role(StrEnum):
    MEMBER = "member"
    COORDINATOR = "coordinator"
    SECRETARIAT = "secretariat"
    # A province's officer: reads every regency of their province (their record's regency
    # names it), acts in none.
    PROVINCE = "province"


# The roles that oversee tasks (review, assign, remind, correct); never the province's.
OVERSEER_ROLES: frozenset[str] = frozenset({Role.COORDINATOR, Role.SECRETARIAT})


class EvidenceState(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"


def state_from_files(evidence_states: set[str]) -> TaskState:
    """A task follows its files: any accepted → approved, any waiting → submitted, else open."""
    if EvidenceState.APPROVED in evidence_states:
        return TaskState.APPROVED
    if EvidenceState.SUBMITTED in evidence_states:
        return TaskState.SUBMITTED
    return TaskState.OPEN


class OutboxState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # a permanent answer (or a bug); the cause is in last_error
    EXPIRED = "expired"  # transient failures lasted past the message's useful life
    UNREACHABLE = "unreachable"  # the recipient blocked the bot; sent again when they return
    # WhatsApp, outside the 24-hour window, a kind with no template: sent when they write again
    WAITING = "waiting"
