"""The secretariat's imports in chat: ``/templat`` and spreadsheets sent to the bot.

A .xlsx/.csv file sent privately is asked here before the evidence intake: when its headers
make it a members or tasks sheet, a secretariat sender gets a preview with Terapkan / Batal
and anyone else is told who may import (when it is unmistakably an import list: a member's
evidence may be a roster of names and phones); any other file goes on to the evidence intake
as before. The rules are the services' (:mod:`kla_bot.services.import_preview`).
"""

from __future__ import annotations

import asyncio
import html

from handlers.buttons import id_after
from handlers.coordination import act
from handlers.registry import Command, Feature, Press
from kla_bot.cli_text import render
from kla_bot.clock import local_today
from kla_bot.conversation.replies import Attachment, Reply
from kla_bot.conversation.turn import Turn
from kla_bot.domain import Role
from kla_bot.i18n import Raw, Translator
from kla_bot.models import Member
from kla_bot.services import import_pending as pending
from kla_bot.services import import_preview as imports
from kla_bot.services.access import AccessDenied, Session
from kla_bot.services.import_template import template_workbook
from kla_bot.services.members import by_who

APPLY, DISCARD, DROP, KEEP = "imp:apply:", "imp:no:", "imp:drop:", "imp:keep:"
MAX_BAD_ROWS = 15  # listed in the preview; the rest counted
MAX_CODES = 30  # missing task codes named in a message


async def template(turn: Turn) -> None:
    """Send the template workbook (the secretariat only)."""
    deps = turn.deps

    async def work(session: Session, member: Member) -> tuple[str, list[str]]:
        return member.role, await pending.secretariat_names(session, deps.workspace)

    found, t = await act(turn, work)
    if found is None:
        return
    role, names = found
    if role != Role.SECRETARIAT:
        await turn.reply(_only_secretariat(t, names, "template"))
        return
    today = local_today(deps.clock, deps.settings.tz)
    data = template_workbook(t, example_due=deps.workspace.verification_date
                             if deps.workspace.verification_date > today else today)
    await turn.port.send(turn.place, Reply(t("secretariat.template.caption"), attachment=Attachment(
        f"{t.plain('secretariat.template.file_stem')}.xlsx", data=data)))


def _only_secretariat(t: Translator, names: list[str], what: str) -> str:
    who = ", ".join(names) if names else t.plain("secretariat.nobody")
    return t(f"secretariat.refuse.{what}", names=who)


async def file_sent(turn: Turn) -> bool:
    """Take a spreadsheet whose headers make it an import sheet; False for anything else."""
    incoming = turn.inbound.file
    deps = turn.deps
    limit = deps.settings.max_file_bytes
    if incoming is None or not turn.inbound.private:
        return False
    suffix = imports.suffix_of(incoming.file_name)
    if suffix is None or (incoming.size or 0) > limit:
        return False
    async with deps.db.snapshot() as session:
        member = await by_who(session, deps.workspace, turn.who)
        if member is None:
            return False
        names = await pending.secretariat_names(session, deps.workspace)
    data = bytearray()
    async for chunk in turn.port.download(incoming):
        data += chunk
        if len(data) > limit:
            return False  # the intake refuses it with its own words
    file_name = incoming.file_name or f"file{suffix}"
    # Parsing a workbook takes a while: not on the event loop, which serves everyone.
    sheets = await asyncio.to_thread(imports.recognise_bytes, bytes(data), file_name)
    if not sheets:
        return False
    t = turn.translator_for(member.language)
    if member.role != Role.SECRETARIAT:
        if not imports.unmistakable(sheets):
            return False  # a list of people as evidence, most likely
        await turn.reply(_only_secretariat(t, names, "import"))
        return True
    key = await asyncio.to_thread(imports.keep_file, deps.store, bytes(data))
    try:
        async with deps.db.transaction() as session:
            fresh = await session.get(Member, member.id)
            assert fresh is not None
            plan, pending_id = await pending.open_pending(
                session, deps.workspace, fresh, file_name=file_name,
                storage_key=key, sheets=sheets, now=deps.clock.now())
    except AccessDenied as refusal:
        await turn.reply(t(refusal.key, **refusal.params))
        return True
    await turn.reply(preview_text(t, file_name, plan), _buttons(t, pending_id))
    return True


def _buttons(t: Translator, pending_id: int) -> list[list[tuple[str, str]]]:
    return [[(t("secretariat.button.apply"), f"{APPLY}{pending_id}"),
             (t("secretariat.button.discard"), f"{DISCARD}{pending_id}")]]


