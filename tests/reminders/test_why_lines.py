"""The reason rule (kla_bot.services.reminder_why) and its wording, in both languages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from handlers.remind import render_digest, render_escalation
from kla_bot.i18n import Translator
from kla_bot.services.outbox_kinds import Digest, DigestTask, Escalation, OverdueTask
from kla_bot.services.reminder_why import digest_why, escalation_why

DAY = date(2025, 5, 13)  # H-3


def task(code: str, due: date) -> DigestTask:
    return DigestTask(id=hash(code) % 1000, code=code, title=f"Bukti {code}", due=due,
                      points=Decimal("1.5"), overdue=due < DAY)


def test_the_most_pressing_reason_wins() -> None:
    late, tomorrow, far = (task("K3-12", date(2025, 5, 11)), task("K3-17a", date(2025, 5, 14)),
                           task("K3-30", date(2025, 6, 1)))
    assert digest_why([late, tomorrow, far], DAY, 3).rule == "overdue"
    assert digest_why([late], DAY, 3).task_code == "K3-12"
    assert digest_why([tomorrow, far], DAY, 3).rule == "due_soon"
    assert digest_why([far], DAY, 3).rule == "countdown"
    assert digest_why([far], DAY, 12).rule == "open"
    assert digest_why([far, far], DAY, 12).task_code is None


def test_worded_in_the_readers_language() -> None:
    two_tomorrow = [task("K3-17a", date(2025, 5, 14)), task("K3-18a", date(2025, 5, 14))]
    digest = Digest(days_left=3, day=DAY, verification_date=date(2025, 5, 16),
                    tasks=tuple(two_tomorrow), why=digest_why(two_tomorrow, DAY, 3))
    assert ("🔔 Mengapa pesan ini: 2 tugas Bapak/Ibu belum dikirim dan tenggatnya besok."
            in render_digest(digest, Translator("id")).text)
    assert ("🔔 Why this message: 2 of your tasks have not been sent and are due tomorrow."
            in render_digest(digest, Translator("en")).text)


def test_a_digest_stored_without_a_reason_still_says_one() -> None:
    late = [task("K3-12", date(2025, 5, 11))]
    old = Digest(days_left=3, day=DAY, verification_date=date(2025, 5, 16), tasks=tuple(late))
    assert old.why is None
    assert "tugas K3-12 lewat tenggat 2 hari" in render_digest(old, Translator("id")).text


def test_an_escalation_says_why_the_coordinator_hears() -> None:
    overdue = [OverdueTask(id=1, code="K3-12", title="Bukti", due=date(2025, 5, 8),
                           points=Decimal(2), state="open", cluster="K3", assignee="Ani",
                           agency="Dinkes", days=5),
               OverdueTask(id=2, code="K3-13", title="Bukti", due=date(2025, 5, 11),
                           points=Decimal(1), state="open", cluster="K3", assignee="Eko",
                           agency="Dinsos", days=2)]
    payload = Escalation(days_left=3, day=DAY, verification_date=date(2025, 5, 16),
                         tasks=tuple(overdue), why=escalation_why(overdue))
    assert ("Mengapa pesan ini: 2 tugas di klaster Bapak/Ibu lewat tenggat (paling lama 5 "
            "hari)") in render_escalation(payload, Translator("id")).text
