"""Benchmark replies during a fan-out: members' receipts and answers while 5,000 digests go out,
inside one Telegram rate budget, against the stand-in enforcing Telegram's flood limits.

    PYTHONPATH=. .venv/bin/python bench/reply_fanout_bench.py [--members 5000] [--every 1.0]

Like ``fanout_bench.py`` it starts ``python -m kla_bot.standin --rate-limit 30`` and ``python
bot.py run`` on a fresh SQLite database whose reminder time has just passed, so the start-up
catch-up queues every member's digest at once and the real outbox sender drains it. While it
does, simulated members (the digests' own recipients) take turns, one every ``--every``
seconds, to upload a PDF for their task (the bot answers with a receipt, and queues the new
file for the coordinator) or to ask ``/tugas``. A reply's latency runs from the member's
message reaching the stand-in to the bot's first message back in that chat (the digest the
member gets meanwhile is not an answer); the fan-out's rate counts every message the bot sent
while the digests went out (digests, replies, review cards) against the limit, and the digests
alone beside it. Goals: reply p95 < 2 s, fan-out >= 90 % of 30/s, no 429, nothing lost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fanout_bench import FIRST_CHAT, fanout_world

from kla_bot.clock import ManualClock
from kla_bot.config import Settings
from kla_bot.deps import create_deps
from kla_bot.models import Member, Task

POLL = 0.05  # seconds between two looks at what the stand-in received
QUICK_MEMBERS = 600


@dataclass
class Turn:
    """One member's action and when the bot's answer arrived."""

    chat: int
    action: str  # "file" or "/tugas"
    asked_at: float
    answered_at: float | None = None
    answer: str = ""


@dataclass
class Watch:
    """What the stand-in has received so far, looked at every :data:`POLL` seconds."""

    seen: int = 0
    digests: list[float] = field(default_factory=list)
    every: list[float] = field(default_factory=list)
    by_chat: dict[int, list[tuple[float, str]]] = field(default_factory=dict)
    fan_out_began: asyncio.Event = field(default_factory=asyncio.Event)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def tasks_by_chat(url: str, folder: Path) -> dict[int, str]:
    """Each member's chat and the code of their open task (a caption naming it files it)."""
    settings = Settings().replace(verification={"regency": "Kabupaten Bench"},
                                  database={"url": url}, storage={"path": str(folder / "ev")})
    deps = await create_deps(settings, ManualClock(datetime.now(UTC)), migrate=False)
    async with deps.db.transaction() as s:
        rows = (await s.execute(select(Member.chat_id, Task.code)
                                .join(Task, Task.assignee_id == Member.id))).all()
    await deps.db.dispose()
    return {int(chat): code for chat, code in rows if chat is not None}


def a_pdf(n: int) -> bytes:
    """A small, valid, distinct PDF (distinct, so no upload is a duplicate of another)."""
    text = f"BT /F1 12 Tf 72 720 Td (Bukti dukung {n}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


async def watch(http: httpx.AsyncClient, control: str, seen: Watch, digest_mark: list[str],
                stop: asyncio.Event) -> None:
    """Record when each message the bot sent reached the stand-in (to within one poll)."""
    while not stop.is_set():
        sent = (await http.get(control + "sent", params={"since": seen.seen})).json()["result"]
        now = time.monotonic()
        for message in sent:
            if message["method"] not in ("sendMessage", "sendDocument", "sendPhoto"):
                continue
            text = message["text"] or ""
            seen.every.append(now)
            if not digest_mark and int(message["chat_id"]) >= FIRST_CHAT + 1:
                digest_mark.append(text.splitlines()[0])  # the first message is a digest
            if digest_mark and text.startswith(digest_mark[0]):
                seen.digests.append(now)
                seen.fan_out_began.set()
            else:
                seen.by_chat.setdefault(int(message["chat_id"]), []).append((now, text))
        seen.seen += len(sent)
        await asyncio.sleep(POLL)


async def act(http: httpx.AsyncClient, control: str, chats: list[int], codes: dict[int, str],
              folder: Path, every: float, until: asyncio.Event) -> list[Turn]:
    """Members take turns: every other turn an upload, else ``/tugas``; one every ``every``
    seconds, each member once, until the fan-out is nearly over."""
    turns: list[Turn] = []
    for n, chat in enumerate(chats):
        if until.is_set():
            break
        action = "file" if n % 2 == 0 else "/tugas"
        if action == "file":
            path = folder / f"bukti-{n}.pdf"
            path.write_bytes(a_pdf(n))
            body: dict[str, Any] = {"user_id": chat, "path": str(path),
                                    "file_name": f"bukti-{n}.pdf", "caption": codes[chat]}
            asked = time.monotonic()
            await http.post(control + "send_document", json=body)
        else:
            asked = time.monotonic()
            await http.post(control + "send", json={"user_id": chat, "text": "/tugas"})
        turns.append(Turn(chat, action, asked))
        await asyncio.sleep(every)
    return turns


def answered(turns: list[Turn], seen: Watch) -> None:
    for turn in turns:
        later = [(t, text) for t, text in seen.by_chat.get(turn.chat, []) if t >= turn.asked_at]
        if later:
            turn.answered_at, turn.answer = later[0]


