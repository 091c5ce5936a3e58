"""``/tinjau`` (``/review``) and the accept / reject buttons on submitted evidence.

Buttons: ``rv:ok:<evidence>`` accept, ``rv:no:<evidence>`` reject (asks for a reason),
``rv:why:<evidence>:<n>`` one of the common reasons. A typed reason is a reply to the bot's
"why?" prompt, or simply the next text the coordinator types in that chat soon after pressing
Tolak (the service keeps what is owed in ``PendingReason``). Once a file is decided, the
buttons of every message about it go.
"""

from __future__ import annotations

import re
from datetime import timedelta
from functools import partial

from handlers.coordination import act, local_moment
from handlers.facts_text import card_lines
from handlers.registry import Command, Feature, Press, Rendered, renders
from handlers.tasks import send_data
from kla_bot.conversation.inputs import Place
from kla_bot.conversation.replies import Attachment, Reply, rows
from kla_bot.conversation.turn import Turn
from kla_bot.domain import Role
from kla_bot.i18n import Raw, Translator, translator
from kla_bot.models import Member
from kla_bot.services import groups, review
from kla_bot.services.access import Session
from kla_bot.services.outbox_kinds import EvidenceSubmitted, ReviewAccepted, ReviewRejected
from kla_bot.services.review import Decision, ReviewItem
from kla_bot.text_fit import CAPTION_LIMIT, LINE_FIELD_WIDTH, shorten, visible_len

COMMON_REASONS = 4  # review.reasons.r0 … r3 in the catalog
# Widths of the card's fields from data: together they keep the card within a caption (1024).
REASON_ECHO_WIDTH = 1000  # the reviewer's own reason, repeated back to them
CARD_WIDTHS = {"task_code": 40, "task_title": 280, "indicator": 160, "member_name": 60,
               "agency": 80, "file_name": 80}
MIN_TITLE_WIDTH = 40  # what is left of the title on a card crowded with facts and notes
PREFIX = "rv:"  # every button of this feature; on_button takes them all
ACCEPT, REJECT, WHY = f"{PREFIX}ok:", f"{PREFIX}no:", f"{PREFIX}why:"
_BUTTON = re.compile(rf"^{PREFIX}(ok|no):(\d{{1,12}})$")
_WHY = re.compile(rf"^{WHY}(\d{{1,12}}):(\d{{1,2}})$")
_PROMPT = re.compile(rf"^{WHY}(\d{{1,12}}):")


def card(payload: EvidenceSubmitted, t: Translator) -> str:
    """The text of one submission as a reviewer sees it (notification and /tinjau), short
    enough to be the caption of the file: the facts and notes are kept whole, the title gives
    way when they need the room."""
    notes = [t(f"evidence.content_note.{note}")
             for note in (payload.content_notes or "").split(",")
             if t.has(f"evidence.content_note.{note}")]
    warning = "\n" + t("evidence.content_notes", notes=", ".join(notes)) if notes else ""
    extra = "".join("\n" + line for line in card_lines(payload.facts, t)) + warning
    text = _card_fields(payload, t, CARD_WIDTHS["task_title"]) + extra
    over = visible_len(text) - CAPTION_LIMIT
    if over > 0:
        title_width = max(MIN_TITLE_WIDTH, CARD_WIDTHS["task_title"] - over)
        text = _card_fields(payload, t, title_width) + extra
    return text


def _card_fields(payload: EvidenceSubmitted, t: Translator, title_width: int) -> str:
    cut = {key: shorten(str(getattr(payload, key)), width)
           for key, width in {**CARD_WIDTHS, "task_title": title_width}.items()}
    return t("review.card", task=cut["task_code"], title=cut["task_title"],
             indicator=cut["indicator"], cluster=payload.cluster,
             points=payload.points, member=cut["member_name"],
             agency=cut["agency"], file=cut["file_name"],
             size=t.size(payload.bytes), hash=payload.sha256[:12])


def buttons(evidence_id: int, t: Translator) -> list[list[tuple[str, str]]]:
    return [[(t("review.accept_button"), f"{ACCEPT}{evidence_id}"),
             (t("review.reject_button"), f"{REJECT}{evidence_id}")]]


