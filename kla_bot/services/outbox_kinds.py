"""What the outbox carries: one kind per message, one frozen payload type per kind.

A payload holds facts, never text: each channel renders it in the recipient's language when it
is sent (Telegram: the renderer table of :mod:`handlers`). The kind is the payload's class, so a
row's kind and its payload cannot disagree. In the database a payload is plain JSON
(:meth:`OutboxPayload.to_json`); :func:`load` reads it back — rows written before these types
existed included (the JSON keys are unchanged; unknown keys are ignored).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar, Literal, Self

from pydantic import TypeAdapter

from kla_bot.services.evidence_facts import FileNotes


class OutboxKind(StrEnum):
    """Every kind of message the outbox sends (the stored ``kind`` column)."""

    DIGEST = "reminder.digest"
    ESCALATION = "reminder.escalation"
    BRIEF = "reminder.brief"
    LASTCALL = "reminder.lastcall"
    EVIDENCE_SUBMITTED = "evidence.submitted"
    REVIEW_ACCEPTED = "review.accepted"
    REVIEW_REJECTED = "review.rejected"
    TASK_REASSIGNED = "task.reassigned"
    MEMBER_UNREACHABLE = "member.unreachable"
    HANDOVER_REQUESTED = "handover.requested"
    GROUP_PROGRESS = "group.progress"
    GROUP_APPROVAL = "group.approval"
    MEMBER_AWAY = "member.away"
    URGENT_CALL = "harih.call"
    URGENT_CHASE = "harih.chase"
    URGENT_ANSWERED = "harih.answered"
    HARI_H_REPORT = "harih.report"


@dataclass(frozen=True, kw_only=True)
class OutboxPayload:
    """Base of every payload. ``task_ids``: the tasks the message is about, so a reply to the
    sent message finds its task."""

    kind: ClassVar[OutboxKind]
    task_ids: tuple[int, ...] = ()

    def edits(self) -> str | None:
        """The dedupe key of an earlier message this one replaces in place (edits), if any:
        the sender edits that message where it went instead of sending a new one."""
        return None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data for the outbox row (dates as ISO text, amounts as decimal text)."""
        data: dict[str, Any] = _adapter(type(self)).dump_python(self, mode="json")
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """Read a stored payload back (raises ``pydantic.ValidationError`` when it does not
        fit this kind)."""
        payload: Self = _adapter(cls).validate_python(dict(data))
        return payload


_ADAPTERS: dict[type[OutboxPayload], TypeAdapter[Any]] = {}


def _adapter(cls: type[OutboxPayload]) -> TypeAdapter[Any]:
    """Built once per type: building one compiles its (de)serialiser."""
    if cls not in _ADAPTERS:
        _ADAPTERS[cls] = TypeAdapter(cls)
    return _ADAPTERS[cls]


# --- reminders (kla_bot.services.reminders) ---

@dataclass(frozen=True, kw_only=True)
class Countdown(OutboxPayload):
    """The local ``day`` a reminder is for and how many days are left to the verification."""

    days_left: int
    day: date
    verification_date: date


@dataclass(frozen=True, kw_only=True)
class Why:
    """Why this person gets this reminder now, as facts (the renderer words them in one line;
    the rule: :func:`kla_bot.services.reminder_why.digest_why`). ``rule``: ``overdue`` (``days``:
    the longest overdue), ``due_soon`` (``days``: 0 today, 1 tomorrow), ``countdown``
    (``days``: days left to the verification), ``open`` (``days``: to the nearest due date),
    ``cluster_overdue`` (a coordinator's clusters; ``days``: the longest overdue).
    ``task_code``: the one task concerned, when just one."""

    rule: Literal["overdue", "due_soon", "countdown", "open", "cluster_overdue"]
    count: int
    days: int = 0
    task_code: str | None = None


@dataclass(frozen=True, kw_only=True)
class TaskLine:
    """A task as a reminder lists it."""

    id: int
    code: str
    title: str
    due: date
    points: Decimal


@dataclass(frozen=True, kw_only=True)
class DigestTask(TaskLine):
    overdue: bool = False


@dataclass(frozen=True, kw_only=True)
class Digest(Countdown):
    """A member's open tasks (the first ones; ``more`` not listed)."""

    kind = OutboxKind.DIGEST
    tasks: tuple[DigestTask, ...]
    more: int = 0
    why: Why | None = None  # None: stored before reminders said why


@dataclass(frozen=True, kw_only=True)
class OverdueTask(TaskLine):
    state: str
    cluster: str
    assignee: str
    agency: str
    days: int  # days past the due date


@dataclass(frozen=True, kw_only=True)
class Escalation(Countdown):
    """A coordinator's overdue tasks (the first ones; ``more`` not listed)."""

    kind = OutboxKind.ESCALATION
    tasks: tuple[OverdueTask, ...]
    more: int = 0
    why: Why | None = None


