"""Inviting everyone not yet registered at once (``/undang`` without a phone, ``python bot.py
invite --all``): one one-time code per member, the ready-to-forward message that carries its
link, and a workbook of them all.

Who is "not yet registered": a member no channel knows (no Telegram account linked, no
WhatsApp address). A member who already holds an unused code gets that code again, so asking
twice does not leave a trail of valid codes behind. The secretariat (and the command line)
invites everyone; a coordinator, the members of their clusters.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.i18n import Translator
from kla_bot.models import Invite, Member
from kla_bot.services import audit, routes
from kla_bot.services.access import overseer_scope
from kla_bot.services.audit import Actor
from kla_bot.services.registration import create_invite
from kla_bot.services.workspace import Workspace
from kla_bot.sheet_cells import cell_value

TELEGRAM_LINK = "https://t.me/{username}?start={code}"  # Telegram's deep link (start payload)


@dataclass(frozen=True)
class Invitation:
    """One member to invite and their own one-time code."""

    member_id: int
    name: str
    phone: str
    agency: str
    clusters: tuple[str, ...]
    code: str


def telegram_link(username: str, code: str) -> str:
    """The deep link that opens the bot with ``/start CODE`` (``username`` from getMe)."""
    return TELEGRAM_LINK.format(username=username.lstrip("@"), code=code)


async def invite_unregistered(session: AsyncSession, workspace: Workspace, *,
                              creator: Member | None, now: datetime) -> list[Invitation]:
    """An invitation for every member not yet registered that ``creator`` oversees (None:
    the command line, everyone), in name order; audited."""
    scope = overseer_scope(creator) if creator is not None else None
    people = await session.scalars(
        select(Member).where(Member.regency_id == workspace.regency_id,
                             Member.telegram_user_id.is_(None), ~routes.ADDRESSED)
        .order_by(Member.name, Member.id))
    found: list[Invitation] = []
    for member in people:
        if scope is not None and not scope.is_secretariat \
                and not any(scope.covers(c) for c in member.cluster_codes):
            continue
        code = await session.scalar(
            select(Invite.code).where(Invite.member_id == member.id, Invite.used_at.is_(None))
            .order_by(Invite.created_at.desc(), Invite.code).limit(1))
        if code is None:
            code, _ = await create_invite(session, workspace, phone=member.phone,
                                          created_by=creator, now=now)
        found.append(Invitation(member.id, member.name, member.phone, member.agency,
                                tuple(member.cluster_codes), code))
    actor = Actor.member(creator) if creator is not None else Actor.system("cli")
    await audit.record(session, at=now, actor=actor, action="invite.listed",
                       subject_type="regency", subject_id=workspace.regency_id,
                       regency_id=workspace.regency_id, members=len(found))
    return found


def invitation_text(t: Translator, item: Invitation, *, channel: str, link: str, bot: str,
                    plain: bool = False) -> str:
    """The message to forward to one member: on Telegram their link opens the bot with their
    code; on WhatsApp writing to the bot's number from their own number is enough (the link
    types their code in, for a number WhatsApp does not tell)."""
    key = f"invitations.message.{'whatsapp' if channel == 'whatsapp' else 'telegram'}"
    render = t.plain if plain else t
    return render(key, name=item.name, link=link, bot=bot, code=item.code)


def invitation_workbook(t: Translator, invitations: Sequence[Invitation],
                        link: Callable[[str], str], message: Callable[[Invitation], str],
                        ) -> bytes:
    """The .xlsx of every invitation: name, phone, agency, clusters, code, link and the
    message to send (a mail merge or a copy-paste away from each person)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(t.plain("invitations.xlsx.sheet"))
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["F"].width = 45
    sheet.column_dimensions["G"].width = 80
    header = []
    for label in t.plain("invitations.xlsx.columns").split("|"):
        cell = WriteOnlyCell(sheet, value=cell_value(label))
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for item in invitations:
        sheet.append([cell_value(v) for v in (
            item.name, item.phone, item.agency, ", ".join(item.clusters), item.code,
            link(item.code), message(item))])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
