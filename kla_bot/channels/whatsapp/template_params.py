"""The values of a kind's template parameters, from its outbox payload, in ``{{n}}`` order.

:mod:`kla_bot.channels.whatsapp.templates` names each template's parameters; this fills them
for one message, in the recipient's language. WhatsApp refuses a value with a line break, a
tab or a run of spaces, and an empty one: values are flattened, an empty one becomes "-".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kla_bot.channels.whatsapp.render import wa_text
from kla_bot.channels.whatsapp.templates import TEMPLATES
from kla_bot.i18n import Translator
from kla_bot.services.outbox_kinds import (
    Brief,
    Digest,
    Escalation,
    LastCall,
    MemberUnreachable,
    OutboxKind,
    OutboxPayload,
    ReviewAccepted,
    ReviewRejected,
    TaskReassigned,
    UrgentCall,
)
from kla_bot.why_text import digest_reason, reason

# What the template's quick-reply button does: ``cmd:<command>``, which the inbound side takes
# as that command (the press also reopens the 24-hour window, so the full answer can follow).
BUTTON_COMMAND: dict[OutboxKind, str] = {
    OutboxKind.DIGEST: "tugas",
    OutboxKind.REVIEW_ACCEPTED: "tugas",
    OutboxKind.REVIEW_REJECTED: "tugas",
    OutboxKind.TASK_REASSIGNED: "tugas",
    OutboxKind.ESCALATION: "status",
    OutboxKind.BRIEF: "status",
    OutboxKind.LASTCALL: "status",
    OutboxKind.MEMBER_UNREACHABLE: "anggota",
    OutboxKind.URGENT_CALL: "tugas",
}


def flat(value: str) -> str:
    """A value WhatsApp takes as a parameter: one line, single spaces, never empty."""
    return " ".join(value.split()) or "-"


def button_payload(kind: OutboxKind) -> str:
    return f"cmd:{BUTTON_COMMAND[kind]}"


def values(payload: OutboxPayload, name: str, t: Translator) -> list[str]:
    """The parameters of ``payload``'s template, in order, for a recipient called ``name``."""
    fields = _FIELDS[payload.kind](payload, t, name)
    return [flat(name if param == "name" else fields[param])
            for param in TEMPLATES[payload.kind].params]


def _plain(html_text: str) -> str:
    return wa_text(html_text)


def _digest(p: Digest, t: Translator, name: str) -> dict[str, str]:
    due = min((task.due for task in p.tasks), default=None)
    next_due = "-" if due is None else f"{t.date(due)} ({_plain(t.due((due - p.day).days))})"
    return {"countdown": _plain(t.countdown(p.days_left)), "vdate": t.date(p.verification_date),
            "open": str(len(p.tasks) + p.more), "next_due": next_due,
            "why": _plain(reason(t, digest_reason(p)))}


def _escalation(p: Escalation, t: Translator, name: str) -> dict[str, str]:
    clusters = ", ".join(sorted({task.cluster for task in p.tasks}))
    return {"overdue": str(len(p.tasks) + p.more), "clusters": clusters}


def _brief(p: Brief, t: Translator, name: str) -> dict[str, str]:
    return {"countdown": _plain(t.countdown(p.days_left)), "projected": t.num(p.projected),
            "target": f"{t.num(p.target)} ({p.predicate})", "open": str(p.open),
            "submitted": str(p.submitted), "overdue": str(p.overdue)}


def _lastcall(p: LastCall, t: Translator, name: str) -> dict[str, str]:
    return {"open": str(p.open), "open_points": t.num(p.open_points),
            "submitted": str(p.submitted)}


def _accepted(p: ReviewAccepted, t: Translator, name: str) -> dict[str, str]:
    return {"file": p.file_name, "task": p.task_code, "reviewer": p.reviewer,
            "points": t.num(p.points)}


def _rejected(p: ReviewRejected, t: Translator, name: str) -> dict[str, str]:
    return {"file": p.file_name, "task": p.task_code, "reviewer": p.reviewer,
            "reason": p.reason}


def _reassigned(p: TaskReassigned, t: Translator, name: str) -> dict[str, str]:
    # "in": the task is now the recipient's; "out": it went to the other member.
    return {"task": p.task_code, "due": t.date(p.due), "by": p.by_name,
            "assignee": name if p.direction == "in" else p.other_name}


def _unreachable(p: MemberUnreachable, t: Translator, name: str) -> dict[str, str]:
    key = f"reminders.reason_{p.reason}"
    reason = _plain(t(key if t.has(key) else "reminders.reason_forbidden"))
    return {"member": p.member_name, "agency": p.agency, "reason": reason,
            "open": str(p.open_tasks)}


def _urgent_call(p: UrgentCall, t: Translator, name: str) -> dict[str, str]:
    return {"task": p.task_code, "title": p.task_title, "by": p.requested_by}


_FIELDS: dict[OutboxKind, Callable[[Any, Translator, str], dict[str, str]]] = {
    OutboxKind.DIGEST: _digest,
    OutboxKind.ESCALATION: _escalation,
    OutboxKind.BRIEF: _brief,
    OutboxKind.LASTCALL: _lastcall,
    OutboxKind.REVIEW_ACCEPTED: _accepted,
    OutboxKind.REVIEW_REJECTED: _rejected,
    OutboxKind.TASK_REASSIGNED: _reassigned,
    OutboxKind.MEMBER_UNREACHABLE: _unreachable,
    OutboxKind.URGENT_CALL: _urgent_call,
}