@dataclass(frozen=True, kw_only=True)
class Brief(Countdown):
    """The morning brief. ``late_at`` (with the regency's ``timezone``): a brief caught up long
    after its slot, taken at that moment."""

    kind = OutboxKind.BRIEF
    projected: Decimal
    target: int
    predicate: str
    needed: Decimal
    open: int
    submitted: int
    approved: int
    overdue: int
    late_at: datetime | None = None
    timezone: str | None = None


@dataclass(frozen=True, kw_only=True)
class LastCall(OutboxPayload):
    """The verification day's last call: what is still open or waiting for review."""

    kind = OutboxKind.LASTCALL
    verification_date: date
    open: int
    open_points: Decimal
    submitted: int


# --- evidence and review (kla_bot.services.intake_record, review, reassign, delivery) ---

@dataclass(frozen=True, kw_only=True)
class EvidenceSubmitted(OutboxPayload):
    """A new file for a reviewer (also the card of ``/tinjau``). ``file_id``/``file_kind``:
    Telegram's, to send the file without uploading it again."""

    kind = OutboxKind.EVIDENCE_SUBMITTED
    evidence_id: int
    task_code: str
    task_title: str
    indicator: str  # "17. <the indicator's name>"
    cluster: str
    points: Decimal
    member_name: str
    agency: str
    file_name: str
    bytes: int
    sha256: str
    mime: str
    storage_key: str
    file_id: str | None = None
    file_kind: str | None = None
    content_notes: str | None = None  # comma-separated validation notes
    facts: FileNotes | None = None  # what the file says (date, period, quality, duplicates)


@dataclass(frozen=True, kw_only=True)
class ReviewResult(OutboxPayload):
    """What the uploader hears about their file (one kind per outcome, below)."""

    evidence_id: int
    task_code: str
    task_title: str
    file_name: str
    points: Decimal
    reviewer: str


@dataclass(frozen=True, kw_only=True)
class ReviewAccepted(ReviewResult):
    """The uploader hears their file was approved."""

    kind = OutboxKind.REVIEW_ACCEPTED


@dataclass(frozen=True, kw_only=True)
class ReviewRejected(ReviewResult):
    """The uploader hears their file was rejected, and why."""

    kind = OutboxKind.REVIEW_REJECTED
    reason: str


@dataclass(frozen=True, kw_only=True)
class TaskReassigned(OutboxPayload):
    """A task changed hands: ``in`` for the new assignee, ``out`` for the previous one."""

    kind = OutboxKind.TASK_REASSIGNED
    task_code: str
    task_title: str
    points: Decimal
    due: date
    direction: Literal["in", "out"]
    other_name: str
    by_name: str


@dataclass(frozen=True, kw_only=True)
class MemberUnreachable(OutboxPayload):
    """A coordinator hears that a member cannot be reached (``reason``: why, ``since``: the
    local day)."""

    kind = OutboxKind.MEMBER_UNREACHABLE
    member_id: int
    member_name: str
    agency: str
    reason: str
    since: date
    open_tasks: int
    clusters: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class HandoverChoice:
    """A member of the cluster who can take the tasks over."""

    member_id: int
    name: str


@dataclass(frozen=True, kw_only=True)
class HandoverRequested(OutboxPayload):
    """A cluster coordinator hears that a member will be away and asks to hand their open
    tasks in the cluster over (``note``: the member's own words, "dinas luar sampai Jumat");
    ``choices``: who can take them, one tap each (:mod:`kla_bot.services.handover`)."""

    kind = OutboxKind.HANDOVER_REQUESTED
    requester_id: int
    requester_name: str
    agency: str
    cluster: str
    note: str
    task_codes: tuple[str, ...]
    choices: tuple[HandoverChoice, ...]

# --- the task-force group (kla_bot.services.groups): Telegram only, never a person's data ---

@dataclass(frozen=True, kw_only=True)
class ClusterBar:
    """One cluster in the group's progress post: tasks approved of all, and still open."""

    code: str
    approved: int
    total: int
    open: int


@dataclass(frozen=True, kw_only=True)
class GroupProgress(Countdown):
    """The morning progress post in the task-force group. ``first``: the day's post this one
    updates in place (its dedupe key); None for the morning post itself. No names, no phone
    numbers, no rejection reasons: everyone in the group reads it."""

    kind = OutboxKind.GROUP_PROGRESS
    approved_points: Decimal
    needed: Decimal
    target: int
    predicate: str
    clusters: tuple[ClusterBar, ...]
    approved_since: tuple[str, ...] = ()  # task codes approved since yesterday
    more_approved: int = 0
    updated_at: datetime | None = None  # an update's local time (None: the morning post)
    zone: str | None = None  # its time zone's name (JSON keeps only the offset: "UTC+8")
    first: str | None = None

    def edits(self) -> str | None:
        return self.first


