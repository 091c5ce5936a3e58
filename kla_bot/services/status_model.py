"""The plain results of the status service, and their ``status --json`` form.

The JSON shape is a public contract (interface.md): keys may be added, never renamed or removed.
Points are Decimals here and JSON numbers there (an int when whole, else a float).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from kla_bot.domain import PREDICATE_THRESHOLDS, TaskState

ZERO = Decimal(0)


def json_number(value: Decimal | float | int) -> int | float:
    """23.50 → 23.5, 685.00 → 685."""
    d = Decimal(str(value)) if not isinstance(value, Decimal) else value
    return int(d) if d == d.to_integral_value() else float(d)


def predicate_for(score: Decimal) -> str | None:
    """The predicate a score earns (None below Pratama)."""
    reached = [name for name, floor in PREDICATE_THRESHOLDS.items() if score >= floor]
    return reached[-1] if reached else None


@dataclass(frozen=True)
class TaskCounts:
    total: int = 0
    open: int = 0
    submitted: int = 0
    approved: int = 0
    overdue: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"total": self.total, "open": self.open, "submitted": self.submitted,
                "approved": self.approved, "overdue": self.overdue}

    def __add__(self, other: TaskCounts) -> TaskCounts:
        return TaskCounts(self.total + other.total, self.open + other.open,
                          self.submitted + other.submitted, self.approved + other.approved,
                          self.overdue + other.overdue)


@dataclass(frozen=True)
class Totals:
    counts: TaskCounts
    points: Decimal
    approved_points: Decimal
    submitted_points: Decimal
    open_points: Decimal

    @classmethod
    def of(cls, parts: list[Totals]) -> Totals:
        """The sum of several totals (say, of a coordinator's clusters)."""
        q = sum((p.counts for p in parts), TaskCounts())
        return cls(q, sum((p.points for p in parts), ZERO),
                   sum((p.approved_points for p in parts), ZERO),
                   sum((p.submitted_points for p in parts), ZERO),
                   sum((p.open_points for p in parts), ZERO))


@dataclass
class Tally:
    """Adds up task rows (or grouped rows) into counts and points per state."""

    n: dict[str, int] = field(default_factory=dict)
    points: dict[str, Decimal] = field(default_factory=dict)
    overdue: int = 0

    def count(self, state: str, points: Decimal, overdue: int | bool, *, n: int = 1) -> None:
        self.n[state] = self.n.get(state, 0) + n
        self.points[state] = self.points.get(state, ZERO) + points
        self.overdue += int(overdue)

    def add(self, other: Tally) -> None:
        for state, n in other.n.items():
            self.count(state, other.points.get(state, ZERO), 0, n=n)
        self.overdue += other.overdue

    def freeze(self) -> Totals:
        q = Decimal("0.01")  # SQLite sums decimals as floats: round back to the column's scale
        p = {state: v.quantize(q) for state, v in self.points.items()}
        counts = TaskCounts(total=sum(self.n.values()), open=self.n.get(TaskState.OPEN, 0),
                            submitted=self.n.get(TaskState.SUBMITTED, 0),
                            approved=self.n.get(TaskState.APPROVED, 0), overdue=self.overdue)
        return Totals(counts, sum(p.values(), ZERO).quantize(q), p.get(TaskState.APPROVED, ZERO),
                      p.get(TaskState.SUBMITTED, ZERO), p.get(TaskState.OPEN, ZERO))


@dataclass(frozen=True)
class Score:
    """Points against the target: ``gap`` from last year's score, ``projected`` with approved."""

    last: Decimal
    target_predicate: str
    target: int
    gap: Decimal
    approved_points: Decimal
    submitted_points: Decimal
    open_points: Decimal
    projected: Decimal
    still_needed: Decimal  # what approvals must still add to reach the target
    potential: Decimal  # projected if every submitted and open task were approved

    @classmethod
    def compute(cls, *, last: Decimal, target_predicate: str, approved: Decimal,
                submitted: Decimal, open_: Decimal) -> Score:
        target = PREDICATE_THRESHOLDS[target_predicate]
        projected = last + approved
        return cls(last=last, target_predicate=target_predicate, target=target,
                   gap=max(ZERO, target - last), approved_points=approved,
                   submitted_points=submitted, open_points=open_, projected=projected,
                   still_needed=max(ZERO, target - projected),
                   potential=projected + submitted + open_)

    @property
    def reached(self) -> bool:
        return self.still_needed == 0

    def to_json(self) -> dict[str, Any]:
        return {
            "last": json_number(self.last), "target_predicate": self.target_predicate,
            "target": self.target, "gap": json_number(self.gap),
            "approved_points": json_number(self.approved_points),
            "submitted_points": json_number(self.submitted_points),
            "open_points": json_number(self.open_points),
            "projected": json_number(self.projected),
            "still_needed": json_number(self.still_needed),
            "potential": json_number(self.potential),
            "projected_predicate": predicate_for(self.projected),
        }


@dataclass(frozen=True)
class Headline:
    """The few numbers the morning brief and ``/status`` open with."""

    today: date
    verification_date: date
    days_left: int
    score: Score
    tasks: TaskCounts


@dataclass(frozen=True)
class ClusterStatus:
    code: str
    name: str
    name_en: str
    totals: Totals

    def to_json(self) -> dict[str, Any]:
        t = self.totals
        return {"code": self.code, "name": self.name, "name_en": self.name_en,
                **t.counts.to_json(), "points": json_number(t.points),
                "approved_points": json_number(t.approved_points),
                "submitted_points": json_number(t.submitted_points),
                "open_points": json_number(t.open_points)}


@dataclass(frozen=True)
class Behind:
    """A member with overdue tasks (in a viewer's clusters), as ``/status`` lists them."""

    id: int
    name: str
    agency: str
    phone: str
    counts: TaskCounts


@dataclass(frozen=True)
class MemberStatus:
    """A member with their task counts (``open`` = waiting for them; ``overdue`` = late)."""

    id: int
    name: str
    agency: str
    phone: str
    role: str
    clusters: tuple[str, ...]
    registered: bool
    reachable: bool
    counts: TaskCounts

    def to_json(self) -> dict[str, Any]:
        c = self.counts
        return {"name": self.name, "agency": self.agency, "phone": self.phone,
                "role": self.role, "clusters": list(self.clusters),
                "registered": self.registered, "reachable": self.reachable, "open": c.open,
                "overdue": c.overdue, "submitted": c.submitted, "approved": c.approved,
                "total": c.total}


@dataclass(frozen=True)
class EvidenceLine:
    id: int
    task: str
    sha256: str
    bytes: int
    mime: str
    state: str
    uploaded_by: str
    uploaded_at: datetime

    def to_json(self) -> dict[str, Any]:
        at = self.uploaded_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {"task": self.task, "sha256": self.sha256, "bytes": self.bytes,
                "mime": self.mime, "state": self.state, "uploaded_by": self.uploaded_by,
                "uploaded_at": at}


@dataclass(frozen=True)
class StatusReport:
    regency: str
    verification_date: date
    timezone: str
    today: date
    days_left: int
    score: Score
    tasks: TaskCounts
    clusters: tuple[ClusterStatus, ...]
    members: tuple[MemberStatus, ...]
    evidence: tuple[EvidenceLine, ...]

    @property
    def headline(self) -> Headline:
        return Headline(self.today, self.verification_date, self.days_left, self.score,
                        self.tasks)

    def to_json(self) -> dict[str, Any]:
        """The documented ``status --json`` shape (plus a few added keys)."""
        return {
            "regency": self.regency, "verification_date": self.verification_date.isoformat(),
            "timezone": self.timezone, "today": self.today.isoformat(),
            "days_left": self.days_left, "score": self.score.to_json(),
            "tasks": self.tasks.to_json(),
            "clusters": [c.to_json() for c in self.clusters],
            "members": [m.to_json() for m in self.members],
            "evidence": [e.to_json() for e in self.evidence],
        }


@dataclass(frozen=True)
class TaskLine:
    """One task of a cluster, as ``/status K3`` lists it."""

    id: int
    code: str
    indicator: int
    indicator_name: str
    title: str
    points: Decimal
    assignee_id: int
    assignee_name: str
    assignee_phone: str
    agency: str
    state: str
    due: date
    overdue: bool


@dataclass(frozen=True)
class ClusterDetail:
    cluster: ClusterStatus
    tasks: tuple[TaskLine, ...]
