"""The task-force group: ``/hubungkan`` and ``/putuskan`` (the secretariat), ``/status`` in
the group (the regency's summary only), the progress post and approval news renderers, and
the once-only "how to register" for strangers writing to the bot in a group.

What the group reads is the service's (:mod:`kla_bot.services.groups`): counts and task
codes, and whom to thank for an approval; per-person answers stay private
(:mod:`handlers.privacy`). Texts in the group are in the bot's default language: everyone
reads them.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from handlers.coordination import act
from handlers.registry import Command, Feature, Rendered, renders
from kla_bot.conversation.groups import GroupPort
from kla_bot.conversation.inputs import Place
from kla_bot.conversation.replies import ChannelRefused
from kla_bot.conversation.turn import Turn
from kla_bot.domain import Role
from kla_bot.i18n import Translator
from kla_bot.models import Member
from kla_bot.services import groups
from kla_bot.services.access import Session
from kla_bot.services.members import by_who
from kla_bot.services.outbox_kinds import GroupApproval, GroupProgress

BAR_CELLS = 10
SECRETARIAT = frozenset({Role.SECRETARIAT})


def bar(done: int, total: int) -> str:
    """A text bar of ``BAR_CELLS`` cells, filled by the share done."""
    filled = round(BAR_CELLS * done / total) if total else 0
    return "▰" * filled + "▱" * (BAR_CELLS - filled)


def render_progress(p: GroupProgress, t: Translator) -> Rendered:
    """The group's progress post: countdown, points, a bar per cluster, what was approved."""
    if p.days_left > 0:
        title = t("group.title", countdown=t.countdown(p.days_left), vdate=p.verification_date)
    else:
        title = t("group.title_day" if p.days_left == 0 else "group.title_after",
                  vdate=p.verification_date)
    points = (t("group.points_reached", approved=p.approved_points, predicate=p.predicate,
                target=p.target) if p.needed <= 0 else
              t("group.points", approved=p.approved_points, needed=p.needed,
                predicate=p.predicate, target=p.target))
    lines = [title, points, "", t("group.clusters_header")]
    lines += [t("group.cluster_line", code=c.code, bar=bar(c.approved, c.total),
                approved=c.approved, total=c.total, open=c.open) for c in p.clusters]
    codes = ", ".join(p.approved_since)
    if not p.approved_since:
        since = t("group.approved_none")
    elif p.more_approved:
        since = t("group.approved_since_more", codes=codes, more=p.more_approved)
    else:
        since = t("group.approved_since", codes=codes)
    lines += ["", since, "", t("group.hint")]
    if p.updated_at is not None:
        moment = p.updated_at.astimezone(ZoneInfo(p.zone)) if p.zone else p.updated_at
        lines.append(t("group.updated", time=moment))
    return Rendered("\n".join(lines))


def render_approval(p: GroupApproval, t: Translator) -> Rendered:
    return Rendered(t("group.approval", code=p.task_code, name=p.member_name))


def _group_translator(turn: Turn) -> Translator:
    return turn.deps.translator(None, None)


async def link(turn: Turn) -> None:
    """``/hubungkan`` in the group: link it, then say whether the bot reads what it needs."""
    t = await turn.translator()
    if turn.inbound.private:
        await turn.reply(t("group.link_in_group", bot=turn.port.bot_name))
        return
    port = turn.port
    if not isinstance(port, GroupPort):
        await turn.reply(t("group.no_groups"))
        return
    if not await _is_secretariat(turn):  # before asking the channel anything
        await turn.reply(t("group.only_secretariat"))
        return
    deps = turn.deps
    place = turn.place
    access = await port.group_access(place)

    async def work(session: Session, member: Member) -> str:
        return await groups.link(session, deps.workspace, member, channel=place.channel,
                                 chat=place.id, title=access.title, now=deps.clock.now())

    outcome, t = await act(turn, work)
    if outcome is None:
        return
    how = (t("group.reads_all") if access.sees_everything
           else t("group.privacy_on", bot=port.bot_name))
    await turn.reply(f"{t(f'group.{outcome}', title=access.title)}\n\n{how}")


async def _is_secretariat(turn: Turn) -> bool:
    async with turn.deps.db.transaction() as session:
        member = await by_who(session, turn.deps.workspace, turn.who)
    return member is not None and member.role == Role.SECRETARIAT


async def unlink(turn: Turn) -> None:
    """``/putuskan``: the regency's group no longer gets the post and the news."""
    deps = turn.deps

    async def work(session: Session, member: Member) -> str | None:
        return await groups.unlink(session, deps.workspace, member, now=deps.clock.now())

    title, t = await act(turn, work)
    if title is None:
        if await _is_secretariat(turn):
            await turn.reply(t("group.none_linked"))
        return
    await turn.reply(t("group.unlinked", title=title))


async def status_in_group(turn: Turn) -> bool:
    """``/status`` in the linked group, from a member: the regency's summary, in the group.
    Anything else (``/status K3`` names people, another group) goes the private way."""
    if turn.args or turn.inbound.private:
        return False
    deps = turn.deps
    async with deps.db.transaction() as session:
        if not await groups.is_linked(session, deps.workspace, turn.place.channel,
                                      turn.place.id):
            return False
        if await by_who(session, deps.workspace, turn.who) is None:
            return False
        summary = await groups.progress(session, deps.workspace, deps.settings,
                                        deps.clock.now())
    await turn.reply(render_progress(summary, _group_translator(turn)).text)
    return True


async def tell_stranger(turn: Turn) -> bool:
    """Someone not registered wrote to the bot in a group: tell them once, privately, how to
    register (in the group, once, when the bot cannot write to them). True: they are a
    stranger (told now or before); False: a member."""
    deps = turn.deps
    async with deps.db.transaction() as session:
        if await by_who(session, deps.workspace, turn.who) is not None:
            return False
        first = await groups.first_notice(session, channel=turn.place.channel,
                                          chat=turn.place.id, address=turn.who.address,
                                          now=deps.clock.now())
    if not first:
        return True
    t = await turn.translator()
    try:
        await turn.send(Place(turn.who.channel, turn.who.address), t("group.register_private"))
    except ChannelRefused:  # they never pressed Start: one short word in the group
        await turn.reply(t("group.register_in_group", bot=turn.port.bot_name))
    return True


async def note_files(turn: Turn, received: list[tuple[str, int]]) -> None:
    """In a group, after files were filed: the group hears only which task got a file (a
    reply to that note with more files files them under the same task)."""
    if not received or turn.inbound.private:
        return
    tasks = dict(received)
    t = _group_translator(turn)
    sent = await turn.reply(t("group.file_received", codes=", ".join(tasks)))
    await turn.remember_one_task(sent, list(tasks.values()))


FEATURE = Feature(
    name="group",
    commands=(
        Command("hubungkan", "link", link, "group.menu_link", roles=SECRETARIAT),
        Command("putuskan", "unlink", unlink, "group.menu_unlink", roles=SECRETARIAT),
    ),
    renderers=dict([renders(GroupProgress, render_progress),
                    renders(GroupApproval, render_approval)]),
)