def render_submitted(payload: EvidenceSubmitted, t: Translator) -> Rendered:
    """``evidence.submitted``: the new file for a coordinator, with Terima / Tolak."""
    return Rendered(card(payload, t), buttons(payload.evidence_id, t),
                    evidence_key=payload.storage_key, evidence_name=payload.file_name,
                    evidence_file_id=payload.file_id, evidence_file_kind=payload.file_kind)


def render_accepted(payload: ReviewAccepted, t: Translator) -> Rendered:
    """``review.accepted``: the member hears their file was accepted."""
    return Rendered(t("review.member_accepted", task=payload.task_code,
                      title=shorten(payload.task_title, LINE_FIELD_WIDTH),
                      file=shorten(payload.file_name, LINE_FIELD_WIDTH),
                      reviewer=payload.reviewer, points=payload.points))


def render_rejected(payload: ReviewRejected, t: Translator) -> Rendered:
    """``review.rejected``: the member hears why, with a button to send a new file."""
    task_id = payload.task_ids[0]
    return Rendered(t("review.member_rejected", task=payload.task_code,
                      title=shorten(payload.task_title, LINE_FIELD_WIDTH),
                      file=shorten(payload.file_name, LINE_FIELD_WIDTH),
                      reviewer=payload.reviewer, reason=payload.reason),
                    [[(t("review.resend_button"), send_data(task_id))]])


async def waiting(turn: Turn) -> None:
    """List the files waiting for my review, oldest first, each with the file and buttons."""

    async def work(session: Session, member: Member) -> review.Waiting:
        return await review.waiting_for(session, turn.deps.workspace, member)

    result, t = await act(turn, work)
    if result is None:
        return
    if not result.items:
        await turn.reply(t("review.nothing_waiting"))
        return
    await turn.reply(t("review.waiting_header", count=result.total, shown=len(result.items)))
    for item in result.items:
        await _send_item(turn, item, t)


async def _send_item(turn: Turn, item: ReviewItem, t: Translator) -> None:
    text = card(item.payload(), t)
    # Fetched from the store only when the channel needs the bytes (no Telegram file id).
    attachment = Attachment(item.file_name, load=partial(turn.deps.store.read, item.storage_key),
                            telegram_file_id=item.file_id, telegram_kind=item.file_kind)
    choices = rows(buttons(item.evidence_id, t))
    try:
        await turn.port.send(turn.place, Reply(text, choices, attachment=attachment))
    except FileNotFoundError:
        await turn.reply(text + "\n" + t("review.file_missing"), buttons(item.evidence_id, t))


async def on_button(turn: Turn) -> None:
    """Accept, ask why, or reject with a common reason; anything forged gets a polite no."""
    data = turn.inbound.press or ""
    deps = turn.deps
    now = deps.clock.now()
    why = _WHY.match(data)
    button = _BUTTON.match(data)
    if why is not None and int(why.group(2)) < COMMON_REASONS:
        evidence_id = int(why.group(1))
        reason = translator(deps.settings.bot.language)(f"review.reasons.r{why.group(2)}")

        async def work(session: Session, member: Member) -> Decision:
            return await review.reject(session, deps.workspace, member, evidence_id, reason, now)
    elif button is not None:
        evidence_id, accept = int(button.group(2)), button.group(1) == "ok"
        card_message = turn.inbound.message_ref  # its buttons go once the reason is given

        async def work(session: Session, member: Member) -> Decision:
            if accept:
                decision = await review.accept(session, deps.workspace, member, evidence_id,
                                               now)
                if decision.outcome == "accepted":  # the group hears of it (never a no)
                    item = decision.item
                    await groups.after_approval(
                        session, deps.workspace, deps.settings, evidence_id=item.evidence_id,
                        task_id=item.task_id, task_code=item.task_code,
                        member_name=item.member_name, now=now)
                return decision
            return await review.ask_reason(
                session, deps.workspace, member, evidence_id, now,
                channel=turn.place.channel, chat=turn.place.id, card_message=card_message)
    else:
        await turn.tell((await turn.translator())("review.stale"))
        return
    decision, t = await act(turn, work)
    if decision is not None:
        await _answer(turn, decision, t)


