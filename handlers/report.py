"""``/laporan`` (``/report``): the secretariat gets the export as files in the chat.

The archive is written to a temporary folder in a worker thread (files streamed, never whole
in memory), split into zips that each fit Telegram's 50 MB upload limit, sent, and removed.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from handlers.coordination import act
from handlers.registry import Command, Feature
from kla_bot.conversation.replies import Attachment, Reply
from kla_bot.conversation.turn import Turn
from kla_bot.domain import Role
from kla_bot.i18n import Raw, translator
from kla_bot.models import Member
from kla_bot.services import export
from kla_bot.services.access import Session, registered_member

PART_LIMIT = export.TELEGRAM_UPLOAD_LIMIT - 512 * 1024  # a margin for the multipart envelope
WITH_WAITING = {"semua", "all", "--all"}


async def report(turn: Turn) -> None:
    """Send the workbook and the accepted files (``/laporan semua`` adds waiting ones)."""
    deps = turn.deps
    include_waiting = any(word.lower() in WITH_WAITING for word in turn.args)
    book_t = translator(deps.settings.bot.language)  # the workbook speaks the deployment's
    now = deps.clock.now()

    async def work(session: Session, member: Member) -> export.ExportData:
        return await export.collect(session, deps.workspace, deps.settings, member,
                                    include_waiting, now, book_t)

    data, t = await act(turn, work)
    if data is None:
        return
    await turn.reply(t("report.preparing"))
    stamp = data.generated_at.strftime("%Y%m%d-%H%M")
    with tempfile.TemporaryDirectory(prefix="kla-report-") as folder:
        out = Path(folder) / f"{t('report.archive_stem')}-{stamp}.zip"
        result = await asyncio.to_thread(export.write_archive, data, deps.store, out,
                                         book_t, PART_LIMIT)
        for number, part in enumerate(result.parts, start=1):
            await turn.port.send(turn.place, Reply(
                t("report.part", number=number, count=len(result.parts)),
                attachment=Attachment(part.name, part)))
    async with deps.db.transaction() as session:
        requester = await registered_member(session, deps.workspace, turn.who)
        await export.record_export(session, requester=requester, now=now,
                                   regency_id=deps.workspace.regency_id, result=result,
                                   include_waiting=include_waiting)
    summary = t("report.done", files=result.files_written,
                size=t.size(result.bytes_written), parts=len(result.parts))
    if result.problems:
        first = "; ".join(t(p.reason.key, **p.reason.params) for p in result.problems[:3])
        summary += "\n" + t("report.problems", count=len(result.problems), first=Raw(first))
    await turn.reply(summary)


FEATURE = Feature(
    name="report",
    commands=(Command("laporan", "report", report, "menu.laporan",
                      roles=frozenset({Role.SECRETARIAT}), private=True),),
)
