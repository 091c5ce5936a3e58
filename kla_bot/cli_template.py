"""``python bot.py template --out F.xlsx``: the import template the secretariat fills in (the
same workbook ``/templat`` sends in chat). Needs no database, unless ``--regency`` names the
regency whose verification day sets the example due date."""

from __future__ import annotations

import argparse

from kla_bot.cli_regency import regency_deps
from kla_bot.cli_text import cli_translator
from kla_bot.clock import clock_from_env
from kla_bot.config import Settings
from kla_bot.errors import UserError
from kla_bot.i18n import translator
from kla_bot.services.due_dates import default_due
from kla_bot.services.import_template import template_workbook


async def run_template(args: argparse.Namespace, settings: Settings) -> int:
    t = translator(args.lang) if args.lang else cli_translator(settings)
    verification_date = settings.verification.date
    if getattr(args, "regency", None) is not None:
        async with regency_deps(args, settings, clock_from_env()) as deps:
            verification_date = deps.workspace.verification_date
    data = template_workbook(t, example_due=default_due(verification_date))
    out = args.out if args.out.suffix.lower() == ".xlsx" else args.out.with_suffix(".xlsx")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    except OSError as exc:
        raise UserError("secretariat.cli.cannot_write", path=out,
                        error=exc.strerror or exc) from exc
    print(cli_translator(settings).plain("secretariat.cli.written", path=out))
    return 0
