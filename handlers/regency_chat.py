"""``/kabupaten`` (``/regency``): the secretariat's own regency — its settings, and one of them
changed (``/kabupaten tanggal 2027-03-10``) as a correction: before → after, Ya / Batal."""

from __future__ import annotations

from handlers.coordination import act
from handlers.corrections import propose_command
from handlers.registry import Command, Feature
from kla_bot.clock import days_left
from kla_bot.conversation.turn import Turn
from kla_bot.domain import Role
from kla_bot.i18n import Raw, Translator
from kla_bot.models import Member
from kla_bot.services import regency_settings
from kla_bot.services.access import Session
from kla_bot.services.regencies import RegencyProfile

_propose = propose_command(lambda turn: regency_settings.setting(turn.args))


async def regency(turn: Turn) -> None:
    """Show the asker's regency settings, or propose the change typed after the command."""
    if turn.args:
        await _propose(turn)
        return
    deps = turn.deps

    async def work(session: Session, member: Member) -> RegencyProfile:
        return await regency_settings.settings_of(session, deps.workspace, member)

    profile, t = await act(turn, work)
    if profile is not None:
        today = deps.clock.now().astimezone(deps.settings.tz).date()
        await turn.reply(settings_text(profile, days_left(today, profile.verification_date), t))


def settings_text(profile: RegencyProfile, left: int, t: Translator) -> str:
    """A regency's settings, one per line, and how to change one."""
    holidays = Raw(", ".join(t("regency_chat.day", day=d) for d in profile.holidays)
                   or t("regency_chat.no_holidays"))
    return "\n".join([
        t("regency_chat.title", name=profile.name),
        t("regency_chat.province", province=profile.province or "-"),
        t("regency_chat.date", date=profile.verification_date, days=t.countdown(left)),
        t("regency_chat.zone", zone=profile.zone_label),
        t("regency_chat.target", predicate=profile.target_predicate),
        t("regency_chat.score", score=profile.last_score),
        t("regency_chat.holidays", holidays=holidays),
        "", t("regency_chat.how")])


FEATURE = Feature(
    name="regency_chat",
    commands=(Command("kabupaten", "regency", regency, "menu.kabupaten",
                      roles=frozenset({Role.SECRETARIAT}), bare=False),),
)
