"""Messages built from data fit Telegram's limits by construction: with 1, 30 and 200 overdue
tasks, titles of 10, 500 and 5,000 characters and a member with a very long name and agency,
every reminder, notice, card, status, list and receipt arrives whole (each task code in one of
the parts, or counted in "… dan N lainnya"), no outbox row fails, and the stand-in — which
refuses what Telegram refuses — answers no 400."""

from __future__ import annotations

import re
from datetime import time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from kla_bot import scheduler
from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.models import Member, Task
from kla_bot.services import outbox, reminders
from kla_bot.services.outbox_kinds import ReviewRejected
from kla_bot.standin import BotApiStandin, SentMessage
from kla_bot.text_fit import LABEL_WIDTH
from tests.conftest import START
from tests.coordinators.chat import ChatWorld, chat_world
from tests.coordinators.helpers import AHMAD, BUDI, SITI, outbox_rows, task_row
from tests.members.conftest import pdf_bytes
from tests.reminders.seed import INDICATOR_OF

# As long as the schema allows (members.name 120, members.agency 160 characters).
LONG_NAME = ("Dr. Hj. Nurul & Hidayati <Kusumawardhani> " * 3)[:120]
LONG_AGENCY = ("Dinas Pemberdayaan Perempuan & Perlindungan Anak " * 4)[:160]
LONG_FILE = ("laporan & <rekap> data dukung " * 10)[:250] + ".pdf"
MORE = re.compile(r"… dan (\d+) lainnya")


