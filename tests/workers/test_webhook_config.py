"""``[bot] webhook_url`` and ``webhook_secret``: checked at load, the secret never shown or
logged, and polling versus webhook decided by them."""

from __future__ import annotations

from pathlib import Path

import pytest

from kla_bot.cli_text import error_text
from kla_bot.config import ConfigError, load_settings, webhook_path
from kla_bot.i18n import translator
from kla_bot.single_instance import polls_telegram
from kla_bot.standin import BotApiStandin, StandinRequest

BASE = '[verification]\nregency = "Kabupaten Banjar"\n'
SECRET = "a-Long_secret-0123456789"
TOKEN = "123456:TEST-TOKEN-abcdefghijklmnopqrstuvwxyz"


def config(tmp_path: Path, bot: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f"[bot]\n{bot}\n{BASE}", encoding="utf-8")
    return path


def refused(path: Path, env: dict[str, str], lang: str = "en") -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env=env)
    return error_text(translator(lang), caught.value)


def test_the_webhook_is_read_with_its_secret_from_the_environment(tmp_path: Path) -> None:
    s = load_settings(config(tmp_path, 'webhook_url = "https://bot.example.id/kla/telegram"'),
                      env={"KLA_BOT_BOT_WEBHOOK_SECRET": SECRET, "KLA_BOT_TOKEN": TOKEN})
    assert s.bot.webhook_secret == SECRET and SECRET in s.secrets  # redacted from the logs
    assert webhook_path(s.bot) == "/kla/telegram"
    assert not polls_telegram(s)
    assert polls_telegram(s.replace(bot={"webhook_url": ""}))


@pytest.mark.parametrize("url", ["http://bot.example.id/telegram", "ftp://x/telegram",
                                 "https://bot.example.id/t?x=1", "https:///telegram",
                                 "https://bot.example.id/te legram"])
def test_a_webhook_url_telegram_cannot_post_to_is_refused(tmp_path: Path, url: str) -> None:
    line = refused(config(tmp_path, f'webhook_url = "{url}"'),
                   {"KLA_BOT_BOT_WEBHOOK_SECRET": SECRET})
    assert line.startswith("bot.webhook_url:") and url in line


def test_plain_http_is_allowed_on_this_machine_only(tmp_path: Path) -> None:
    s = load_settings(config(tmp_path, 'webhook_url = "http://127.0.0.1:8443/telegram"'),
                      env={"KLA_BOT_BOT_WEBHOOK_SECRET": SECRET})
    assert s.bot.webhook_url == "http://127.0.0.1:8443/telegram"


@pytest.mark.parametrize("secret", ["", "has space", "ü" * 3, "x" * 257])
def test_a_webhook_needs_a_secret_telegram_accepts_and_it_is_never_shown(
        tmp_path: Path, secret: str) -> None:
    path = config(tmp_path, 'webhook_url = "https://bot.example.id/telegram"')
    for lang in ("en", "id"):
        line = refused(path, {"KLA_BOT_BOT_WEBHOOK_SECRET": secret}, lang)
        assert line.startswith("bot.webhook_secret:") and "KLA_BOT_BOT_WEBHOOK_SECRET" in line
        assert not secret or secret not in line


def test_telegram_and_whatsapp_cannot_share_a_path(tmp_path: Path) -> None:
    path = config(tmp_path, 'webhook_url = "https://bot.example.id/whatsapp"')
    line = refused(path, {"KLA_BOT_BOT_WEBHOOK_SECRET": SECRET,
                          "KLA_BOT_WHATSAPP_PATH": "/whatsapp"})
    assert line.startswith("bot.webhook_url:") and "/whatsapp" in line


async def test_the_standin_keeps_the_webhook_and_refuses_polling_meanwhile() -> None:
    from telegram import Bot
    from telegram.error import BadRequest, Conflict

    state = BotApiStandin(token=TOKEN)
    bot = Bot(TOKEN, request=StandinRequest(state), get_updates_request=StandinRequest(state))
    async with bot:
        assert await bot.set_webhook("https://bot.example.id/telegram", secret_token=SECRET)
        assert (await bot.get_webhook_info()).url == "https://bot.example.id/telegram"
        with pytest.raises(Conflict):
            await bot.get_updates()
        with pytest.raises(BadRequest):
            await bot.set_webhook("https://bot.example.id/telegram", secret_token="no spaces")
        assert await bot.delete_webhook()
        assert state.webhook is None and await bot.get_updates() == ()
    assert state.webhook_sets == 1
