"""Small corrections in chat: ``/ubah``, ``/batalkan``, ``/tambah``, ``/pindah``, ``/cuti``.

Each command shows the change as before → after with Ya / Batal; only Ya writes. The rules
are :mod:`kla_bot.services.corrections`' (who may, what is valid, stale checks, the audit);
this module reads the command, asks the service and words the answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal

from handlers.buttons import id_after
from handlers.coordination import act
from handlers.registry import Command, Feature, Press, Rendered, TurnCallback, renders
from kla_bot.clock import local_today
from kla_bot.conversation.turn import Turn
from kla_bot.domain import Role
from kla_bot.i18n import Raw, Translator
from kla_bot.models import Member
from kla_bot.services import correction_requests as requests
from kla_bot.services import corrections
from kla_bot.services.access import Session, overseer_scope
from kla_bot.services.corrections import Proposal
from kla_bot.services.outbox_kinds import MemberAway
from kla_bot.services.regency_settings import KIND_PREFIX, RegencySetting, is_regency_kind
from kla_bot.text_fit import LINE_FIELD_WIDTH, shorten

YES, NO = "cor:ok:", "cor:no:"
OVERSEERS = frozenset({Role.COORDINATOR, Role.SECRETARIAT})


def propose_command(parse: Callable[[Turn], requests.Request | RegencySetting]) -> TurnCallback:
    """A command that shows its change as before → after with Ya / Batal (written on Ya)."""

    async def command(turn: Turn) -> None:
        deps = turn.deps

        async def work(session: Session, member: Member) -> Proposal:
            overseer_scope(member)  # members are refused before the usage
            request = parse(turn)
            return await corrections.propose(session, deps.workspace, member, request,
                                             deps.clock.now())

        shown, t = await act(turn, work)
        if shown is None:
            return
        await turn.reply("\n".join([t("corrections.confirm_title"), change_line(t, shown),
                                    t("corrections.confirm_ask")]),
                         [[(t("corrections.button.yes"), f"{YES}{shown.pending_id}"),
                           (t("corrections.button.no"), f"{NO}{shown.pending_id}")]])
    return command


def change_line(t: Translator, shown: Proposal) -> str:
    """One correction as before → after, in the reader's language."""
    subject = shorten(shown.subject, LINE_FIELD_WIDTH)
    if is_regency_kind(shown.kind):
        return regency_change_line(t, shown, subject)
    if shown.kind == "add":
        new = shown.after
        due = Raw(t("corrections.due_on", day=new["due"]) if new["due"] else t(
            "corrections.due_default"))
        return t("corrections.show.add", code=subject, indicator=new["indicator"],
                 points=Decimal(new["points"]), assignee=new["assignee"], due=due,
                 title=new["title"])
    if shown.kind == "cancel":
        return t("corrections.show.cancel", subject=subject,
                 before=Raw(t(f"corrections.state.{shown.before}")))
    if shown.kind == "move":
        return t("corrections.show.move", subject=subject, before=", ".join(shown.before)
                 or "-", after=", ".join(shown.after))
    if shown.kind == "away":
        def when(day: str | None) -> Raw:
            return Raw(t("corrections.away_until", day=day) if day
                       else t("corrections.present"))
        return t("corrections.show.away", subject=subject, before=when(shown.before),
                 after=when(shown.after))
    return t(f"corrections.show.{shown.kind}", subject=subject, before=shown.before,
             after=shown.after)


def regency_change_line(t: Translator, shown: Proposal, subject: str) -> str:
    """A regency setting as before → after (holidays as their dates, or none)."""
    key = shown.kind.removeprefix(KIND_PREFIX)
    if key == "holiday":
        def days(values: list[str]) -> Raw:
            return Raw(", ".join(t("regency_chat.day", day=d) for d in values)
                       or t("regency_chat.no_holidays"))
        return t("regency_chat.show.holiday", subject=subject, before=days(shown.before),
                 after=days(shown.after))
    return t(f"regency_chat.show.{key}", subject=subject, before=shown.before,
             after=shown.after)


async def yes_pressed(turn: Turn) -> None:
    deps = turn.deps
    shown = await _decide(turn, YES, "corrections.applied", lambda session, member, pending_id:
                          corrections.confirm(session, deps.workspace, member, pending_id,
                                              deps.clock.now(), deps.settings.tz))
    if shown is not None and is_regency_kind(shown.kind):
        deps.regencies.forget()  # this worker's next update reads the new settings


async def no_pressed(turn: Turn) -> None:
    deps = turn.deps
    await _decide(turn, NO, "corrections.discarded", lambda session, member, pending_id:
                  corrections.discard(session, deps.workspace, member, pending_id,
                                      deps.clock.now()))


Decision = Callable[[Session, Member, int], Awaitable[Proposal]]


async def _decide(turn: Turn, prefix: str, done_key: str,
                  decide: Decision) -> Proposal | None:
    """Ya or Batal on a shown change: carry it out, then show what was decided (and return
    it; None when refused)."""
    pending_id = id_after(turn, prefix)
    if pending_id is None:
        await turn.ack()
        return None

    async def work(session: Session, member: Member) -> Proposal:
        return await decide(session, member, pending_id)

    shown, t = await act(turn, work)
    if shown is not None:
        await turn.ack()
        await turn.show("\n".join([t(done_key), change_line(t, shown)]))
    return shown


def _away(turn: Turn) -> requests.AwayMember:
    deps = turn.deps
    return requests.away(turn.args, local_today(deps.clock, deps.settings.tz))


def render_away(payload: MemberAway, t: Translator) -> Rendered:
    """Tell a coordinator a member of their clusters is away (their reminders pause)."""
    return Rendered(t("corrections.away_notice", name=shorten(payload.member_name,
                                                              LINE_FIELD_WIDTH),
                      agency=shorten(payload.agency, LINE_FIELD_WIDTH), until=payload.until,
                      by=payload.by_name, open=payload.open_tasks))


def _command(name: str, alias: str, parse: Callable[[Turn], requests.Request]) -> Command:
    # Everyday words ("ubah", "tambah", "cuti"): on WhatsApp only with their "/".
    return Command(name, alias, propose_command(parse), f"corrections.menu.{name}", roles=OVERSEERS,
                   private=True, bare=False)


FEATURE = Feature(
    name="corrections",
    commands=(
        _command("ubah", "edit", lambda turn: requests.edit(turn.args)),
        _command("batalkan", "droptask", lambda turn: requests.cancel(turn.args)),
        _command("tambah", "addtask", lambda turn: requests.add(turn.args)),
        _command("pindah", "move", lambda turn: requests.move(turn.args)),
        _command("cuti", "away", _away),
    ),
    presses=(Press(YES, yes_pressed), Press(NO, no_pressed)),
    renderers=dict([renders(MemberAway, render_away)]),
)
