"""``python bot.py whatsapp templates``: the WhatsApp message templates to submit for approval,
as text for the operator or (``--json``) as Graph API create requests."""

from __future__ import annotations

import argparse
import json

from kla_bot.channels.whatsapp.templates import (
    LANGUAGE_CODES,
    NO_TEMPLATE,
    TEMPLATES,
    Definition,
    config_key,
    definition,
)
from kla_bot.cli_text import cli_translator
from kla_bot.config import Settings
from kla_bot.i18n import Translator, translator


def definitions(settings: Settings, languages: list[str]) -> list[Definition]:
    """Every kind's template in each language, named as configured (else the default)."""
    names = settings.whatsapp.templates if settings.whatsapp else {}
    return [definition(translator(lang), kind, names.get(kind))
            for kind in TEMPLATES for lang in languages]


async def run_whatsapp(args: argparse.Namespace, settings: Settings) -> int:
    languages = [args.lang] if args.lang else list(LANGUAGE_CODES)
    found = definitions(settings, languages)
    if args.json:
        requests = [d.create_request() for d in found]
        print(json.dumps(requests, ensure_ascii=False, indent=2))
        return 0
    print(render(cli_translator(settings), found))
    return 0


def render(t: Translator, found: list[Definition]) -> str:
    """The definitions for people: per kind, each language's name, body, examples, button;
    then the kinds that need no template, and why."""
    lines = [t.plain("whatsapp.print.intro")]
    for kind in TEMPLATES:
        lines += ["", t.plain("whatsapp.print.kind", kind=kind.value, key=config_key(kind))]
        for d in (d for d in found if d.kind is kind):
            lines += ["", t.plain("whatsapp.print.header",
                                  language=t.plain(f"whatsapp.print.language_{d.language}"),
                                  name=d.name, category="UTILITY", code=d.language),
                      t.plain("whatsapp.print.body"), f"  {d.body}",
                      t.plain("whatsapp.print.examples"),
                      *(t.plain("whatsapp.print.example", number=n, value=v)
                        for n, v in enumerate(d.examples, start=1)),
                      t.plain("whatsapp.print.button", text=d.button)]
    lines += ["", t.plain("whatsapp.print.none_title")]
    lines += [t.plain("whatsapp.print.none", kind=kind.value, reason=t.plain(key))
              for kind, key in NO_TEMPLATE.items()]
    return "\n".join(lines)
