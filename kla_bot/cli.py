"""The command line: ``python bot.py <command>`` (also installed as ``kla-bot``)."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import NoReturn

from kla_bot.clock import SystemClock
from kla_bot.config import ConfigError, Settings, default_config_path, load_settings
from kla_bot.errors import Refusal, RuntimeFailure, UserError
from kla_bot.i18n import LANGUAGES
from kla_bot.logs import setup_logging

log = logging.getLogger("kla_bot")

Command = Callable[[argparse.Namespace, Settings], Coroutine[None, None, int]]

# Each command's implementation: "module:function", imported only when that command runs.
COMMANDS: dict[str, str] = {
    "run": "kla_bot.cli:run_bot",
    "db": "kla_bot.cli:run_db",
    "import": "kla_bot.cli_data:run_import",
    "status": "kla_bot.cli_data:run_status",
    "export": "kla_bot.cli_export:run_export",
    "audit": "kla_bot.cli_export:run_audit",
    "invite": "kla_bot.cli:run_invite",
    "template": "kla_bot.cli_template:run_template",
    "console": "kla_bot.console.main:run_console",
    "demo": "kla_bot.console.main:run_demo",
    "whatsapp": "kla_bot.cli_whatsapp:run_whatsapp",
    "regency": "kla_bot.cli_regency:run_regency",
}


def build_parser() -> argparse.ArgumentParser:
    """The commands, with their help in the operator's language."""
    from kla_bot.cli_text import cli_translator

    t = cli_translator(_fallback_settings())

    def h(key: str) -> str:
        return t.plain(f"cli.help.{key}").replace("%", "%%")  # argparse formats help with %

    parser = _Parser(prog="kla-bot", description=h("description"))
    # --config is accepted before or after the command (``run --config F``, ``--config F run``).
    config = _Parser(add_help=False)
    config.add_argument("--config", type=Path, default=argparse.SUPPRESS, help=h("config"))
    parser.add_argument("--config", type=Path, default=None, help=h("config"))
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def command(name: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=h(name), description=h(name), parents=[config])

    command("run")
    command("db").add_argument("action", choices=["upgrade"])

    def in_regency(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
        parser.add_argument("--regency", default=None, metavar="NAME", help=h("regency_option"))
        return parser

    imp = in_regency(command("import"))
    imp.add_argument("kind", choices=["members", "tasks"])
    imp.add_argument("file", type=Path)
    in_regency(command("status")).add_argument("--json", action="store_true", help=h("json"))
    ex = in_regency(command("export"))
    ex.add_argument("--out", type=Path, required=True, help=h("out"))
    ex.add_argument("--all", action="store_true", help=h("all"))
    in_regency(command("audit")).add_argument("--limit", type=int, default=200, help=h("limit"))
    inv = in_regency(command("invite"))
    inv.add_argument("phone", nargs="?", default=None, help=h("phone"))
    inv.add_argument("--all", action="store_true",
                     help=t.plain("invitations.cli.help_all").replace("%", "%%"))
    inv.add_argument("--out", type=Path, default=None,
                     help=t.plain("invitations.cli.help_out").replace("%", "%%"))
    tpl = in_regency(command("template"))
    tpl.add_argument("--out", type=Path, required=True, help=h("template_out"))
    tpl.add_argument("--lang", choices=list(LANGUAGES), default=None, help=h("template_lang"))
    _regency_commands(command("regency"), config, h)
    console = command("console")
    console.add_argument("--as", dest="as_phone", default=None, help=h("as"))
    console.add_argument("--channel", choices=["telegram", "whatsapp"], default="telegram",
                         help=h("channel"))
    demo = command("demo")
    demo.add_argument("--keep", action="store_true", help=h("keep"))
    demo.add_argument("--dir", type=Path, default=Path("demo-workspace"), help=h("dir"))
    demo.add_argument("--scene", choices=["secretariat", "group", "harih"], default=None,
                      help=h("scene"))
    wa = command("whatsapp")
    wa.add_argument("action", choices=["templates"])
    wa.add_argument("--lang", choices=list(LANGUAGES), default=None, help=h("whatsapp_lang"))
    wa.add_argument("--json", action="store_true", help=h("whatsapp_json"))
    return parser


def _regency_commands(regency: argparse.ArgumentParser, config: _Parser,
                      h: Callable[[str], str]) -> None:
    """``regency add NAME --date D --zone Z …``, ``regency list``, ``regency set NAME F V``.
    Values are checked by the service (one refusal from the catalogs), not by argparse."""
    actions = regency.add_subparsers(dest="action", required=True, parser_class=_Parser)

    def action(name: str) -> argparse.ArgumentParser:
        return actions.add_parser(name, help=h(f"regency_{name}"),
                                  description=h(f"regency_{name}"), parents=[config])

    add = action("add")
    add.add_argument("name", help=h("regency_name"))
    add.add_argument("--date", required=True, help=h("regency_date"))
    add.add_argument("--zone", required=True, help=h("regency_zone"))
    add.add_argument("--target", default="Nindya", help=h("regency_target"))
    add.add_argument("--last-score", default="0", help=h("regency_last_score"))
    add.add_argument("--province", default=None, help=h("regency_province"))
    action("list")
    change = action("set")
    change.add_argument("name", help=h("regency_name"))
    change.add_argument("field", help=h("regency_field"))
    change.add_argument("value", help=h("regency_value"))


class _Parser(argparse.ArgumentParser):
    """Bad usage is one line from the catalogs (argparse's own detail quoted), exit status 2."""

    def error(self, message: str) -> NoReturn:
        from kla_bot.cli_text import cli_translator

        line = cli_translator(_fallback_settings()).plain("cli.usage", detail=message,
                                                         prog=self.prog)
        self.exit(2, f"kla-bot: {line}\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse, load the configuration, run one command; one line on stderr for every mistake
    the operator can fix (exit 2) and every runtime failure we foresee (exit 1)."""
    args = build_parser().parse_args(argv)
    settings: Settings | None = None
    try:
        settings = _settings_for(args)
        module_name, _, func_name = COMMANDS[args.command].partition(":")
        command: Command = getattr(importlib.import_module(module_name), func_name)
        return asyncio.run(command(args, settings))
    except Refusal as exc:  # a UserError, or a service's refusal (``regency add``, ``--regency``)
        from kla_bot.cli_text import cli_translator, error_text

        t = cli_translator(settings or _fallback_settings())
        print(f"kla-bot: {error_text(t, exc)}", file=sys.stderr)
        return exc.exit_status if isinstance(exc, UserError) else UserError.exit_status
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        return _unexpected(exc, settings)


def _fallback_settings() -> Settings:
    """Before (or without) a valid configuration: the language asked for in the environment."""
    language = os.environ.get("KLA_BOT_BOT_LANGUAGE", "")
    return Settings().replace(bot={"language": language if language in LANGUAGES else "id"})


def _unexpected(exc: Exception, settings: Settings | None) -> int:
    """A bug: the traceback goes to the (token-redacting) log, then one line says so."""
    from kla_bot.cli_text import cli_translator

    secrets = settings.secrets if settings else tuple(
        os.environ.get(name, "") for name in ("KLA_BOT_TOKEN", "KLA_BOT_WHATSAPP_TOKEN",
                                              "KLA_BOT_WHATSAPP_APP_SECRET"))
    if not logging.getLogger().handlers:
        setup_logging("WARNING", *secrets)
    log.error("unexpected failure", exc_info=exc)
    t = cli_translator(settings or _fallback_settings())
    print(f"kla-bot: {t.plain('cli.unexpected', problem=type(exc).__name__)}", file=sys.stderr)
    return 1


def _settings_for(args: argparse.Namespace) -> Settings:
    if args.command == "demo":
        # The demo writes its own workspace and configuration; nothing is read here.
        return Settings().replace(verification={"regency": "Kabupaten Banjar"})
    settings = load_settings(args.config or default_config_path())
    if args.command == "run" and not settings.bot.token and settings.whatsapp is None:
        raise ConfigError("token_missing")  # neither channel: nothing to run
    return settings


async def run_db(args: argparse.Namespace, settings: Settings) -> int:
    """``db upgrade``: apply pending migrations."""
    from kla_bot.db import Database

    db = Database(settings.database.url, settings.database.connections)
    try:
        await db.upgrade()
    finally:
        await db.dispose()
    from kla_bot.cli_text import cli_translator

    print(cli_translator(settings).plain("cli.db_up_to_date"))
    return 0


async def run_invite(args: argparse.Namespace, settings: Settings) -> int:
    """``invite PHONE``: the code, and its link from Telegram's getMe when a token is set;
    ``invite --all --out F.xlsx``: every unregistered member's invitation, in a workbook."""
    from kla_bot import cli_invite
    from kla_bot.channels.telegram.application import deep_link

    return await cli_invite.run_invite(args, settings, deep_link=deep_link)


async def run_bot(args: argparse.Namespace, settings: Settings) -> int:
    """``run``: refuse a second instance, migrate, then serve every configured channel —
    Telegram by long polling when a token is set, WhatsApp's webhook on ``[server] listen``
    when ``[whatsapp]`` is there — until SIGINT or SIGTERM (or a 409 Conflict from Telegram,
    which ends it with one line). With ``[bot] webhook_url`` Telegram posts to the webhook
    server instead, and on PostgreSQL several workers may run: one leads the schedule."""
    from kla_bot.channels.serving import check_whatsapp, led, webhooks_served, without_telegram
    from kla_bot.channels.telegram.application import (
        build_application,
        start_application,
        stop_application,
    )
    from kla_bot.cli_text import cli_translator, startup_line
    from kla_bot.config import webhook_path
    from kla_bot.deps import create_deps
    from kla_bot.single_instance import polls_telegram, single_instance
    from kla_bot.worker import freeze_startup_objects
    from kla_bot.worker import prepare as prepare_worker

    setup_logging(settings.log.level, *settings.secrets)
    check_whatsapp(settings)
    failures: list[UserError] = []
    stop = asyncio.Event()

    def fatal(error: UserError) -> None:
        failures.append(error)
        stop.set()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    t = cli_translator(settings)
    async with AsyncExitStack() as held:
        async with _database_reachable(settings):
            await held.enter_async_context(single_instance(settings))
            deps = await create_deps(settings, SystemClock())
            await prepare_worker(deps)
            await held.enter_async_context(led(deps))
        app = None
        if settings.bot.token:
            app = build_application(deps)
            held.push_async_callback(stop_application, app)
            await start_application(app, polling=polls_telegram(settings), on_fatal=fatal)
            log.info("%s", startup_line(t, settings, username=app.bot.username,
                                        now=deps.clock.now()))
        else:
            await held.enter_async_context(without_telegram(deps))
        if settings.whatsapp is not None or (app is not None and settings.bot.webhook_url):
            await held.enter_async_context(webhooks_served(deps, app))
        if app is not None and settings.bot.webhook_url:
            log.info("%s", t.plain("cli.run.started_webhook", listen=settings.server.listen,
                                   path=webhook_path(settings.bot)))
        if settings.whatsapp is not None:
            log.info("%s", t.plain("cli.run.started_whatsapp", listen=settings.server.listen,
                                   path=settings.whatsapp.path,
                                   regency=settings.verification.regency))
        freeze_startup_objects()
        await stop.wait()
    if failures:
        raise failures[0]
    return 0


@asynccontextmanager
async def _database_reachable(settings: Settings) -> AsyncIterator[None]:
    """A database that refuses the connection is one line naming it (password hidden)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import InterfaceError, OperationalError

    try:
        yield
    except (OSError, OperationalError, InterfaceError) as exc:
        where = make_url(settings.database.url).render_as_string(hide_password=True)
        raise RuntimeFailure("cli.run.database", url=where,
                             problem=type(exc).__name__) from exc