def preview_text(t: Translator, file_name: str, plan: imports.Plan) -> str:
    """The preview: counts per sheet, bad rows with their numbers and reasons, ignored
    columns, tasks no longer in the file."""
    lines = [t("secretariat.preview.title", file=file_name)]
    for sheet in plan.sheets:
        lines.append(t(f"secretariat.preview.sheet_{sheet.kind}", sheet=sheet.name,
                       new=sheet.created, changed=sheet.updated, unchanged=sheet.unchanged))
        if sheet.errors:
            lines.append(t("secretariat.preview.bad_rows", count=len(sheet.errors)))
            for error in sheet.errors[:MAX_BAD_ROWS]:
                reasons = "; ".join(render(t, reason) for reason in error.reasons)
                lines.append(t("secretariat.preview.bad_row", row=error.row, reasons=reasons))
            if len(sheet.errors) > MAX_BAD_ROWS:
                lines.append(t("secretariat.preview.more_bad",
                               count=len(sheet.errors) - MAX_BAD_ROWS))
        if sheet.ignored:
            lines.append(t("secretariat.preview.ignored",
                           columns=", ".join(f"'{c}'" for c in sheet.ignored)))
    if plan.missing:
        lines.append(t("secretariat.preview.missing", count=len(plan.missing),
                       codes=_codes([m.code for m in plan.missing])))
    lines.append(t("secretariat.preview.ask") if plan.changes or plan.missing
                 else t("secretariat.preview.nothing"))
    return "\n".join(lines)


def _codes(codes: list[str]) -> str:
    shown = ", ".join(codes[:MAX_CODES])
    return shown + (f", … (+{len(codes) - MAX_CODES})" if len(codes) > MAX_CODES else "")


async def apply_pressed(turn: Turn) -> None:
    pending_id = id_after(turn, APPLY)
    deps = turn.deps
    if pending_id is None:
        await turn.ack()
        return

    async def work(session: Session, member: Member) -> pending.Outcome:
        return await pending.apply(session, deps.workspace, member, pending_id,
                                   deps.store, deps.clock.now())

    outcome, t = await act(turn, work)
    if outcome is None:
        return
    await turn.ack()
    if not outcome.applied:
        # A new message, not an edit: a long preview is split over several (edits are not).
        await turn.show(t("secretariat.import.stale"))
        await turn.reply(preview_text(t, outcome.file_name, outcome.plan),
                         _buttons(t, pending_id))
        return
    lines = [t("secretariat.import.applied")]
    lines += [t(f"secretariat.import.applied_{s.kind}", created=s.created, updated=s.updated,
                unchanged=s.unchanged, skipped=len(s.errors)) for s in outcome.plan.sheets]
    await turn.show("\n".join(lines))
    if outcome.plan.missing:
        codes = [m.code for m in outcome.plan.missing]
        await turn.reply(t("secretariat.missing.ask", count=len(codes), codes=_codes(codes)), [
            [(t("secretariat.missing.confirm_button", count=len(codes)), f"{DROP}{pending_id}")],
            [(t("secretariat.missing.keep_button"), f"{KEEP}{pending_id}")]])


async def discard_pressed(turn: Turn) -> None:
    pending_id = id_after(turn, DISCARD)
    deps = turn.deps
    if pending_id is None:
        await turn.ack()
        return

    async def work(session: Session, member: Member) -> bool:
        await pending.discard(session, deps.workspace, member, pending_id, deps.clock.now())
        return True

    done, t = await act(turn, work)
    if done:
        await turn.ack()
        await turn.show(t("secretariat.import.discarded"))


async def missing_pressed(turn: Turn) -> None:
    data = turn.inbound.press or ""
    confirm = data.startswith(DROP)
    pending_id = id_after(turn, DROP if confirm else KEEP)
    deps = turn.deps
    if pending_id is None:
        await turn.ack()
        return

    async def work(session: Session, member: Member) -> list[str]:
        return await pending.cancel_missing(session, deps.workspace, member, pending_id,
                                            deps.clock.now(), confirm=confirm)

    cancelled, t = await act(turn, work)
    if cancelled is None:
        return
    await turn.ack()
    if confirm:
        await turn.show(t("secretariat.missing.cancelled", count=len(cancelled),
                          codes=Raw(html.escape(_codes(cancelled)))))
    else:
        await turn.show(t("secretariat.missing.kept"))


FEATURE = Feature(
    name="secretariat",
    commands=(Command("templat", "template", template, "secretariat.menu",
                      roles=frozenset({Role.SECRETARIAT})),),
    presses=(Press(APPLY, apply_pressed), Press(DISCARD, discard_pressed),
             Press(DROP, missing_pressed), Press(KEEP, missing_pressed)),
    takes_files=file_sent,
)