@dataclass(frozen=True, kw_only=True)
class GroupApproval(OutboxPayload):
    """Approval news in the group: the task and whom to thank (never a rejection)."""

    kind = OutboxKind.GROUP_APPROVAL
    task_code: str
    member_name: str


@dataclass(frozen=True, kw_only=True)
class MemberAway(OutboxPayload):
    """A coordinator hears that a member is away up to ``until`` (their reminders pause),
    marked so by ``by_name``."""

    kind = OutboxKind.MEMBER_AWAY
    member_id: int
    member_name: str
    agency: str
    until: date
    by_name: str
    open_tasks: int


# --- hari H (kla_bot.services.hari_h_need) ---

@dataclass(frozen=True, kw_only=True)
class UrgentCall(OutboxPayload):
    """The owner of a task is asked for it now (``call``: 1 the first time, then each repeat)."""

    kind = OutboxKind.URGENT_CALL
    request_id: int
    task_code: str
    task_title: str
    indicator: str
    requested_by: str
    call: int = 1


@dataclass(frozen=True, kw_only=True)
class UrgentChase(OutboxPayload):
    """The cluster coordinator (and a linked group) hears that a task is being chased."""

    kind = OutboxKind.URGENT_CHASE
    request_id: int
    task_code: str
    task_title: str
    owner_name: str
    requested_by: str


@dataclass(frozen=True, kw_only=True)
class UrgentAnswered(OutboxPayload):
    """The secretariat hears that a called-for item arrived, from whom and how fast."""

    kind = OutboxKind.URGENT_ANSWERED
    request_id: int
    task_code: str
    task_title: str
    answered_by: str
    minutes: int
    file_name: str


@dataclass(frozen=True, kw_only=True)
class ReportCall(OutboxPayload):
    """One call of the day as the report lists it (``minutes`` None: never answered)."""

    task_code: str
    answered_by: str | None = None
    minutes: int | None = None


@dataclass(frozen=True, kw_only=True)
class HariHReport(OutboxPayload):
    """After the verification day: what was asked, found, missing, and how fast."""

    kind = OutboxKind.HARI_H_REPORT
    verification_date: date
    lookups: int
    found: int
    calls: tuple[ReportCall, ...]
    missing: int
    missing_codes: tuple[str, ...] = ()


# Sent before anything else due (claim order): on hari H a new file for review and a call
# for a missing item must not wait behind a fan-out of routine reminders.
URGENT_KINDS: frozenset[OutboxKind] = frozenset({
    OutboxKind.EVIDENCE_SUBMITTED, OutboxKind.URGENT_CALL, OutboxKind.URGENT_CHASE,
    OutboxKind.URGENT_ANSWERED})

# Answers to something a person just did, so someone is waiting for them: claimed right after
# the urgent kinds, and sent with the bot's interactive tokens, ahead of the bulk kinds
# (digests, escalations, briefs, the last call, group posts, unreachable notices, the hari H
# report) inside one rate budget (kla_bot.priority_budget). Review results answer a reviewer's
# decision to the uploader; a reassignment and a handover request carry a coordinator's or a
# member's step to the person who must act on it. An away notice only informs, so it is bulk.
INTERACTIVE_KINDS: frozenset[OutboxKind] = URGENT_KINDS | frozenset({
    OutboxKind.REVIEW_ACCEPTED, OutboxKind.REVIEW_REJECTED, OutboxKind.TASK_REASSIGNED,
    OutboxKind.HANDOVER_REQUESTED})


def is_interactive(kind: str) -> bool:
    """Whether a row of this kind answers a person's action (sent before bulk rows)."""
    return kind in INTERACTIVE_KINDS


def _concrete(cls: type[OutboxPayload]) -> list[type[OutboxPayload]]:
    """Every payload type below ``cls`` that names its own kind (bases such as Countdown do
    not)."""
    found = [cls] if "kind" in vars(cls) else []
    return found + [c for sub in cls.__subclasses__() for c in _concrete(sub)]


# Derived from the classes above, so a new kind is registered by writing its class.
PAYLOAD_TYPES: dict[OutboxKind, type[OutboxPayload]] = {
    cls.kind: cls for cls in _concrete(OutboxPayload)}


def load(kind: str, data: Mapping[str, Any]) -> OutboxPayload:
    """The typed payload of a stored row (``LookupError`` for a kind nobody knows)."""
    try:
        cls = PAYLOAD_TYPES[OutboxKind(kind)]
    except (ValueError, KeyError):
        raise LookupError(f"unknown outbox kind {kind!r}") from None
    return cls.from_json(data)
