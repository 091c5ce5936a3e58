"""Start-up checks of the one application factory: getMe within a bounded retry budget, and
what a failed getUpdates means. In-process against the stand-in; the retry waits are recorded,
not slept."""

from __future__ import annotations

import pytest
from telegram.error import Conflict, NetworkError

from kla_bot.channels.telegram.application import (
    CONNECT_RETRY_DELAYS,
    build_application,
    connect,
    polling_error_callback,
)
from kla_bot.cli_text import error_text
from kla_bot.config import ConfigError
from kla_bot.deps import Deps
from kla_bot.errors import RuntimeFailure, UserError
from kla_bot.i18n import translator
from kla_bot.standin import BotApiStandin, StandinRequest


class Sleeps:
    def __init__(self) -> None:
        self.waited: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waited.append(seconds)


async def test_a_short_outage_at_start_is_waited_out(deps: Deps, standin: BotApiStandin) -> None:
    standin.fail_next("getMe", status=502, times=len(CONNECT_RETRY_DELAYS))
    app = build_application(deps, request=StandinRequest(standin), rate_limit=False)
    sleeps = Sleeps()
    await connect(app, sleep=sleeps)
    assert app.bot.username == standin.bot_username
    assert sleeps.waited == list(CONNECT_RETRY_DELAYS)
    await app.bot.shutdown()


async def test_a_longer_outage_is_one_line_after_the_budget(deps: Deps,
                                                            standin: BotApiStandin) -> None:
    standin.fail_next("getMe", status=None, drop_connection=True, times=10)
    app = build_application(deps, request=StandinRequest(standin), rate_limit=False)
    sleeps = Sleeps()
    with pytest.raises(RuntimeFailure) as caught:
        await connect(app, sleep=sleeps)
    assert len(standin.calls_to("getMe")) == len(CONNECT_RETRY_DELAYS) + 1
    text = error_text(translator("id"), caught.value)
    assert text.startswith("Bot API di api.telegram.org tidak dapat dihubungi setelah 4 percobaan")
    assert caught.value.exit_status == 1 and deps.settings.bot.token not in text


async def test_a_rejected_token_is_a_configuration_error(deps: Deps,
                                                        standin: BotApiStandin) -> None:
    standin.fail_next("getMe", status=401, description="Unauthorized")
    app = build_application(deps, request=StandinRequest(standin), rate_limit=False)
    with pytest.raises(ConfigError) as caught:
        await connect(app, sleep=Sleeps())
    assert caught.value.exit_status == 2 and caught.value.__cause__ is None
    assert error_text(translator("en"), caught.value).startswith("Telegram rejected the bot token")


def test_only_a_conflict_ends_polling() -> None:
    fatal: list[UserError] = []
    callback = polling_error_callback(fatal.append)
    callback(NetworkError("Bad Gateway"))
    assert fatal == []
    callback(Conflict("Conflict: terminated by other getUpdates request; make sure that only "
                      "one bot instance is running"))
    callback(Conflict("Conflict: can't use getUpdates method while webhook is active; use "
                      "deleteWebhook to delete the webhook first"))
    assert [f.reason.key for f in fatal] == ["cli.run.conflict_other", "cli.run.conflict_webhook"]
