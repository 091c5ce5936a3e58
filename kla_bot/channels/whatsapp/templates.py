"""WhatsApp message templates: which outbox kind needs one outside the 24-hour window, and the
definition an operator submits for approval (``python bot.py whatsapp templates``).

Outside the customer-service window (24 hours after the member's last message) WhatsApp
delivers only approved templates. Every outbox kind is decided here, once: either a template
(:data:`TEMPLATES`) or a reason it needs none (:data:`NO_TEMPLATE`). The texts are catalog
keys ``whatsapp.templates.<key>.body`` with named placeholders; the numbers WhatsApp wants
(``{{1}}``, ``{{2}}`` …) are each parameter's position in :attr:`Template.params`, the same in
every language, so a sender fills the values in that order. WhatsApp refuses a parameter
value with a line break, a tab or more than four spaces in a row: senders flatten them.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass
from typing import Any

from kla_bot.i18n import Translator, load_catalog
from kla_bot.services.outbox_kinds import OutboxKind

BODY_MAX = 1024  # WhatsApp's limit for a template body
BUTTON_MAX = 25  # and for a quick-reply button's text


@dataclass(frozen=True)
class Template:
    """A kind's template: its default name (``[whatsapp.templates]`` may rename it) and its
    parameters in ``{{n}}`` order."""

    default_name: str
    params: tuple[str, ...]


TEMPLATES: dict[OutboxKind, Template] = {
    OutboxKind.DIGEST: Template(
        "kla_pengingat_harian", ("name", "countdown", "vdate", "open", "next_due", "why")),
    OutboxKind.ESCALATION: Template(
        "kla_tugas_lewat_tenggat", ("name", "overdue", "clusters")),
    OutboxKind.BRIEF: Template(
        "kla_ringkasan_pagi",
        ("name", "countdown", "projected", "target", "open", "submitted", "overdue")),
    OutboxKind.LASTCALL: Template(
        "kla_hari_h", ("name", "open", "open_points", "submitted")),
    OutboxKind.REVIEW_ACCEPTED: Template(
        "kla_berkas_disetujui", ("name", "file", "task", "reviewer", "points")),
    OutboxKind.REVIEW_REJECTED: Template(
        "kla_berkas_ditolak", ("name", "file", "task", "reviewer", "reason")),
    OutboxKind.TASK_REASSIGNED: Template(
        "kla_tugas_dialihkan", ("name", "task", "due", "by", "assignee")),
    OutboxKind.MEMBER_UNREACHABLE: Template(
        "kla_anggota_tidak_dapat_dihubungi", ("name", "member", "agency", "reason", "open")),
    OutboxKind.URGENT_CALL: Template(
        "kla_dibutuhkan_segera", ("name", "task", "title", "by")),
}

# Kinds that wait for the recipient's next message instead; the value is the catalog key
# that tells the operator why.
NO_TEMPLATE: dict[OutboxKind, str] = {
    OutboxKind.EVIDENCE_SUBMITTED: "whatsapp.none.evidence_submitted",
    OutboxKind.HANDOVER_REQUESTED: "whatsapp.none.handover_requested",
    # Messages for the Telegram task-force group (a chat, not a member): WhatsApp has no bot
    # groups, and the sender routes a row for a chat to Telegram only, never to WhatsApp.
    OutboxKind.GROUP_PROGRESS: "whatsapp.none.group_only",
    OutboxKind.GROUP_APPROVAL: "whatsapp.none.group_only",
    OutboxKind.MEMBER_AWAY: "whatsapp.none.member_away",
    OutboxKind.URGENT_CHASE: "whatsapp.none.urgent_chase",
    OutboxKind.URGENT_ANSWERED: "whatsapp.none.urgent_answered",
    OutboxKind.HARI_H_REPORT: "whatsapp.none.hari_h_report",
}


def config_key(kind: OutboxKind) -> str:
    """The kind's key in ``[whatsapp.templates]`` (``digest``, ``review_accepted`` …)."""
    return kind.name.lower()


TEMPLATE_KEYS: dict[str, OutboxKind] = {config_key(kind): kind for kind in TEMPLATES}
LANGUAGE_CODES: tuple[str, ...] = ("id", "en")  # WhatsApp's codes for our two languages


@dataclass(frozen=True)
class Definition:
    """One template in one language, as it is submitted for approval."""

    kind: OutboxKind
    name: str
    language: str
    body: str
    examples: tuple[str, ...]  # the example of {{1}}, {{2}} …
    button: str

    def create_request(self) -> dict[str, Any]:
        """The body of a Graph API ``POST /<WABA_ID>/message_templates``."""
        # Imported here: the configuration imports this module, and every command loads that.
        from pywa.types.templates import (
            BodyText,
            Buttons,
            ParamFormat,
            QuickReplyButton,
            TemplateCategory,
            TemplateLanguage,
        )
        from pywa.types.templates import Template as GraphTemplate

        graph = GraphTemplate(
            name=self.name, language=TemplateLanguage(self.language),
            category=TemplateCategory.UTILITY,
            components=[BodyText(self.body, *self.examples),
                        Buttons(buttons=[QuickReplyButton(text=self.button)])],
            parameter_format=ParamFormat.POSITIONAL)
        request: dict[str, Any] = json.loads(graph.to_json())
        return request


def definition(t: Translator, kind: OutboxKind, name: str | None = None) -> Definition:
    """``kind``'s template in ``t``'s language (``name``: the configured one, if any)."""
    template = TEMPLATES[kind]
    key = f"whatsapp.templates.{config_key(kind)}"
    body = t.plain(f"{key}.body", **{p: f"{{{{{n}}}}}" for n, p in
                                       enumerate(template.params, start=1)})
    written = load_catalog(t.lang)[f"{key}.body"]
    used = [field for _, field, _, _ in string.Formatter().parse(written) if field is not None]
    if used != list(template.params):
        raise ValueError(f"{key}.body ({t.lang}) must use {template.params} once each, in order")
    examples = tuple(t.plain(f"{key}.example.{p}") for p in template.params)
    return Definition(kind=kind, name=name or template.default_name, language=t.lang,
                      body=body, examples=examples, button=t.plain("whatsapp.button"))
