"""Evidence intake: which task a file belongs to, and recording it once it is safely stored.

A file is never filed under a guessed task. In order: a reply to a bot message about exactly
one task; a task code in the caption; the decision already made for the rest of its album; the
task whose "send evidence" button was pressed. Otherwise the file waits (in the database, so
any worker can carry on) and the member is asked, with buttons, which task it is for.

The member's intake state is one ``PendingChoice`` row (kind ``intake``)::

    {"send_to": {"task_id": 7, "until": "<iso>"},          # after "send evidence"
     "waiting": [<IncomingFile>, ...],                       # files waiting for a task
     "albums": {"<media_group_id>": {"task_id": 7 | None, "asked": true}}}

Each step locks the member's row first, so album parts handled at once never lose an update.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.domain import TaskState, Who
from kla_bot.models import Member, PendingChoice, PendingReason, Task
from kla_bot.services import members, outbox
from kla_bot.services.access import AccessDenied
from kla_bot.services.member_tasks import TaskView, own_task, task_view, tasks_of
from kla_bot.services.workspace import Workspace

INTAKE = "intake"
SEND_TO_LASTS = timedelta(minutes=30)  # "send evidence" covers the files sent soon after
_WORD = re.compile(r"[^\s,;:()\[\]<>\"'!?]+")


@dataclass(frozen=True)
class IncomingFile:
    """A file as the chat told us about it (nothing here is trusted)."""

    file_id: str
    file_unique_id: str
    kind: str  # "document" or "photo"
    file_name: str | None = None
    size: int | None = None
    media_group_id: str | None = None
    mime: str | None = None  # the sender's claim (WhatsApp gives one); content decides

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IncomingFile:
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__})  # type: ignore[arg-type]


@dataclass(frozen=True)
class Asker:
    """The registered member acting."""

    member_id: int
    name: str
    language: str | None


@dataclass
class Placement:
    """What to do next: files to download now for their tasks, and/or a question to ask."""

    asker: Asker
    files: list[tuple[IncomingFile, int]] = field(default_factory=list)
    candidates: list[TaskView] = field(default_factory=list)  # non-empty: ask which task
    waiting: int = 0  # files now waiting for the answer

    @property
    def confirm(self) -> bool:
        """One candidate: ask to confirm rather than to choose."""
        return len(self.candidates) == 1


async def _member(session: AsyncSession, workspace: Workspace, who: Who) -> Member:
    member = await members.by_who(session, workspace, who)
    if member is None:
        raise AccessDenied("common.not_registered")
    # Lock the member's row for this unit of work (SQLite: take the write lock now), so
    # concurrent parts of one album read and write the intake state one after the other.
    await session.execute(update(Member).where(Member.id == member.id)
                          .values(updated_at=Member.updated_at))
    return member


async def _state(session: AsyncSession, member: Member) -> dict[str, Any]:
    row = await session.get(PendingChoice, member.id, populate_existing=True)
    if row is None or row.kind != INTAKE:
        return {}
    return dict(row.data)


async def _save(session: AsyncSession, member: Member, state: dict[str, Any],
                now: datetime) -> None:
    row = await session.get(PendingChoice, member.id)
    keep = {k: v for k, v in state.items() if v}
    if not keep:
        if row is not None:
            await session.delete(row)
        return
    if row is None:
        session.add(PendingChoice(member_id=member.id, kind=INTAKE, data=keep, created_at=now))
    else:
        row.kind, row.data, row.created_at = INTAKE, keep, now


def _asker(member: Member) -> Asker:
    return Asker(member.id, member.name, member.language)


async def place_file(session: AsyncSession, workspace: Workspace, *, who: Who,
                     chat: str, file: IncomingFile, caption: str | None,
                     reply_to: str | None, max_bytes: int, now: datetime,
                     today: date) -> Placement:
    """Decide where a received file goes, or park it and say which tasks to ask about."""
    member = await _member(session, workspace, who)
    if file.size is not None and file.size > max_bytes:
        raise AccessDenied("evidence.too_large", limit_mb=max_bytes // (1024 * 1024))
    state = await _state(session, member)
    albums: dict[str, Any] = dict(state.get("albums", {}))
    group = albums.get(file.media_group_id or "", {})
    target, candidates = await _explicit_target(
        session, workspace, member, who.channel, chat, reply_to, caption)
    task = None if target is None else await own_task(session, workspace, member, target)
    approved: AccessDenied | None = None
    if task is None and not candidates:
        # Chosen earlier (the album's answer, the "send evidence" window), not named now.
        target = group.get("task_id") or _live_send_to(state, now)
        task, approved = await _still_open(session, workspace, member, target)
        if task is not None and target == _live_send_to(state, now):
            state["send_to"] = {"task_id": target, "until": (now + SEND_TO_LASTS).isoformat()}
        elif approved is not None and target == _live_send_to(state, now):
            # Approved meanwhile (say after "Kirim ulang"): the window ends and the file is
            # placed like any other, not dropped.
            state["send_to"] = None
    placement = Placement(_asker(member))
    if task is not None:
        placement.files.append((file, task.id))
        if file.media_group_id:
            albums[file.media_group_id] = {"task_id": task.id, "asked": group.get("asked")}
            # Earlier parts of the album that waited for this decision follow it.
            waiting = state.get("waiting", [])
            siblings = [w for w in waiting if w.get("media_group_id") == file.media_group_id]
            state["waiting"] = [w for w in waiting if w not in siblings]
            placement.files.extend((IncomingFile.from_json(w), task.id) for w in siblings)
        state["albums"] = albums
        await _save(session, member, state, now)
        return placement
    open_tasks = await tasks_of(session, workspace, member.id, today)
    if candidates:
        open_tasks = [t for t in open_tasks if t.id in candidates] or open_tasks
    if not open_tasks:
        raise approved or AccessDenied("evidence.no_open_tasks")
    state["waiting"] = [*state.get("waiting", []), asdict(file)]
    placement.waiting = len(state["waiting"])
    if not (file.media_group_id and group.get("asked")):
        placement.candidates = open_tasks  # ask once per album, once per loose file
        if file.media_group_id:
            albums[file.media_group_id] = {"task_id": None, "asked": True}
    state["albums"] = albums
    await _save(session, member, state, now)
    return placement


async def _explicit_target(session: AsyncSession, workspace: Workspace, member: Member,
                           channel: str, chat: str, reply_to: str | None,
                           caption: str | None) -> tuple[int | None, list[int]]:
    """The task named by a reply or a caption code: (task id, or candidate ids if several)."""
    if reply_to is not None:
        ids = await outbox.tasks_of_message(session, channel=channel, chat=chat,
                                            message=reply_to)
        if len(ids) == 1:
            return ids[0], []
        if ids:
            return None, ids
    codes = {word.upper().strip(".") for word in _WORD.findall(caption or "")}
    if codes:
        found = list(await session.scalars(select(Task.id).where(
            Task.cycle_id == workspace.cycle_id, Task.code_key.in_(codes),
            Task.state != TaskState.CANCELLED)))
        if len(found) == 1:
            return found[0], []
        if found:
            return None, found
    return None, []


async def _still_open(session: AsyncSession, workspace: Workspace, member: Member,
                      target: int | None) -> tuple[Task | None, AccessDenied | None]:
    """The task chosen earlier, if it can still take this member's evidence; or the refusal
    saying it was approved meanwhile (any other refusal is raised)."""
    if target is None:
        return None, None
    try:
        return await own_task(session, workspace, member, target), None
    except AccessDenied as refusal:
        if refusal.key != "evidence.already_approved":
            raise
        return None, refusal


def _live_send_to(state: dict[str, Any], now: datetime) -> int | None:
    send_to = state.get("send_to")
    if not send_to or datetime.fromisoformat(send_to["until"]) < now:
        return None
    return int(send_to["task_id"])


async def choose_task(session: AsyncSession, workspace: Workspace, *, who: Who,
                      task_id: int, now: datetime, today: date,
                      keep_sending: bool = True) -> tuple[Placement, TaskView]:
    """The member picked a task: files waiting go to it. With ``keep_sending`` (the "send
    evidence" button) the files sent in the next half hour go there too; without it (the
    answer to "which task?") there must be files waiting."""
    member = await _member(session, workspace, who)
    task = await own_task(session, workspace, member, task_id)
    state = await _state(session, member)
    if not keep_sending and not state.get("waiting"):
        raise AccessDenied("evidence.nothing_waiting")
    placement = Placement(_asker(member))
    albums = dict(state.get("albums", {}))
    for waiting in state.get("waiting", []):
        incoming = IncomingFile.from_json(waiting)
        placement.files.append((incoming, task.id))
        if incoming.media_group_id:  # parts of the album still to come follow too
            albums[incoming.media_group_id] = {"task_id": task.id, "asked": True}
    state["waiting"], state["albums"] = [], albums
    if keep_sending:
        state["send_to"] = {"task_id": task.id, "until": (now + SEND_TO_LASTS).isoformat()}
    await _save(session, member, state, now)
    return placement, await task_view(session, task, today)


async def cancel(session: AsyncSession, workspace: Workspace, *, who: Who) -> int:
    """Drop the pending choice, any files waiting for a task and a rejection reason owed
    (Tolak pressed by mistake); how many files were dropped (-1: nothing was pending)."""
    member = await _member(session, workspace, who)
    owed = await session.execute(delete(PendingReason).where(PendingReason.member_id == member.id))
    row = await session.get(PendingChoice, member.id)
    if row is None:
        return 0 if owed.rowcount else -1  # type: ignore[attr-defined]
    dropped = len(row.data.get("waiting", [])) if row.kind == INTAKE else 0
    await session.delete(row)
    return dropped