def _title(n: int, length: int) -> str:
    base = f"Laporan {n} & <rekap> data dukung anak 😀 "
    return (base * (length // len(base) + 1))[:length]


async def _pile_up(cw: ChatWorld, count: int, title_length: int) -> dict[str, list[str]]:
    """``count`` overdue tasks for Budi (K3 and K4 in turn); Budi gets a very long name."""
    deps = cw.world.deps
    now, ws = deps.clock.now(), deps.workspace
    codes: dict[str, list[str]] = {"K3": [], "K4": []}
    async with deps.db.transaction() as s:
        await s.execute(update(Member).where(Member.id == cw.world.ids[BUDI])
                        .values(name=LONG_NAME, agency=LONG_AGENCY))
        for n in range(count):
            cluster = ("K3", "K4")[n % 2]
            code = f"{cluster}-Z{n:03d}"
            codes[cluster].append(code)
            s.add(Task(cycle_id=ws.cycle_id, code=code, code_key=code.upper(),
                       indicator_number=INDICATOR_OF[cluster], title=_title(n, title_length),
                       points=Decimal("0.5"), assignee_id=cw.world.ids[BUDI],
                       due_date=START.date() - timedelta(days=3 + n % 5), state="open",
                       created_at=now, updated_at=now))
    return codes


def _complete(messages: list[SentMessage], codes: list[str]) -> None:
    """Every code is in one of the messages, or counted by a "… dan N lainnya" line."""
    text = "\n".join(m.plain for m in messages)
    shown = [code for code in codes if code in text]
    more = MORE.search(text)
    assert len(shown) + (int(more.group(1)) if more else 0) >= len(codes), (len(shown), more)


def _labels_plain_and_short(labels: list[str]) -> None:
    for text in labels:
        assert len(text) <= LABEL_WIDTH and "&amp;" not in text and "&lt;" not in text


def _labels(messages: list[SentMessage]) -> list[str]:
    return [label for message in messages for label in message.buttons]


async def _page_through_tasks(cw: ChatWorld) -> list[tuple[str, list[str]]]:
    """Budi's /tugas, every page (the "next" button edits the same message): texts, labels."""
    budi = cw.chats[BUDI]
    await cw.do(budi.send("/tugas"))
    message = budi.last()
    pages = [(message.plain, list(message.buttons))]
    while "Berikutnya ▶" in message.buttons:
        await cw.do(budi.press(message, "Berikutnya ▶"))
        message = cw.state.find_sent(budi.chat_id, message.message_id)
        assert message.plain not in [text for text, _ in pages]
        pages.append((message.plain, list(message.buttons)))
    return pages


@pytest.mark.parametrize(("count", "title_length"),
                         [(1, 10), (30, 500), pytest.param(200, 5000, marks=pytest.mark.slow)])
async def test_every_message_built_from_data_fits(bot: KlaApplication, standin: BotApiStandin,
                                                  count: int, title_length: int) -> None:
    cw = await chat_world(bot, standin)
    deps = cw.world.deps
    codes = await _pile_up(cw, count, title_length)
    everything = codes["K3"] + codes["K4"]

    # The morning's digest (Budi) and escalation (K3 coordinators), sent by the outbox.
    day = START.date()
    days_left = (deps.settings.verification.date - day).days
    async with deps.db.transaction() as s:
        for kind in (scheduler.DIGEST, scheduler.ESCALATION):
            run = scheduler.Run(kind, day, time(8), days_left, True)
            await reminders.queue_run(s, deps.workspace, deps.settings, run, deps.clock.now())
    mark = standin.mark()
    await cw.drain()
    digest = cw.chats[BUDI].since(mark)
    assert digest
    _complete(digest, everything)
    _labels_plain_and_short(_labels(digest))
    escalation = cw.chats[AHMAD].since(mark)
    assert escalation
    _complete(escalation, codes["K3"])

    # An upload: "which task?" buttons, the receipt, the notice to the coordinator.
    budi = cw.chats[BUDI]
    await cw.do(budi.send_document(pdf_bytes(), file_name=LONG_FILE))
    question = budi.last()
    _labels_plain_and_short(_labels([question]))
    # a K3 task: K3 has coordinators in the fixture
    index, submitted = next((i, found.group(0)) for i, text in enumerate(question.buttons)
                            if (found := re.search(r"K3-Z\d{3}", text)))
    await cw.do(budi.press(question, index))
    assert await _task_state(cw, submitted) == "submitted"
    assert submitted in budi.last().plain  # the receipt
    await cw.drain()
    # one message: the file, its card as the caption, the buttons
    assert any(m.document is not None and submitted in m.plain and m.buttons
               for m in cw.chats[AHMAD].messages())

    # /tinjau, /status, /status K3 and K4, /anggota (the secretariat sees every cluster).
    for command in ("/tinjau", "/status", "/status K3", "/status K4", "/anggota"):
        answers = await cw.say(SITI, command)
        assert answers, command
        text = "\n".join(m.plain for m in answers)
        if command.startswith("/status K"):
            assert all(code in text for code in codes[command.split()[1]])
        if command == "/tinjau":
            assert any(m.document is not None and submitted in m.plain for m in answers)
        if command == "/anggota":
            assert LONG_NAME[:40] in text
        _labels_plain_and_short(_labels(answers))

    # /tugas: every open task on one of the pages.
    pages = await _page_through_tasks(cw)
    _labels_plain_and_short([label for _, labels in pages for label in labels])
    listed = "\n".join(text for text, _ in pages)
    assert all(code in listed for code in everything if code != submitted)

    refused = [(c.method, c.description) for c in standin.calls if c.status == 400]
    assert refused == []
    assert [r.kind for r in await outbox_rows(deps) if r.state != "sent"] == []


async def _task_state(cw: ChatWorld, code: str) -> str:
    async with cw.world.deps.db.transaction() as s:
        state = await s.scalar(select(Task.state).where(Task.code == code))
        assert state is not None
        return state


async def test_an_outbox_text_too_long_for_one_message_goes_in_parts(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    """A row whose text cannot be shortened (a 6,000-character reason, as a row queued by an
    older version could hold) is sent in parts, the resend button on the last."""
    cw = await chat_world(bot, standin)
    deps = cw.world.deps
    await _pile_up(cw, 1, 5000)
    task = await task_row(deps, "K3-Z000")
    reason = "Tanda tangan & stempel <belum> ada; " * 166 + "AKHIR"
    async with deps.db.transaction() as s:
        await outbox.enqueue(
            s, dedupe_key="review.rejected:test", chat_id=7000 + BUDI,
            recipient_id=cw.world.ids[BUDI], now=deps.clock.now(),
            payload=ReviewRejected(task_ids=(task.id,), evidence_id=1, task_code=task.code,
                                   task_title=task.title, file_name="a & b.pdf",
                                   points=task.points, reviewer=LONG_NAME, reason=reason))
    mark = standin.mark()
    await cw.drain()
    parts = cw.chats[BUDI].since(mark)
    assert len(parts) == 2 and "AKHIR" in parts[-1].plain
    assert "".join(reason.split()) in "".join("".join(p.plain for p in parts).split())
    assert parts[-1].buttons and not parts[0].buttons
    assert [c.description for c in standin.calls if c.status == 400] == []
    assert [r.state for r in await outbox_rows(deps)] == ["sent"]