async def run(members: int, every: float, rate_limit: float = 30.0) -> dict[str, Any]:
    seen, mark, stop, fan_out_ending = Watch(), [], asyncio.Event(), asyncio.Event()
    async with fanout_world(members, rate_limit, prefix="kla-replies-") as world:
        http, control, folder, url = world.http, world.control, world.folder, world.url
        codes = await tasks_by_chat(url, folder)
        watcher = asyncio.create_task(watch(http, control, seen, mark, stop))
        await asyncio.wait_for(seen.fan_out_began.wait(), 120)
        # The actors: spread over the fan-out (a member every ``members // turns`` chats).
        expected_s = members / rate_limit
        count = max(4, int(0.8 * expected_s / every))
        step = max(1, members // count)
        actors = [FIRST_CHAT + 1 + i * step for i in range(count) if i * step < members]
        actors = [c for c in actors if c in codes]
        acting = asyncio.create_task(act(http, control, actors, codes, folder, every,
                                         fan_out_ending))
        deadline = time.monotonic() + members / 10 + 120
        while len(seen.digests) < members and time.monotonic() < deadline:
            if len(seen.digests) > 0.9 * members:
                fan_out_ending.set()  # no new turns once the fan-out is nearly done
            await asyncio.sleep(0.2)
        fan_out_ending.set()
        turns = await acting
        settle = time.monotonic() + 10
        while time.monotonic() < settle:  # the last answers
            answered(turns, seen)
            if all(t.answered_at for t in turns):
                break
            await asyncio.sleep(0.2)
        stop.set()
        await watcher
        stats = (await http.get(control + "stats")).json()["result"]
    answered(turns, seen)
    first, last = seen.digests[0], seen.digests[-1]
    span = max(last - first, 1e-9)
    during = [t for t in seen.every if first <= t <= last]
    latencies = [t.answered_at - t.asked_at for t in turns if t.answered_at is not None]
    by_action = {a: [t.answered_at - t.asked_at for t in turns
                     if t.action == a and t.answered_at is not None] for a in ("file", "/tugas")}
    result: dict[str, Any] = {
        "members": members, "digests": len(seen.digests), "turns": len(turns),
        "unanswered": sum(t.answered_at is None for t in turns),
        "reply_p50_s": round(statistics.median(latencies), 3) if latencies else None,
        "reply_p95_s": round(percentile(latencies, 0.95), 3) if latencies else None,
        "reply_max_s": round(max(latencies), 3) if latencies else None,
        "receipt_p95_s": round(percentile(by_action["file"], 0.95), 3)
        if by_action["file"] else None,
        "tugas_p95_s": round(percentile(by_action["/tugas"], 0.95), 3)
        if by_action["/tugas"] else None,
        "sends_per_s": round((len(during) - 1) / span, 2),
        "sends_vs_limit": round((len(during) - 1) / span / rate_limit, 3),
        "digests_per_s": round((len(seen.digests) - 1) / span, 2),
        "fan_out_s": round(span, 1), "too_many_requests": stats["too_many_requests"],
        "duplicates": len(stats["duplicates"]), "limit_per_s": rate_limit,
    }
    return result


def passes(result: dict[str, Any]) -> bool:
    return (result["reply_p95_s"] is not None and result["reply_p95_s"] < 2.0
            and result["sends_vs_limit"] >= 0.9 and result["unanswered"] == 0
            and result["too_many_requests"] == 0 and result["duplicates"] == 0
            and result["digests"] == result["members"])


def table(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The result as (what, result, goal) rows."""
    n = f"{result['members']:,}"
    return [
        (f"reply p50 / p95 during a {n}-member fan-out ({result['turns']} uploads and /tugas)",
         f"{result['reply_p50_s']:.2f} s / {result['reply_p95_s']:.2f} s", "p95 < 2 s"),
        ("receipt p95 / /tugas p95",
         f"{result['receipt_p95_s']:.2f} s / {result['tugas_p95_s']:.2f} s", "< 2 s"),
        ("fan-out: all sends while the digests went out",
         f"{result['sends_per_s']:.1f}/s = {result['sends_vs_limit']:.0%} of 30/s", ">= 90 %"),
        ("fan-out: digests alone", f"{result['digests_per_s']:.1f}/s, "
         f"{result['digests']:,} in {result['fan_out_s']} s", "all delivered"),
        ("429 answers / duplicates / unanswered",
         f"{result['too_many_requests']} / {result['duplicates']} / {result['unanswered']}",
         "0 / 0 / 0"),
    ]


def rows(quick: bool = False) -> list[tuple[str, str, str]]:
    """Run the benchmark (``quick``: a 600-member fan-out) and return its table rows."""
    return table(asyncio.run(run(QUICK_MEMBERS if quick else 5000, every=1.0)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--every", type=float, default=1.0,
                        help="seconds between two members' turns (an upload or /tugas)")
    parser.add_argument("--rate-limit", type=float, default=30)
    args = parser.parse_args()
    result = asyncio.run(run(args.members, args.every, args.rate_limit))
    print(json.dumps(result, indent=2))
    for what, got, goal in table(result):
        print(f"| {what} | {got} | {goal} |")
    ok = passes(result)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
