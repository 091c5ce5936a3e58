"""The wording of a reminder's reason (``why.*`` texts), shared by the chat renderers
(:mod:`handlers.remind`, :mod:`handlers.why`) and the WhatsApp template parameters."""

from __future__ import annotations

from kla_bot.i18n import Raw, Translator
from kla_bot.services.outbox_kinds import Digest, Why
from kla_bot.services.reminder_why import digest_why


def reason(t: Translator, why: Why) -> str:
    """The reason itself ("2 tugas Bapak/Ibu belum dikirim dan tenggatnya besok")."""
    one = "one" if why.task_code is not None else "many"
    params = {"count": why.count, "days": why.days, "code": why.task_code or ""}
    if why.rule == "overdue":
        return t(f"why.overdue_{one}", **params)
    if why.rule == "due_soon":
        when = "today" if why.days <= 0 else "tomorrow"
        return t(f"why.due_{when}_{one}", **params)
    if why.rule == "countdown":
        if why.days <= 0:
            return t("why.countdown_day", **params)
        return t("why.countdown", countdown=t.countdown(why.days), **params)
    if why.rule == "cluster_overdue":
        return t("why.cluster_overdue", **params)
    return t(f"why.open_{one}", **params)


def why_line(t: Translator, why: Why) -> str:
    """The reminder's "Mengapa pesan ini: …" line."""
    return t("why.line", reason=Raw(reason(t, why)))


def digest_reason(payload: Digest) -> Why:
    """The digest's reason; for a row stored before digests carried one, the same rule applied
    to the tasks it lists."""
    return payload.why or digest_why(payload.tasks, payload.day, payload.days_left)
