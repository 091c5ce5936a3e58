"""``/anggota`` (``/members``): who is registered, who is not yet, who is unreachable."""

from __future__ import annotations

from handlers.coordination import act
from handlers.invitations import invite_everyone
from handlers.registry import Command, Feature
from kla_bot.clock import local_today
from kla_bot.conversation.turn import Turn
from kla_bot.domain import Role
from kla_bot.i18n import Translator
from kla_bot.models import Member
from kla_bot.services.access import Session
from kla_bot.services.registration import invite_by_overseer
from kla_bot.services.roster import Roster, roster
from kla_bot.services.status import MemberStatus
from kla_bot.text_fit import LINE_FIELD_WIDTH, TEXT_LIMIT, shorten, split_text


def _line(entry: MemberStatus, t: Translator, with_phone: bool) -> str:
    key = "members.line_phone" if with_phone else "members.line"
    return t(key, name=shorten(entry.name, LINE_FIELD_WIDTH),
             agency=shorten(entry.agency, LINE_FIELD_WIDTH), phone=entry.phone,
             clusters=", ".join(entry.clusters) or "-", open=entry.counts.open,
             overdue=entry.counts.overdue, role=t(f"members.role.{entry.role}"))


def roster_texts(result: Roster, t: Translator, limit: int = TEXT_LIMIT) -> list[str]:
    """The roster as one or more messages, each within Telegram's length limit."""
    scope = (t("members.scope_all") if result.clusters is None
             else t("members.scope", clusters=", ".join(result.clusters)))
    lines = [t("members.header", total=result.total, scope=scope)]
    groups = (("members.not_registered", result.not_registered, True),
              ("members.unreachable", result.unreachable, True),
              ("members.registered", result.registered, False))
    for key, entries, with_phone in groups:
        lines.append("")
        lines.append(t(key, count=len(entries)))
        lines.extend(_line(e, t, with_phone) for e in entries)
    return split_text("\n".join(lines), limit)


async def members_list(turn: Turn) -> None:
    """Show the roster of my clusters (all of it for the secretariat)."""
    deps = turn.deps

    async def work(session: Session, member: Member) -> Roster:
        return await roster(session, deps.workspace, member,
                            local_today(deps.clock, deps.settings.tz))

    result, t = await act(turn, work)
    if result is None:
        return
    for text in roster_texts(result, t):
        await turn.reply(text)


async def invite(turn: Turn) -> None:
    """Give a coordinator a one-time /start code and link for a member who cannot share a
    contact; without a phone, invitations for everyone not yet registered
    (:func:`handlers.invitations.invite_everyone`)."""
    deps = turn.deps
    phone = " ".join(turn.args)
    if not phone:
        await invite_everyone(turn)
        return

    async def work(session: Session, member: Member) -> tuple[str, str]:
        return await invite_by_overseer(session, deps.workspace, creator=member, phone=phone,
                                        now=deps.clock.now())

    result, t = await act(turn, work)
    if result is None:
        return
    code, name = result
    await turn.reply(t("members.invite_created", name=shorten(name, LINE_FIELD_WIDTH),
                       code=code, link=turn.port.invite_link(code)))


FEATURE = Feature(
    name="members_list",
    commands=(Command("anggota", "members", members_list, "menu.anggota",
                      roles=frozenset({Role.COORDINATOR, Role.SECRETARIAT}), private=True),
              Command("undang", "invite", invite, "menu.undang",
                      roles=frozenset({Role.COORDINATOR, Role.SECRETARIAT}), private=True)),
)