async def on_reason_text(turn: Turn) -> bool:
    """A typed rejection reason: a reply to the "why?" prompt, or the next text after Tolak.
    Any other text goes on to the other readers."""
    deps = turn.deps
    evidence_id = _prompt_evidence(turn.inbound.reply_to_choices)
    if evidence_id is None:
        async with deps.db.transaction() as session:
            evidence_id = await review.reason_owed_in(
                session, deps.workspace, turn.who, chat=turn.place.id, now=deps.clock.now())
    if evidence_id is None:
        return False
    owed = evidence_id
    text = turn.inbound.text or ""

    async def work(session: Session, member: Member) -> Decision:
        return await review.reject(session, deps.workspace, member, owed, text,
                                   deps.clock.now())

    decision, t = await act(turn, work)
    if decision is not None:
        await _answer(turn, decision, t)
    return True


def _prompt_evidence(choices: tuple[str, ...]) -> int | None:
    """The evidence a "why?" prompt is about, read from its reason buttons."""
    for data in choices:
        found = _PROMPT.match(data)
        if found is not None:
            return int(found.group(1))
    return None


async def _answer(turn: Turn, decision: Decision, t: Translator) -> None:
    """Tell the coordinator what their press or reply did."""
    item = decision.item
    await turn.ack()
    if decision.outcome != "asked":
        await _take_buttons_off(turn, decision)
    if decision.outcome == "asked":
        reasons = [[(t(f"review.reasons.r{n}"), f"{WHY}{item.evidence_id}:{n}")]
                   for n in range(COMMON_REASONS)]
        prompt = await turn.reply(
            t("review.ask_reason", task=item.task_code,
              file=shorten(item.file_name, LINE_FIELD_WIDTH),
              minutes=review.REASON_WINDOW // timedelta(minutes=1)), reasons)
        async with turn.deps.db.transaction() as session:
            await review.note_prompt(session, decision.asker_id, item.evidence_id, prompt)
        return
    if decision.outcome == "already":
        local = local_moment(decision.reviewed_at or turn.deps.clock.now(), turn)
        key = {"approved": "review.already_accepted",
               "rejected": "review.already_rejected"}.get(decision.state or "",
                                                          "review.already_other")
        await turn.reply(t(key, task=item.task_code, reviewer=decision.reviewer or "?",
                           day=local, time=local))
        return
    key = "review.done_accepted" if decision.outcome == "accepted" else "review.done_rejected"
    told = t("review.member_told") if decision.member_told else t("review.member_not_told")
    await turn.reply(t(key, task=item.task_code, file=shorten(item.file_name, LINE_FIELD_WIDTH),
                       member=shorten(item.member_name, LINE_FIELD_WIDTH),
                       reason=shorten(decision.reason or "", REASON_ECHO_WIDTH),
                       told=Raw(told)))


async def _take_buttons_off(turn: Turn, decision: Decision) -> None:
    """The file is decided: no button about it may be pressed again (the pressed message,
    every coordinator's card, the reason prompt) — on channels that can take them off."""
    messages = list(decision.settled)
    if turn.pressed and turn.inbound.message_ref is not None:
        messages.insert(0, (turn.place.channel, turn.place.id, turn.inbound.message_ref))
    for channel, chat, message in dict.fromkeys(messages):
        if channel == turn.place.channel:
            await turn.port.remove_choices(Place(turn.place.channel, chat), message)


FEATURE = Feature(
    name="review",
    commands=(Command("tinjau", "review", waiting, "menu.tinjau",
                      roles=frozenset({Role.COORDINATOR, Role.SECRETARIAT}), private=True),),
    presses=(Press(PREFIX, on_button),),
    reads_text=on_reason_text,
    reads_text_first=True,
    renderers=dict([renders(EvidenceSubmitted, render_submitted),
                    renders(ReviewAccepted, render_accepted),
                    renders(ReviewRejected, render_rejected)]),
)
