"""The bot's handlers, in one ordered table.

Order matters: every feature's commands are registered first (a command must never be taken
for a plain message), then each feature's other handlers in the order below — the evidence
intake comes after the specific callbacks, so a button press is never read as a file choice;
plain text and presses nobody took come last (chatter, buttons).
"""

from __future__ import annotations

from handlers import (
    assign,
    chatter,
    corrections,
    evidence,
    group,
    handover,
    hari_h,
    help,
    language,
    members_list,
    regency_chat,
    remind,
    report,
    review,
    secretariat,
    start,
    status,
    tasks,
    why,
)
from handlers.registry import Feature

FEATURES: tuple[Feature, ...] = (
    start.FEATURE,
    help.FEATURE,
    language.FEATURE,
    tasks.FEATURE,
    status.FEATURE,
    review.FEATURE,
    assign.FEATURE,
    handover.FEATURE,
    members_list.FEATURE,
    report.FEATURE,
    remind.FEATURE,
    why.FEATURE,
    secretariat.FEATURE,
    regency_chat.FEATURE,
    group.FEATURE,
    corrections.FEATURE,
    hari_h.FEATURE,
    evidence.FEATURE,
    chatter.FEATURE,
)
